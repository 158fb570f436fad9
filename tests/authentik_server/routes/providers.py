"""providers/oauth2/ (CRUD, setup_urls, used_by) and providers/all/ (OIDC endpoints: routes/oidc_*.py)."""

from __future__ import annotations

import re
from typing import Any

from tests.authentik_server import drf, listing
from tests.authentik_server.drf import FieldRules, not_found
from tests.authentik_server.i18n import Message
from tests.authentik_server.routes.base import route
from tests.authentik_server.state import Application, Database, OAuth2Provider, random_id
from tests.authentik_server.validators import canonical, domainless_url, duration, existing, unique
from tests.authentik_server.web import Request, Response, no_content, ok

COMPONENT = "ak-provider-oauth2-form"
# the model's gettext'd Meta names: a brand's locale translates them (31-brands-host-oidc-flows [35])
VERBOSE_NAME = Message("OAuth2/OpenID Provider")
VERBOSE_NAME_PLURAL = Message("OAuth2/OpenID Providers")
DEFAULTS: dict[str, Any] = {
    "authentication_flow": None,
    "property_mappings": [],
    "client_type": "confidential",
    "access_code_validity": "minutes=1",
    "access_token_validity": "hours=1",
    "refresh_token_validity": "days=30",
    "refresh_token_threshold": "seconds=0",
    "include_claims_in_id_token": True,
    "signing_key": None,
    "encryption_key": None,
    "redirect_uris": [],
    "logout_uri": "",
    "logout_method": "backchannel",
    "sub_mode": "hashed_user_id",
    "issuer_mode": "per_provider",
    "jwt_federation_sources": [],
    "jwt_federation_providers": [],
}
_NOT_FOUND = "No OAuth2Provider matches the given query."


def generic_json(db: Database, provider: OAuth2Provider, app: Application | None = None) -> dict[str, Any]:
    """ProviderSerializer (what providers/all/ and an application's provider_obj show).

    ``app`` overrides the bound application (authentik serialises a stale copy in one case).
    """
    bound = app if app is not None else db.application_for_provider(provider.pk)
    f = provider.fields
    return {
        "pk": provider.pk,
        "name": f["name"],
        "authentication_flow": f["authentication_flow"],
        "authorization_flow": f["authorization_flow"],
        "invalidation_flow": f["invalidation_flow"],
        "property_mappings": list(f["property_mappings"]),
        "component": COMPONENT,
        "assigned_application_slug": bound.fields["slug"] if bound else None,
        "assigned_application_name": bound.fields["name"] if bound else None,
        "assigned_backchannel_application_slug": None,
        "assigned_backchannel_application_name": None,
        "verbose_name": VERBOSE_NAME,
        "verbose_name_plural": VERBOSE_NAME_PLURAL,
        "meta_model_name": "authentik_providers_oauth2.oauth2provider",
    }


def provider_json(db: Database, provider: OAuth2Provider) -> dict[str, Any]:
    """OAuth2ProviderSerializer (client_secret included, in clear)."""
    f = provider.fields
    body = generic_json(db, provider)
    body.update(
        {
            key: f[key]
            for key in (
                "client_type",
                "client_id",
                "client_secret",
                "access_code_validity",
                "access_token_validity",
                "refresh_token_validity",
                "refresh_token_threshold",
                "include_claims_in_id_token",
                "signing_key",
                "encryption_key",
            )
        }
    )
    # RedirectURISerializer's field order, whatever order the client sent (25)
    body["redirect_uris"] = [
        {"matching_mode": e["matching_mode"], "url": e["url"]} for e in f["redirect_uris"]
    ]
    body.update({key: f[key] for key in ("logout_uri", "logout_method", "sub_mode", "issuer_mode")})
    body["jwt_federation_sources"] = list(f["jwt_federation_sources"])
    body["jwt_federation_providers"] = list(f["jwt_federation_providers"])
    return body


def _regexes_compile(value: Any) -> list[str]:
    for entry in value:
        if entry.get("matching_mode") == "regex":
            try:
                re.compile(entry["url"])
            except re.error:
                return [f"Invalid Regex Pattern: {entry['url']}"]
    return []


