"""/application/o/userinfo/ (authentik's UserInfoView behind protected_resource_view).

As recorded (26, 28): GET and POST answer the same claims (sub, the scope claims, and the authorize
request's nonce when the token has one) with Cache-Control no-store. A missing, unknown, expired or
session-less access token (also the API token, client Basic credentials or a foreign JWT: tokens are
looked up, not just verified) is a 401 with an empty text/html body and ``WWW-Authenticate:
error="invalid_token", error_description="..."`` (no "Bearer" scheme word, no realm); a valid token
without the openid scope is a 403 insufficient_scope.
"""

from __future__ import annotations

import re

from tests.authentik_server import oidc
from tests.authentik_server.routes.base import Access, route
from tests.authentik_server.state import AccessToken, Database
from tests.authentik_server.web import HTML, Request, Response

_BEARER = re.compile(r"^[Bb]earer\s.+$")
_BEARER_ERRORS = {
    "invalid_token": (
        401,
        "The access token provided is expired, revoked, malformed, or invalid for other reasons",
    ),
    "insufficient_scope": (403, "The request requires higher privileges than provided by the access token"),
}


def _bearer_error(code: str) -> Response:
    status, description = _BEARER_ERRORS[code]
    challenge = f'error="{code}", error_description="{description}"'
    return Response(status, content_type=HTML, raw=b"", headers=[("WWW-Authenticate", challenge)])


def _presented_token(request: Request) -> str | None:
    """extract_access_token(): a Bearer header, else an access_token form field or query parameter."""
    header = request.headers.get("Authorization", "")
    if _BEARER.match(header):
        return header.split()[1]
    form = request.form()
    if "access_token" in form:
        return form["access_token"]
    values = request.query.get("access_token")
    return values[-1] if values else None


def _valid(db: Database, raw: str | None) -> AccessToken | None:
    token = db.access_tokens.get(raw) if raw else None
    if token is None or token.expires <= db.clock.now() or token.provider not in db.providers:
        return None
    return token if db.live_session(token.session) is not None else None


def userinfo(request: Request, db: Database) -> Response:
    """GET/POST /application/o/userinfo/."""
    if request.method == "OPTIONS":  # no token needed; cors_allow lets any Origin preflight
        return oidc.token_response({}, headers=oidc.cors_headers(request, []))
    token = _valid(db, _presented_token(request))
    user = db.users.get(token.user) if token else None
    if token is None or user is None:
        return _bearer_error("invalid_token")
    if oidc.SCOPE_OPENID not in token.scope:
        return _bearer_error("insufficient_scope")
    provider = db.providers[token.provider]
    claims = {"sub": token.sub, **oidc.scope_claims(db, provider, user, token.scope)}
    if token.nonce:
        claims["nonce"] = token.nonce
    return oidc.token_response(claims, headers=oidc.cors_headers(request, oidc.redirect_uris(provider)))


ROUTES = [route("GET POST OPTIONS", r"/application/o/userinfo/", userinfo, Access.PUBLIC)]
