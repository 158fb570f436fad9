"""core/brands/ (keyed by brand_uuid): CRUD, used_by and current/, as 30-brands recorded them.

- Only ``domain`` is required and it is barely validated: numbers become text, surrounding
  whitespace is trimmed, then anything but blank is stored as sent (spaces, uppercase, a scheme, a
  port, ``*.``: 30 [29]-[43]); uniqueness is exact and case-sensitive (30 [22]-[24], [78], [82]).
- A new brand gets the model defaults and no flows (30 [16]); PATCH and PUT change only the fields
  sent, PUT still requiring ``domain`` (30 [91], [92]); attributes are replaced, never merged (30 [85]).
- One default brand at most, checked after the field validation (30 [26]-[28], [53], [57]); a
  default brand can be deleted (30 [104]), after which requests get the fallback brand (brands.py).
- current/ (AllowAny) describes the brand picked by the Host header, flows as slugs and only those
  that are set (30 [2], [10]; 31 [17]).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.authentik_server import brands, drf, listing
from tests.authentik_server.drf import FieldRules, boolean_input, char_input, invalid
from tests.authentik_server.routes.base import Access, route
from tests.authentik_server.state import Brand, Database, jsonb, new_uuid
from tests.authentik_server.validators import existing, unique
from tests.authentik_server.web import Request, Response, no_content, ok

_MODEL = "Brand"
_SINGLE_DEFAULT = "Only a single brand can be set as default."
# the tenant's UI flags current/ reports (30 [2]; no tenant settings are modelled); 2026.2 adds
# flows_continuous_login (32 [9])
FLAGS = {"policies_buffered_access_view": False, "flows_refresh_others": False}
FLAGS_CONTINUOUS_LOGIN = {
    "policies_buffered_access_view": False,
    "flows_continuous_login": False,
    "flows_refresh_others": False,
}
# filterset_fields that compare as text (django-filter's exact lookup; 30 [59]-[61], [68], [69])
_EXACT_FILTERS = (
    "brand_uuid",
    "domain",
    "branding_title",
    "branding_logo",
    "branding_favicon",
    "branding_default_flow_background",
    *brands.FLOW_FIELDS,
    "web_certificate",
)
# OrderingFilter without ordering_fields: the serializer's fields (30 [72]-[74]); the list and
# object fields are left out
_ORDERING = (
    "brand_uuid",
    "domain",
    *(key for key in brands.DEFAULTS if key not in ("client_certificates", "attributes")),
)


def brand_json(brand: Brand) -> dict[str, Any]:
    """BrandSerializer, as read back from the database (attributes in jsonb key order)."""
    body: dict[str, Any] = {"brand_uuid": brand.pk, "domain": brand.fields["domain"]}
    body.update({key: brand.fields[key] for key in brands.DEFAULTS})  # the serializer's field order
    body["client_certificates"] = list(brand.fields["client_certificates"])
    body["attributes"] = jsonb(brand.fields["attributes"])
    return body


def _written(brand: Brand, data: dict[str, Any]) -> dict[str, Any]:
    """A 201/200 write response: the instance DRF saved, so attributes come back in the order sent.

    (30 [14] echoes settings before dezky; the GET in [15] returns jsonb order.)
    """
    body = brand_json(brand)
    if "attributes" in data:
        body["attributes"] = data["attributes"]
    return body


def _rules(db: Database, current: str | None) -> dict[str, FieldRules]:
    flows = FieldRules(pre=(existing(lambda: db.flows),))
    keypairs = existing(lambda: db.keypairs)
    return {
        "domain": FieldRules(
            parse=char_input,  # 30 [23] (trimmed before the unique check), [39] (42 -> "42"), [42]
            pre=(
                unique(
                    "This field must be unique.",
                    lambda v: any(b.fields["domain"] == v for b in db.brands.values() if b.pk != current),
                ),
            ),
        ),
        "default": FieldRules(parse=boolean_input),  # 30 [53]: "yes" counts as true
        **dict.fromkeys(brands.FLOW_FIELDS, flows),
        "default_application": FieldRules(pre=(existing(lambda: db.applications),)),
        "web_certificate": FieldRules(pre=(keypairs,)),
        "client_certificates": FieldRules(pre=(keypairs,)),
    }


def _single_default(db: Database, current: str | None) -> Callable[[dict[str, Any]], None]:
    """BrandSerializer.validate(): default true while another brand has it is a 400 (itself excluded)."""

    def check(data: dict[str, Any]) -> None:
        if data.get("default") and any(b.fields["default"] for b in db.brands.values() if b.pk != current):
            raise invalid({"default": [_SINGLE_DEFAULT]})

    return check


def _validated(request: Request, db: Database, model: str, current: str | None) -> dict[str, Any]:
    return drf.validate(
        request.version, model, request.json(), _rules(db, current), _single_default(db, current)
    )


def _get(request: Request, db: Database) -> Brand:
    """Detail lookup: a non-UUID pk is "Not found." (30 [6], [98]), a missing one names Brand ([5])."""
    return drf.by_uuid(db.brands, request.params["pk"], _MODEL)


def create(request: Request, db: Database) -> Response:
    """POST core/brands/ (brand_uuid in the body is read-only and ignored, 30 [89])."""
    data = _validated(request, db, "BrandRequest", None)
    brand = Brand(pk=new_uuid(), fields={**brands.DEFAULTS, **data})
    db.brands[brand.pk] = brand
    return ok(_written(brand, data), _MODEL, 201)


def retrieve(request: Request, db: Database) -> Response:
    """GET core/brands/{brand_uuid}/."""
    return ok(brand_json(_get(request, db)), _MODEL)


def update(request: Request, db: Database) -> Response:
    """PUT/PATCH: only the fields sent change, for PUT too (30 [92]); the row is written either way."""
    brand = _get(request, db)
    model = "BrandRequest" if request.method == "PUT" else "PatchedBrandRequest"
    data = _validated(request, db, model, brand.pk)
    brand.fields.update(data)
    brand.touch()
    return ok(_written(brand, data), _MODEL)


def destroy(request: Request, db: Database) -> Response:
    """DELETE: no protection, not even for the default brand (30 [104])."""
    del db.brands[_get(request, db).pk]
    return no_content()


def used_by(request: Request, db: Database) -> Response:
    """GET used_by/: nothing the server models refers to a brand (30 [7])."""
    _get(request, db)
    return ok([], "List[UsedBy]")


def _certificate_names(db: Database, data: dict[str, Any]) -> str | None:
    """The names SearchFilter sees through web_certificate__name and client_certificates__name."""
    pks = [data["web_certificate"], *data["client_certificates"]]
    names = [str(db.keypairs[pk]["name"]) for pk in pks if pk in db.keypairs]
    return " ".join(names) if names else None  # search terms never contain whitespace


def brand_list(request: Request, db: Database) -> Response:
    """GET core/brands/: exact filters, ?default= boolean, ?search=, ordering by domain (30 [59]-[76])."""
    items = [listing.Item(brand_json(b), b.seq) for b in db.brands.values()]
    items = listing.exact(request, items, _EXACT_FILTERS)
    items = listing.boolean(request, items, "default", lambda d: d["default"])
    certificate = request.param("client_certificates")
    if certificate:
        items = [i for i in items if certificate in i.data["client_certificates"]]
    items = listing.search(
        request,
        items,
        (*listing.keys("domain", "branding_title"), lambda d: _certificate_names(db, d)),
    )
    items = listing.order(request, items, ("domain",), _ORDERING)
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedBrandList")


def current_json(request: Request, db: Database, brand: Brand) -> dict[str, Any]:
    """CurrentBrandSerializer: flows as slugs, an unset flow left out rather than null (31 [17]).

    2026.2 adds the (null) themed URLs of logo and favicon and the flows_continuous_login flag (32 [9]).
    """
    f = brand.fields
    themed = request.version.current_brand_themed
    body: dict[str, Any] = {"matched_domain": f["domain"], "branding_title": f["branding_title"]}
    body["branding_logo"] = f["branding_logo"]
    if themed:
        body["branding_logo_themed_urls"] = None
    body["branding_favicon"] = f["branding_favicon"]
    if themed:
        body["branding_favicon_themed_urls"] = None
    body.update(
        {
            "branding_custom_css": f["branding_custom_css"],
            "ui_footer_links": [],
            "ui_theme": brands.theme(brand),
        }
    )
    for field in brands.FLOW_FIELDS:
        slug = brands.flow_slug(db, brand, field)
        if slug is not None:
            body[field] = slug
    body["default_locale"] = brands.locale(brand)
    body["flags"] = dict(FLAGS_CONTINUOUS_LOGIN if themed else FLAGS)
    return body


def current(request: Request, db: Database) -> Response:
    """GET core/brands/current/ (AllowAny: the same with or without a token, 30 [2], [3])."""
    return ok(current_json(request, db, brands.of(request)), "CurrentBrand")


_DETAIL = r"/api/v3/core/brands/(?P<pk>[^/]+)/"
ROUTES = [
    route("GET", r"/api/v3/core/brands/", brand_list),
    route("POST", r"/api/v3/core/brands/", create),
    route("GET", r"/api/v3/core/brands/current/", current, Access.ANONYMOUS),  # before the detail
    route("GET", _DETAIL, retrieve),
    route("PUT PATCH", _DETAIL, update),
    route("DELETE", _DETAIL, destroy),
    route("GET", _DETAIL + "used_by/", used_by),
]
