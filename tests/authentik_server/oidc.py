"""OAuth2/OpenID provider logic shared by the /application/o/ endpoints (authentik's providers/oauth2).

What transcripts 25-28 show, in one place:
- URLs (issuer, endpoints) are built from the request: scheme from X-Forwarded-Proto, Host verbatim
  (25-oidc-discovery-jwks); a token's ``iss`` follows the *token* request (26);
- redirect URIs match exactly (strict) or as a full regex match (28);
- the granted scopes are the requested ones the provider has scope mappings for (offline_access is
  silently dropped without its mapping, 26); no scope at all means every mapped scope;
- claims come from the scope mappings, evaluated in scope-name order (email before profile, 26);
- the id_token and the access token carry the same claims, the access token adding azp, uid, scope.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tests.authentik_server.state import Application, Database, OAuth2Provider, User
from tests.authentik_server.validators import canonical, parse_duration
from tests.authentik_server.web import JSON_PLAIN, Request, Response

SCOPE_OPENID = "openid"
SCOPE_OFFLINE_ACCESS = "offline_access"
ACR = "goauthentik.io/providers/oauth2/default"
AMR_PASSWORD = ["pwd"]  # the only way this server logs users in is the password stage
FORBIDDEN_REDIRECT_SCHEMES = frozenset({"javascript", "data", "vbscript"})
_CORS_METHODS = "GET, POST, OPTIONS, HEAD"


def bound(db: Database, slug: str) -> tuple[Application, OAuth2Provider] | None:
    """The application with this slug and its OAuth2 provider, or None when either is missing."""
    app = db.application_by_slug(slug)
    provider_pk = app.fields.get("provider") if app else None
    provider = db.providers.get(provider_pk) if provider_pk is not None else None
    if app is None or provider is None:
        return None
    return app, provider


def provider_by_client_id(db: Database, client_id: str) -> OAuth2Provider | None:
    """OAuth2Provider.objects.filter(client_id=...).first()."""
    return next((p for p in db.providers.values() if p.fields["client_id"] == client_id), None)


def issuer(request: Request, db: Database, provider: OAuth2Provider) -> str | None:
    """OAuth2Provider.get_issuer(): per application slug (trailing slash) or the site root."""
    if provider.fields["issuer_mode"] == "global":
        return f"{request.base_url}/"
    app = db.application_for_provider(provider.pk)
    return f"{request.base_url}/application/o/{app.fields['slug']}/" if app else None


def redirect_uris(provider: OAuth2Provider) -> list[str]:
    """The registered redirect URI strings (what CORS compares an Origin with)."""
    return [str(entry["url"]) for entry in provider.fields["redirect_uris"]]


def redirect_uri_matches(provider: OAuth2Provider, uri: str) -> bool:
    """Strict entries compare the exact string (a trailing slash matters), regex entries fullmatch."""
    for entry in provider.fields["redirect_uris"]:
        if entry["matching_mode"] == "strict" and uri == entry["url"]:
            return True
        if entry["matching_mode"] == "regex":
            try:
                if re.fullmatch(entry["url"], uri):
                    return True
            except re.error:
                continue  # authentik logs a configuration error and tries the next entry
    return False


def cors_headers(request: Request, allowed_urls: list[str]) -> list[tuple[str, str]]:
    """authentik's cors_allow(): echo an Origin whose scheme, host and port equal an allowed URL's.

    Any other Origin gets no CORS headers at all (the response itself is unchanged; 25). An OPTIONS
    request carries no credentials to find the provider by, so it is allowed from any Origin.
    """
    origin = request.headers.get("Origin")
    if not origin:
        return []
    allowed = request.method == "OPTIONS"
    try:
        received = urlsplit(origin)
        for url in allowed_urls:
            candidate = urlsplit(url)
            if (received.scheme, received.hostname, received.port) == (
                candidate.scheme,
                candidate.hostname,
                candidate.port,
            ):
                allowed = True
    except ValueError:  # a port that is not a number
        return []
    if not allowed:
        return []
    headers = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
    if request.method == "OPTIONS":
        requested = request.headers.get("Access-Control-Request-Headers")
        if requested is not None:
            headers.append(("Access-Control-Allow-Headers", requested))
        headers.append(("Access-Control-Allow-Methods", _CORS_METHODS))
    return headers


def token_response(
    body: dict[str, Any], status: int = 200, headers: list[tuple[str, str]] | None = None
) -> Response:
    """authentik's TokenResponse: a JsonResponse with Cache-Control: no-store and Pragma: no-cache.

    The token and userinfo bodies are plain Django JSON: authentik_client has no model for them.
    """
    no_store = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
    return Response(status, body, content_type=JSON_PLAIN, headers=[*no_store, *(headers or [])])


def scope_mappings(db: Database, provider: OAuth2Provider) -> list[dict[str, Any]]:
    """The provider's scope mappings in the order the provider lists them (the database order)."""
    mappings = (db.scope_mappings.get(canonical(pk)) for pk in provider.fields["property_mappings"])
    return [m for m in mappings if m is not None]


