"""Health checks, the anonymous root config and admin/version."""

from __future__ import annotations

from tests.authentik_server.routes.base import Access, route
from tests.authentik_server.state import Database
from tests.authentik_server.web import HTML, Request, Response, ok


def health(_request: Request, _db: Database) -> Response:
    """Django's LiveView/ReadyView: 200 with an empty text/html body."""
    return Response(200, content_type=HTML, raw=b"")


def root_config(_request: Request, db: Database) -> Response:
    """GET /root/config/ (AllowAny, but a wrong token still fails authentication)."""
    return ok(dict(db.config), "Config")


def admin_version(request: Request, _db: Database) -> Response:
    """GET /admin/version/ (IsAuthenticated): the running release identifies the server (32)."""
    return ok(request.version.admin_version(), "Version")


ROUTES = [
    route("GET", r"/-/health/live/", health, Access.PUBLIC),
    route("GET", r"/-/health/ready/", health, Access.PUBLIC),
    route("GET", r"/api/v3/root/config/", root_config, Access.ANONYMOUS),
    route("GET", r"/api/v3/admin/version/", admin_version, Access.USER),
]
