"""What an OIDC client reads before logging in: discovery, the issuer URL and the JWKS.

All three are plain Django views (no DRF authentication) keyed by application slug; a slug without
an application (or without a provider) is the generic HTML 404 (25-oidc-discovery-jwks).
"""

from __future__ import annotations

import json
from typing import Any

from tests.authentik_server import oidc, oidc_keys
from tests.authentik_server.routes.base import Access, route
from tests.authentik_server.state import Database
from tests.authentik_server.web import JSON_PLAIN, Request, Response, html_not_found, redirect

_BASE_CLAIMS = ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce"]
_RESPONSE_TYPES = ["code", "id_token", "id_token token", "code token", "code id_token", "code id_token token"]
_GRANT_TYPES = [
    "authorization_code",
    "refresh_token",
    "implicit",
    "client_credentials",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
]


def discovery(request: Request, db: Database) -> Response:
    """GET /application/o/{slug}/.well-known/openid-configuration (ProviderInfoView).

    Every URL is built from the request (scheme from X-Forwarded-Proto, Host with its port); the body
    is pretty-printed with a 2-space indent; a matching Origin gets CORS headers (25).
    """
    found = oidc.bound(db, request.params["slug"])
    if found is None:
        return html_not_found(request)
    app, provider = found
    base = request.base_url
    app_base = f"{base}/application/o/{app.fields['slug']}"
    body: dict[str, Any] = {
        "issuer": oidc.issuer(request, db, provider),
        "authorization_endpoint": f"{base}/application/o/authorize/",
        "token_endpoint": f"{base}/application/o/token/",
        "userinfo_endpoint": f"{base}/application/o/userinfo/",
        "end_session_endpoint": f"{app_base}/end-session/",
        "introspection_endpoint": f"{base}/application/o/introspect/",
        "revocation_endpoint": f"{base}/application/o/revoke/",
        "device_authorization_endpoint": f"{base}/application/o/device/",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "response_types_supported": list(_RESPONSE_TYPES),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "jwks_uri": f"{app_base}/jwks/",
        "grant_types_supported": list(_GRANT_TYPES),
        "id_token_signing_alg_values_supported": ["RS256" if provider.fields["signing_key"] else "HS256"],
        "subject_types_supported": ["public"],
        # the public client advertises the same methods (no "none"): 25
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "acr_values_supported": [oidc.ACR],
        "scopes_supported": oidc.provider_scopes(db, provider),
        "request_parameter_supported": False,
        "claims_supported": _BASE_CLAIMS + oidc.claim_names(db, provider),
        "claims_parameter_supported": False,
        "code_challenge_methods_supported": ["plain", "S256"],
    }
    return Response(
        200,
        body,
        content_type=JSON_PLAIN,
        model="OpenIDConnectConfiguration",
        raw=json.dumps(body, indent=2).encode("utf-8"),
        headers=oidc.cors_headers(request, oidc.redirect_uris(provider)),
    )


def provider_root(request: Request, _db: Database) -> Response:
    """GET /application/o/{slug}/ (the issuer URL): a relative 302 to discovery (25).

    Django's RedirectView(pattern_name=provider-info, query_string=True): no lookup, any slug.
    """
    location = f"/application/o/{request.params['slug']}/.well-known/openid-configuration"
    if request.query_string:
        location += f"?{request.query_string}"
    return redirect(location)


def jwks(request: Request, db: Database) -> Response:
    """GET /application/o/{slug}/jwks/: the signing key (none: {}), always ACAO * (25)."""
    found = oidc.bound(db, request.params["slug"])
    if found is None:
        return html_not_found(request)
    _app, provider = found
    # JWKSView is a plain JsonResponse: authentik_client has no model for it.
    body: dict[str, Any] = {}
    if provider.fields["signing_key"]:
        key = oidc_keys.signing_key()
        body["keys"] = [key.jwk(key.kid(request.version.kid))]
    return Response(200, body, content_type=JSON_PLAIN, headers=[("Access-Control-Allow-Origin", "*")])


_SLUG = r"/application/o/(?P<slug>[-a-zA-Z0-9_]+)/"
ROUTES = [
    route("GET", _SLUG + r"\.well-known/openid-configuration", discovery, Access.PUBLIC),
    route("GET", _SLUG + r"jwks/", jwks, Access.PUBLIC),
]
# Django's oauth2 urlconf lists <slug>/ after authorize/, token/, userinfo/... : routes/__init__.py
# puts this last so those fixed paths win.
ROOT_ROUTES = [route("GET", _SLUG, provider_root, Access.PUBLIC)]
