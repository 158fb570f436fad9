"""All routes, in matching order, and the DRF-like request pipeline that runs them."""

from __future__ import annotations

from tests.authentik_server import i18n
from tests.authentik_server.auth import authenticate, load_session, require_user
from tests.authentik_server.brands import for_host, locale
from tests.authentik_server.drf import ApiError
from tests.authentik_server.routes import (
    applications,
    brands,
    flow_executor,
    groups,
    lookups,
    meta,
    oauth2_tokens,
    oidc_authorize,
    oidc_discovery,
    oidc_token,
    oidc_userinfo,
    providers,
    sessions,
    tokens,
    users,
)
from tests.authentik_server.routes.base import Access, Route
from tests.authentik_server.state import Database
from tests.authentik_server.web import HTML, JSON_API, Request, Response, error_response, html_not_found

ROUTES: tuple[Route, ...] = (
    *meta.ROUTES,
    *users.ROUTES,
    *lookups.ROUTES,
    *providers.ROUTES,
    *applications.ROUTES,
    *brands.ROUTES,
    *groups.ROUTES,
    *tokens.ROUTES,
    *oauth2_tokens.ROUTES,
    *sessions.ROUTES,
    *flow_executor.ROUTES,
    *oidc_authorize.ROUTES,
    *oidc_token.ROUTES,
    *oidc_userinfo.ROUTES,
    *oidc_discovery.ROUTES,
    *oidc_discovery.ROOT_ROUTES,  # /application/o/<slug>/ last, as in authentik's urlconf
)


_DJANGO_METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _allow(routes: list[Route]) -> str:
    """Django View._allowed_methods(): the view's methods, HEAD with GET, OPTIONS always."""
    methods = set().union(*(r.methods for r in routes)) | {"OPTIONS"}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(m for m in _DJANGO_METHOD_ORDER if m in methods)


def dispatch(request: Request, db: Database) -> Response:
    """Pick the request's brand, run the request, translate the answer (caller holds the lock).

    Like authentik's BrandMiddleware, the brand comes from the Host header before anything else and
    its locale applies to everything the request produces (brands.py, i18n.py).
    """
    request.brand = for_host(db, request.headers.get("Host", ""), request.version.brand_match)
    response = _run(request, db)
    if response.content_type == JSON_API:  # DRF's JSON renderer: with or without a charset
        response.content_type = request.version.api_json
    if response.payload is not None:
        response.payload = i18n.translate(response.payload, locale(request.brand))
    return response


def _run(request: Request, db: Database) -> Response:
    """Route, authenticate, authorise and run one request.

    Like Django's URL resolver, the first pattern that matches the path picks the view; the routes
    sharing that pattern then pick the method (so GET /application/o/token/ is the token view's 405,
    not the /application/o/<slug>/ redirect: 28-oidc-errors).
    """
    first = next((r for r in ROUTES if r.pattern.match(request.path)), None)
    if first is None:
        return html_not_found(request)
    matching = [r for r in ROUTES if r.pattern.pattern == first.pattern.pattern]
    method = "GET" if request.method == "HEAD" else request.method
    chosen = next((r for r in matching if method in r.methods), None)
    access = chosen.access if chosen else matching[0].access
    load_session(request, db)
    try:
        if access is not Access.PUBLIC:
            authenticate(request, db)
        if chosen is None:
            if access is Access.PUBLIC:
                allow = [("Allow", _allow(matching))]
                if request.method == "OPTIONS":  # django.views.View.options()
                    return Response(200, content_type=HTML, raw=b"", headers=allow)
                return Response(405, content_type=HTML, raw=b"", headers=allow)
            if access is Access.API:
                require_user(request, db)
            raise ApiError(405, {"detail": f'Method "{request.method}" not allowed.'})
        if access in (Access.API, Access.USER):
            require_user(request, db, superuser=access is Access.API)
        found = chosen.pattern.match(request.path)
        assert found is not None
        request.params = found.groupdict()
        return chosen.handler(request, db)
    except ApiError as exc:
        return error_response(exc)