def provider_scopes(db: Database, provider: OAuth2Provider) -> list[str]:
    """scope_name of every mapping, without duplicates (discovery's scopes_supported)."""
    return list(dict.fromkeys(m["scope_name"] for m in scope_mappings(db, provider)))


def granted_scopes(db: Database, provider: OAuth2Provider, requested: list[str]) -> list[str]:
    """check_scope(): no scope means all mapped ones; otherwise the requested ones that are mapped."""
    available = provider_scopes(db, provider)
    if not requested:
        return available
    return [scope for scope in dict.fromkeys(requested) if scope in available]


def _email(_db: Database, user: User) -> dict[str, Any]:
    return {"email": user.email, "email_verified": False}


def _profile(db: Database, user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "given_name": user.name,
        "preferred_username": user.username,
        "nickname": user.username,
        "groups": [g.name for g in db.groups.values() if user.pk in g.users],
    }


# What the managed mappings' expressions return; the other managed mappings (openid, offline_access,
# the API and proxy scopes, entitlements) add no claims for the users this server has.
_MAPPING_CLAIMS: dict[str, Callable[[Database, User], dict[str, Any]]] = {
    "goauthentik.io/providers/oauth2/scope-email": _email,
    "goauthentik.io/providers/oauth2/scope-profile": _profile,
}


def scope_claims(db: Database, provider: OAuth2Provider, user: User, scopes: list[str]) -> dict[str, Any]:
    """UserInfoView.get_claims(): every mapping of a granted scope, in scope-name order."""
    chosen = sorted(
        (m for m in scope_mappings(db, provider) if m["scope_name"] in scopes), key=lambda m: m["scope_name"]
    )
    claims: dict[str, Any] = {}
    for mapping in chosen:
        evaluate = _MAPPING_CLAIMS.get(str(mapping.get("managed")))
        if evaluate is not None:
            claims.update(evaluate(db, user))
    return claims


def claim_names(db: Database, provider: OAuth2Provider) -> list[str]:
    """The claim keys the provider's mappings return, in mapping order (discovery's claims_supported).

    ProviderInfoView evaluates every mapping for the anonymous user and collects the keys.
    """
    anonymous = User(
        pk=-1, username="AnonymousUser", name="", email="", password=None, uuid="", uid="", avatar=""
    )
    names: list[str] = []
    for mapping in scope_mappings(db, provider):
        evaluate = _MAPPING_CLAIMS.get(str(mapping.get("managed")))
        if evaluate is not None:
            names += [name for name in evaluate(db, anonymous) if name not in names]
    return names


def subject(provider: OAuth2Provider, user: User) -> str:
    """The ``sub`` claim for the provider's sub_mode (hashed_user_id is the user's uid, 26)."""
    mode = provider.fields["sub_mode"]
    values = {
        "hashed_user_id": user.uid,
        "user_id": str(user.pk),
        "user_uuid": user.uuid,
        "user_email": user.email,
        "user_username": user.username,
        "user_upn": str(user.attributes.get("upn", user.uid)),
    }
    return values.get(mode, user.uid)


def session_id(session_key: str) -> str:
    """The ``sid`` claim: sha256 hex of the authentik session key."""
    return hashlib.sha256(session_key.encode("utf-8")).hexdigest()


def validity(provider: OAuth2Provider, field: str) -> dt.timedelta:
    """One of the provider's duration fields ("hours=1") as a timedelta."""
    return dt.timedelta(seconds=parse_duration(str(provider.fields[field])))


def id_token_claims(
    *,
    iss: str | None,
    sub: str,
    aud: str,
    issued: dt.datetime,
    expires: dt.datetime,
    auth_time: dt.datetime,
    nonce: str | None,
    sid: str,
    jti: str | None,
    claims: dict[str, Any],
) -> dict[str, Any]:
    """IDToken.to_dict(): the claims in authentik's order, None values left out (26).

    2026.2 adds ``jti`` after ``sid`` (the caller gives both tokens of a response the same one).
    """
    token: dict[str, Any] = {
        "iss": iss,
        "sub": sub,
        "aud": aud,
        "exp": int(expires.timestamp()),
        "iat": int(issued.timestamp()),
        "auth_time": int(auth_time.timestamp()),
        "acr": ACR,
        "amr": AMR_PASSWORD,
        "nonce": nonce,
        "sid": sid,
        "jti": jti,
    }
    token.update(claims)
    return {name: value for name, value in token.items() if value is not None}
