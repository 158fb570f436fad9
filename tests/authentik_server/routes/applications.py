"""core/applications/ (keyed by slug), including authentik's stale per-user list cache.

ApplicationViewSet.list caches the policy-filtered page per (user, page number) for 24 hours under a
key that ignores every filter. The pagination block is computed from the filtered queryset, but the
results come from the cache (re-fetched by pk). Only creating an application flushes the cache;
``?superuser_full_list=true`` (superusers) and ``?search=`` bypass it (15-applications-get-filter-patch).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from urllib.parse import urlparse, urlunparse

from tests.authentik_server import drf, listing
from tests.authentik_server.drf import FieldRules, not_found
from tests.authentik_server.routes.base import route
from tests.authentik_server.routes.providers import generic_json
from tests.authentik_server.state import Application, Database, new_uuid, now
from tests.authentik_server.validators import domainless_url, existing, unique
from tests.authentik_server.versions import AuthentikVersion
from tests.authentik_server.web import Request, Response, no_content, ok

DEFAULTS: dict[str, Any] = {
    "provider": None,
    "backchannel_providers": [],
    "open_in_new_tab": False,
    "meta_launch_url": "",
    "meta_description": "",
    "meta_publisher": "",
    "policy_engine_mode": "any",
    "group": "",
}
RESERVED_SLUGS = frozenset({"authorize", "token", "device", "userinfo", "introspect", "revoke"})
_CACHE_TTL = dt.timedelta(hours=24)
_NOT_FOUND = "No Application matches the given query."


def launch_url(db: Database, app: Application) -> str | None:
    """Application.get_launch_url(): meta_launch_url, else the provider's guess from its first redirect."""
    if app.fields["meta_launch_url"]:
        return str(app.fields["meta_launch_url"])
    provider = db.providers.get(app.fields["provider"]) if app.fields["provider"] is not None else None
    if provider is None or not provider.fields["redirect_uris"]:
        return None
    try:
        return str(urlunparse(urlparse(str(provider.fields["redirect_uris"][0]["url"]))._replace(path="")))
    except ValueError:
        return None


def app_json(
    db: Database, app: Application, version: AuthentikVersion, provider_view_of: Application | None = None
) -> dict[str, Any]:
    """ApplicationSerializer; ``provider_view_of`` is the (possibly stale) app the provider_obj sees.

    No icon is ever uploaded: meta_icon is null on 2025.10; on 2026.2 it is a file field, "", and
    its URLs are null (14).
    """
    f = app.fields
    provider = db.providers.get(f["provider"]) if f["provider"] is not None else None
    icon: dict[str, Any] = (
        {"meta_icon": "", "meta_icon_url": None, "meta_icon_themed_urls": None}
        if version.application_icon_urls
        else {"meta_icon": None}
    )
    return {
        "pk": app.pk,
        "name": f["name"],
        "slug": f["slug"],
        "provider": f["provider"],
        "provider_obj": generic_json(db, provider, provider_view_of) if provider else None,
        "backchannel_providers": list(f["backchannel_providers"]),
        "backchannel_providers_obj": [
            generic_json(db, db.providers[pk]) for pk in f["backchannel_providers"] if pk in db.providers
        ],
        "launch_url": launch_url(db, app),
        "open_in_new_tab": f["open_in_new_tab"],
        "meta_launch_url": f["meta_launch_url"],
        **icon,
        "meta_description": f["meta_description"],
        "meta_publisher": f["meta_publisher"],
        "policy_engine_mode": f["policy_engine_mode"],
        "group": f["group"],
    }


def _reserved(value: Any) -> list[str]:
    if value in RESERVED_SLUGS:
        return [f"The slug '{value}' is reserved and cannot be used for applications."]
    return []


def _rules(db: Database, current: str | None) -> dict[str, FieldRules]:
    def others() -> list[Application]:
        return [a for a in db.applications.values() if a.pk != current]

    return {
        "slug": FieldRules(
            pre=(
                unique(
                    "Application with this slug already exists.",
                    lambda v: any(a.fields["slug"] == v for a in others()),
                ),
            ),
            post=(_reserved,),
        ),
        "provider": FieldRules(
            pre=(
                existing(lambda: db.providers),
                unique(
                    "Application with this provider already exists.",
                    lambda v: v is not None and any(a.fields["provider"] == v for a in others()),
                ),
            )
        ),
        "backchannel_providers": FieldRules(pre=(existing(lambda: db.providers),)),
        "meta_launch_url": FieldRules(pre=(domainless_url,)),
    }