def _rules(db: Database, current: int | None) -> dict[str, FieldRules]:
    def others() -> list[OAuth2Provider]:
        return [p for p in db.providers.values() if p.pk != current]

    flows = existing(lambda: db.flows)
    keypairs = existing(lambda: db.keypairs)
    return {
        "name": FieldRules(
            pre=(
                unique(
                    "provider with this name already exists.",
                    lambda v: any(p.fields["name"] == v for p in others()),
                ),
            )
        ),
        "authentication_flow": FieldRules(pre=(flows,)),
        "authorization_flow": FieldRules(pre=(flows,)),
        "invalidation_flow": FieldRules(pre=(flows,)),
        "property_mappings": FieldRules(pre=(existing(lambda: db.scope_mappings),)),
        "client_id": FieldRules(
            pre=(
                unique(
                    "OAuth2/OpenID Provider with this Client ID already exists.",
                    lambda v: any(p.fields["client_id"] == v for p in others()),
                ),
            )
        ),
        "access_code_validity": FieldRules(pre=(duration,)),
        "access_token_validity": FieldRules(pre=(duration,)),
        "refresh_token_validity": FieldRules(pre=(duration,)),
        "refresh_token_threshold": FieldRules(pre=(duration,)),
        "signing_key": FieldRules(pre=(keypairs,)),
        "encryption_key": FieldRules(pre=(keypairs,)),
        "redirect_uris": FieldRules(post=(_regexes_compile,)),
        "logout_uri": FieldRules(pre=(domainless_url,)),
        "jwt_federation_sources": FieldRules(pre=(existing(lambda: ()),)),
        "jwt_federation_providers": FieldRules(pre=(existing(lambda: db.providers),)),
    }


def _get(request: Request, db: Database, missing: str = _NOT_FOUND) -> OAuth2Provider:
    """Detail lookup: a non-integer pk and a missing pk give different 404 messages."""
    raw = request.params["pk"]
    if not re.fullmatch(r"-?\d+", raw):
        raise not_found()
    provider = db.providers.get(int(raw))
    if provider is None:
        raise not_found(missing)
    return provider


def create(request: Request, db: Database) -> Response:
    """POST providers/oauth2/: client_id and client_secret are generated when not sent."""
    data = drf.validate(request.version, "OAuth2ProviderRequest", request.json(), _rules(db, None))
    fields = {**DEFAULTS, "client_id": random_id(40), "client_secret": random_id(128), **data}
    provider = OAuth2Provider(pk=db.next_provider_pk, fields=fields)
    db.next_provider_pk += 1
    db.providers[provider.pk] = provider
    return ok(provider_json(db, provider), "OAuth2Provider", 201)


def retrieve(request: Request, db: Database) -> Response:
    """GET providers/oauth2/{pk}/."""
    return ok(provider_json(db, _get(request, db)), "OAuth2Provider")


def _set_many(current: list[Any], wanted: list[Any]) -> list[Any]:
    """Django's ManyRelatedManager.set(): kept rows keep their place, new ones are appended.

    The relation lists in through-table order (26[26] PATCHes an added mapping in the middle and gets
    it back last).
    """
    wanted_keys = [canonical(pk) for pk in wanted]
    kept = [pk for pk in current if canonical(pk) in wanted_keys]
    kept_keys = {canonical(pk) for pk in kept}
    added = [pk for pk, key in zip(wanted, wanted_keys, strict=True) if key not in kept_keys]
    return kept + list(dict.fromkeys(added))


def update(request: Request, db: Database) -> Response:
    """PUT (all required fields) or PATCH; omitted fields keep their values (the secret included)."""
    provider = _get(request, db)
    model = "OAuth2ProviderRequest" if request.method == "PUT" else "PatchedOAuth2ProviderRequest"
    data = drf.validate(request.version, model, request.json(), _rules(db, provider.pk))
    if "property_mappings" in data:
        data["property_mappings"] = _set_many(provider.fields["property_mappings"], data["property_mappings"])
    provider.fields.update(data)
    provider.touch()
    return ok(provider_json(db, provider), "OAuth2Provider")


