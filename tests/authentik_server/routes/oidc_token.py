"""/application/o/token/ (authentik's TokenView): the authorization_code and refresh_token grants.

As recorded in 26/27/28:
- client authentication is HTTP Basic (client_secret_basic) or client_id/client_secret form fields
  (client_secret_post). An unknown client, a malformed Basic value, or a wrong/missing secret of a
  confidential client is invalid_client (the secret is compared for both grants, before anything
  else); a public client's secret is never looked at (27);
- every error is a 400 {error, error_description, request_id} with Cache-Control no-store and Pragma
  no-cache: never 401, never WWW-Authenticate (28);
- authorization_code: a missing code is invalid_grant; the redirect_uri must be one the provider
  registered, else invalid_client (also when it is missing); then an unknown, expired or foreign code
  and PKCE mismatches are invalid_grant. Failed attempts leave the code alone; success deletes it.
  The code is not bound to the authorize request's redirect_uri (28);
- PKCE follows the code: S256 or plain; no verifier for a challenged code and a verifier for an
  unchallenged code (downgrade) are both invalid_grant (27);
- a refresh token only comes with offline_access granted, which needs the provider's offline_access
  mapping (26). The refresh grant rotates: new tokens, the old refresh token revoked (invalid_grant
  afterwards). A scope parameter must stay within the granted scope and keep offline_access, else
  invalid_scope, which spends nothing. Refreshed id_tokens carry no nonce;
- only form bodies are read (a JSON body has no grant_type: unsupported_grant_type).
Tokens belong to the authentik session they were issued in and die with it. The other grant types
authentik knows (client_credentials, password, device_code) are not modelled: unsupported_grant_type.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import uuid
from typing import Any

from tests.authentik_server import oidc, oidc_keys
from tests.authentik_server.routes.base import Access, route
from tests.authentik_server.state import (
    AccessToken,
    Database,
    Grant,
    OAuth2Provider,
    RefreshToken,
    Session,
    User,
    random_id,
)
from tests.authentik_server.web import Request, Response

_TOKEN_ERRORS = {
    "invalid_client": (
        "Client authentication failed (e.g., unknown client, no client authentication included, "
        "or unsupported authentication method)"
    ),
    "invalid_grant": (
        "The provided authorization grant or refresh token is invalid, expired, revoked, does not "
        "match the redirection URI used in the authorization request, or was issued to another client"
    ),
    "invalid_scope": (
        "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the "
        "resource owner"
    ),
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server",
}
_BASIC = re.compile(r"^Basic\s.+$")
_REFRESH_TOKEN_LENGTH = 128


class TokenError(Exception):
    """One of the OAuth2 token error codes in _TOKEN_ERRORS."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """extract_client_auth(): Basic wins; an undecodable Basic value means no client at all."""
    header = request.headers.get("Authorization", "")
    if _BASIC.match(header):
        try:
            # like Python's b64decode without validate=True: characters outside the alphabet are dropped
            decoded = base64.b64decode(header.split()[1]).decode("utf-8")
        except (binascii.Error, ValueError):
            return "", ""
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _grant_session(db: Database, grant: Grant) -> Session:
    """The live session a grant belongs to; a grant whose session is gone was deleted with it."""
    session = db.live_session(grant.session)
    if session is None:
        raise TokenError("invalid_grant")
    return session


def _pkce(challenge: str | None, method: str | None, verifier: str | None) -> None:
    """The code's PKCE challenge against the request's verifier (27, 28)."""
    if challenge:
        if not verifier:
            raise TokenError("invalid_grant")
        if method == "S256":
            digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
            computed = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
        else:
            computed = verifier
        if not secrets.compare_digest(computed.encode(), challenge.encode()):
            raise TokenError("invalid_grant")
    elif verifier:
        raise TokenError("invalid_grant")  # downgrade protection


def _issue(
    request: Request,
    db: Database,
    provider: OAuth2Provider,
    grant: Grant,
    session: Session,
    nonce: str | None,
) -> dict[str, Any]:
    """The token response: a new access token (a JWT, stored) and id_token for the grant."""
    user = db.users.get(grant.user)
    if user is None:
        raise TokenError("invalid_grant")
    issued = db.clock.now()
    lifetime = oidc.validity(provider, "access_token_validity")
    expires = issued + lifetime
    client_id = str(provider.fields["client_id"])
    claims = oidc.id_token_claims(
        iss=oidc.issuer(request, db, provider),
        sub=oidc.subject(provider, user),
        aud=client_id,
        issued=issued,
        expires=expires,
        auth_time=grant.auth_time,
        nonce=nonce,
        sid=oidc.session_id(session.key),
        jti=random_id(40) if request.version.jwt_jti else None,
        claims=_id_token_extras(db, provider, user, grant.scope),
    )
    access_claims = {**claims, "azp": client_id, "uid": random_id(40), "scope": " ".join(grant.scope)}
    access = AccessToken(
        pk=db.next_grant_pk,
        token=_sign(request, provider, access_claims),
        provider=provider.pk,
        user=user.pk,
        session=grant.session,
        scope=list(grant.scope),
        expires=expires,
        auth_time=grant.auth_time,
        sub=claims["sub"],
        id_token=claims,
        nonce=nonce,
    )
    db.next_grant_pk += 1
    db.access_tokens[access.token] = access
    return {
        "access_token": access.token,
        "token_type": "Bearer",
        "scope": " ".join(grant.scope),
        "expires_in": int(lifetime.total_seconds()),
        "id_token": _sign(request, provider, claims),
    }


def _id_token_extras(db: Database, provider: OAuth2Provider, user: User, scope: list[str]) -> dict[str, Any]:
    """The scope claims, unless the provider keeps them out of the id_token (userinfo only)."""
    if not provider.fields["include_claims_in_id_token"]:
        return {}
    return oidc.scope_claims(db, provider, user, scope)


def _sign(request: Request, provider: OAuth2Provider, claims: dict[str, Any]) -> str:
    return oidc_keys.encode(
        claims,
        rsa_signed=bool(provider.fields["signing_key"]),
        client_secret=str(provider.fields["client_secret"]),
        kid_form=request.version.kid,
    )


def _new_refresh_token(db: Database, provider: OAuth2Provider, grant: Grant) -> RefreshToken:
    token = RefreshToken(
        token=random_id(_REFRESH_TOKEN_LENGTH),
        provider=provider.pk,
        user=grant.user,
        session=grant.session,
        scope=list(grant.scope),
        expires=db.clock.now() + oidc.validity(provider, "refresh_token_validity"),
        auth_time=grant.auth_time,
    )
    db.refresh_tokens[token.token] = token
    return token


def _authorization_code(
    request: Request, db: Database, provider: OAuth2Provider, form: dict[str, str]
) -> dict[str, Any]:
    """grant_type=authorization_code (the check order is the recorded one, see the module docstring)."""
    raw = form.get("code", "")
    if not raw:
        raise TokenError("invalid_grant")
    if not oidc.redirect_uri_matches(provider, form.get("redirect_uri", "")):
        raise TokenError("invalid_client")
    code = db.authorization_codes.get(raw)
    if code is None or code.expires <= db.clock.now() or code.provider != provider.pk:
        raise TokenError("invalid_grant")
    session = _grant_session(db, code)
    _pkce(code.code_challenge, code.code_challenge_method, form.get("code_verifier"))
    body = _issue(request, db, provider, code, session, code.nonce)
    if oidc.SCOPE_OFFLINE_ACCESS in code.scope:
        body["refresh_token"] = _new_refresh_token(db, provider, code).token
    del db.authorization_codes[raw]
    return body


def _refresh(
    request: Request, db: Database, provider: OAuth2Provider, form: dict[str, str]
) -> dict[str, Any]:
    """grant_type=refresh_token: rotation, reuse refused, scope narrowing checked (26)."""
    raw = form.get("refresh_token", "")
    token = db.refresh_tokens.get(raw) if raw else None
    if token is None or token.provider != provider.pk or token.expires <= db.clock.now():
        raise TokenError("invalid_grant")
    session = _grant_session(db, token)
    requested = form.get("scope", "").split() or token.scope
    if not set(requested) <= set(token.scope):
        raise TokenError("invalid_scope")
    if token.revoked:
        raise TokenError("invalid_grant")
    if oidc.SCOPE_OFFLINE_ACCESS not in requested:
        raise TokenError("invalid_scope")
    body = _issue(request, db, provider, token, session, nonce=None)
    threshold = oidc.validity(provider, "refresh_token_threshold")
    if threshold.total_seconds() == 0 or token.expires - db.clock.now() < threshold:
        token.revoked = True
        token.touch()
        token = _new_refresh_token(db, provider, token)
    body["refresh_token"] = token.token
    return body


def token(request: Request, db: Database) -> Response:
    """POST /application/o/token/."""
    provider: OAuth2Provider | None = None
    try:
        form = request.form()
        client_id, client_secret = _client_credentials(request, form)
        provider = oidc.provider_by_client_id(db, client_id)
        if provider is None:
            raise TokenError("invalid_client")
        grant_type = form.get("grant_type", "")
        if (
            grant_type in ("authorization_code", "refresh_token")
            and provider.fields["client_type"] == "confidential"
            and not secrets.compare_digest(
                str(provider.fields["client_secret"]).encode(), client_secret.encode()
            )
        ):
            raise TokenError("invalid_client")
        if grant_type == "authorization_code":
            body = _authorization_code(request, db, provider, form)
        elif grant_type == "refresh_token":
            body = _refresh(request, db, provider, form)
        else:
            raise TokenError("unsupported_grant_type")
        response = oidc.token_response(body)
    except TokenError as exc:
        error = {
            "error": exc.error,
            "error_description": _TOKEN_ERRORS[exc.error],
            "request_id": uuid.uuid4().hex,
        }
        response = oidc.token_response(error, 400)
    allowed = oidc.redirect_uris(provider) if provider is not None else []
    response.headers += oidc.cors_headers(request, allowed)
    return response


def options(request: Request, _db: Database) -> Response:
    """OPTIONS /application/o/token/: TokenView.options() answers an empty TokenResponse, CORS open."""
    return oidc.token_response({}, headers=oidc.cors_headers(request, []))


ROUTES = [
    route("POST", r"/application/o/token/", token, Access.PUBLIC),
    route("OPTIONS", r"/application/o/token/", options, Access.PUBLIC),
]