def _get(request: Request, db: Database) -> Application:
    app = db.application_by_slug(request.params["slug"])
    if app is None:
        raise not_found(_NOT_FOUND)
    return app


def create(request: Request, db: Database) -> Response:
    """POST core/applications/ (creating an application flushes every user's list cache)."""
    data = drf.validate(request.version, "ApplicationRequest", request.json(), _rules(db, None))
    app = Application(pk=new_uuid(), fields={**DEFAULTS, **data})
    db.applications[app.pk] = app
    db.app_list_cache.clear()
    return ok(app_json(db, app, request.version), "Application", 201)


def retrieve(request: Request, db: Database) -> Response:
    """GET core/applications/{slug}/."""
    return ok(app_json(db, _get(request, db), request.version), "Application")


def update(request: Request, db: Database) -> Response:
    """PUT/PATCH; the response's provider_obj still shows the pre-update application (as recorded)."""
    app = _get(request, db)
    model = "ApplicationRequest" if request.method == "PUT" else "PatchedApplicationRequest"
    data = drf.validate(request.version, model, request.json(), _rules(db, app.pk))
    before = copy.deepcopy(app)
    app.fields.update(data)
    app.touch()
    stale = before if before.fields["provider"] == app.fields["provider"] else None
    return ok(app_json(db, app, request.version, stale), "Application")


def destroy(request: Request, db: Database) -> Response:
    """DELETE: the provider stays (unassigned); the list cache is not flushed.

    A brand's default_application is SET_DEFAULT, i.e. null (31-brands-host-oidc-flows [39]).
    """
    app = _get(request, db)
    del db.applications[app.pk]
    for brand in db.brands.values():
        if brand.fields["default_application"] == app.pk:
            brand.fields["default_application"] = None
            brand.touch()
    return no_content()


def _filtered(request: Request, db: Database) -> list[listing.Item]:
    items = [listing.Item(app_json(db, a, request.version), a.seq) for a in db.applications.values()]
    items = listing.exact(
        request, items, ("slug", "name", "group", "meta_launch_url", "meta_description", "meta_publisher")
    )
    items = listing.search(
        request,
        items,
        listing.keys("name", "slug", "meta_launch_url", "meta_description", "meta_publisher", "group"),
    )
    return listing.order(request, items, ("name",), ("name", "slug", "group"))


def _refetch(db: Database, pks: list[str], version: AuthentikVersion) -> list[dict[str, Any]]:
    """Application.objects.filter(pk__in=cached pks): current rows, default ordering."""
    apps = sorted(
        (db.applications[pk] for pk in pks if pk in db.applications), key=lambda a: (a.fields["name"], a.seq)
    )
    return [app_json(db, a, version) for a in apps]


def app_list(request: Request, db: Database) -> Response:
    """GET core/applications/, with the cache quirk described in the module docstring."""
    assert request.user is not None
    items = [i.data for i in _filtered(request, db)]
    full_list = (request.param("superuser_full_list") or "false").lower() == "true"
    if full_list and db.is_superuser(request.user):
        return ok(listing.page_body(request, items), "PaginatedApplicationList")
    pagination, chunk = listing.paginate(request, items)
    results = chunk
    if not request.param("search"):
        key = (request.user.pk, pagination["current"])
        cached = db.app_list_cache.get(key)
        if cached is not None and cached[1] and now() - cached[0] < _CACHE_TTL:
            results = _refetch(db, cached[1], request.version)
        else:
            db.app_list_cache[key] = (now(), [a["pk"] for a in chunk])
    if (request.param("only_with_launch_url") or "").lower() == "true":
        results = [a for a in results if a["launch_url"] and not a["launch_url"].startswith("blank://")]
    body = {"pagination": pagination, "results": results, "autocomplete": {}}
    return ok(body, "PaginatedApplicationList")


_DETAIL = r"/api/v3/core/applications/(?P<slug>[^/]+)/"
ROUTES = [
    route("GET", r"/api/v3/core/applications/", app_list),
    route("POST", r"/api/v3/core/applications/", create),
    route("GET", _DETAIL, retrieve),
    route("PUT PATCH", _DETAIL, update),
    route("DELETE", _DETAIL, destroy),
]