def destroy(request: Request, db: Database) -> Response:
    """DELETE: a bound application survives with provider=null."""
    provider = _get(request, db)
    for app in db.applications.values():
        if app.fields.get("provider") == provider.pk:
            app.fields["provider"] = None
            app.touch()
    del db.providers[provider.pk]
    return no_content()


def provider_list(request: Request, db: Database) -> Response:
    """GET providers/oauth2/ (exact filters; ?search= looks at the name only)."""
    items = [listing.Item(provider_json(db, p), p.seq) for p in db.providers.values()]
    items = listing.exact(
        request,
        items,
        (
            "name",
            "client_id",
            "client_type",
            "authorization_flow",
            "signing_key",
            "sub_mode",
            "issuer_mode",
            "access_code_validity",
            "access_token_validity",
            "refresh_token_validity",
        ),
    )
    mapping = request.param("property_mappings")
    if mapping:
        items = [i for i in items if canonical(mapping) in i.data["property_mappings"]]
    items = listing.search(request, items, (lambda d: d["name"],))
    items = listing.order(request, items, ("name",), ("name", "pk", "client_id"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedOAuth2ProviderList")


def setup_urls(request: Request, db: Database) -> Response:
    """GET setup_urls/: issuer, provider_info, logout and jwks depend on the bound application."""
    provider = _get(request, db)
    base = request.base_url
    app = db.application_for_provider(provider.pk)
    app_base = f"{base}/application/o/{app.fields['slug']}" if app else None
    per_provider = f"{app_base}/" if app_base else None
    issuer = f"{base}/" if provider.fields["issuer_mode"] == "global" else per_provider
    body: dict[str, Any] = {
        "issuer": issuer,
        "authorize": f"{base}/application/o/authorize/",
        "token": f"{base}/application/o/token/",
        "user_info": f"{base}/application/o/userinfo/",
        "provider_info": f"{app_base}/.well-known/openid-configuration" if app_base else None,
        "logout": f"{app_base}/end-session/" if app_base else None,
    }
    if app_base:
        body["jwks"] = f"{app_base}/jwks/"
    return ok(body, "OAuth2ProviderSetupURLs")


def used_by(request: Request, db: Database) -> Response:
    """GET used_by/: only the many-to-many property mappings show up, never the application."""
    provider = _get(request, db)
    entries = [
        {
            "app": "authentik_core",
            "model_name": "propertymapping",
            "pk": pk,
            "name": f"Property Mapping {db.scope_mappings[pk]['name']}",
            "action": "cascade_many",
        }
        for pk in provider.fields["property_mappings"]
        if pk in db.scope_mappings
    ]
    return ok(entries, "List[UsedBy]")


def all_retrieve(request: Request, db: Database) -> Response:
    """GET providers/all/{pk}/ (the generic Provider view)."""
    provider = _get(request, db, "No Provider matches the given query.")
    return ok(generic_json(db, provider), "Provider")


def all_list(request: Request, db: Database) -> Response:
    """GET providers/all/ (?search= over the name and the application name)."""
    items = [listing.Item(generic_json(db, p), p.seq) for p in db.providers.values()]
    items = listing.exact(request, items, ("name",))
    items = listing.search(request, items, (lambda d: d["name"], lambda d: d["assigned_application_name"]))
    items = listing.order(request, items, ("pk",), ("pk", "name"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedProviderList")


_DETAIL = r"/api/v3/providers/oauth2/(?P<pk>[^/]+)/"
ROUTES = [
    route("GET", r"/api/v3/providers/oauth2/", provider_list),
    route("POST", r"/api/v3/providers/oauth2/", create),
    route("GET", _DETAIL, retrieve),
    route("PUT PATCH", _DETAIL, update),
    route("DELETE", _DETAIL, destroy),
    route("GET", _DETAIL + "setup_urls/", setup_urls),
    route("GET", _DETAIL + "used_by/", used_by),
    route("GET", r"/api/v3/providers/all/", all_list),
    route("GET", r"/api/v3/providers/all/(?P<pk>[^/]+)/", all_retrieve),
]
