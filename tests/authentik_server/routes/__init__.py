"""All routes, in matching order, and the DRF-like request pipeline that runs them."""

from __future__ import annotations

from tests.authentik_server.auth import authenticate, load_session, require_user
from tests.authentik_server.drf import ApiError
from tests.authentik_server.routes import (
    applications,
    flow_executor,
    groups,
    lookups,
    meta,
    providers,
    sessions,
    tokens,
    users,
)
from tests.authentik_server.routes.base import Access, Route
from tests.authentik_server.state import Database
from tests.authentik_server.web import HTML, Request, Response, error_response, html_not_found

ROUTES: tuple[Route, ...] = (
    *meta.ROUTES,
    *users.ROUTES,
    *lookups.ROUTES,
    *providers.ROUTES,
    *applications.ROUTES,
    *groups.ROUTES,
    *tokens.ROUTES,
    *sessions.ROUTES,
    *flow_executor.ROUTES,
)


def dispatch(request: Request, db: Database) -> Response:
    """Route, authenticate, authorise and run one request (caller holds the database lock)."""
    matching = [r for r in ROUTES if r.pattern.match(request.path)]
    if not matching:
        return html_not_found()
    method = "GET" if request.method == "HEAD" else request.method
    chosen = next((r for r in matching if method in r.methods), None)
    access = chosen.access if chosen else matching[0].access
    load_session(request, db)
    try:
        if access is not Access.PUBLIC:
            authenticate(request, db)
        if chosen is None:
            if access is Access.PUBLIC:
                return Response(405, content_type=HTML, raw=b"")
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
