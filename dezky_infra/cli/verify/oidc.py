"""The OIDC protocol steps ``verify`` takes, as a browser and a consumer would, against one authentik.

Each step returns what it found (the discovery document, the JWKS keys, a code, the tokens, the claims)
or raises ``CheckFailed`` saying what it saw and which kind of fix that needs (``report.Fix``); it never
prints and knows nothing of the command line. authentik is lax where a checker might not be
(transcripts 27-28: PKCE not enforced, a public client's secret never checked, a code redeemable with
any registered URI): the steps check what matters to the consumer, not those. One login serves the whole
run (authorize is SSO once a session exists); ``log_out`` ends it through the brand's invalidation flow.
Codes, tokens and secrets are registered with the client's redaction, so no failure can show them.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import jwt

from dezky_infra.authentik.api import versions
from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.errors import AuthentikError
from dezky_infra.authentik.api.password_login import LOGOUT_FLOW, log_out, login_with_password
from dezky_infra.cli.verify.consumer import ConsumerView
from dezky_infra.cli.verify.report import ENV_FILE, FIX, CheckFailed, Fix
from dezky_infra.contract import OidcClientInfo, env_key

FLOW_INTERFACE: Final = "/if/flow/"
"""Where a browser runs a login flow: ``/if/flow/<slug>/?<query>`` (the executor takes that query)."""
UNREGISTERED_REDIRECT: Final = "https://dezky-verify.invalid/not-registered"
WRONG_SECRET: Final = "dezky-verify-wrong-secret"
"""A client secret nobody has: the token endpoint must refuse it."""
SCOPES: Final = "openid profile email"
CLOCK_LEEWAY_SECONDS: Final = 60
ENDPOINTS: Final = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")


class Unreachable(Exception):
    """authentik did not answer (connection refused, DNS, TLS not trusted): verify cannot run."""


@dataclass(frozen=True)
class Tokens:
    """What the token endpoint issued (both registered as secrets)."""

    access_token: str
    id_token: str


@dataclass(frozen=True)
class Authorization:
    """One authorize request as the consumer sends it, and the PKCE verifier it keeps."""

    params: dict[str, str]
    nonce: str
    verifier: str

    @classmethod
    def start(cls, client_id: str, redirect_uri: str, public: bool) -> Authorization:
        """Fresh ``state`` and ``nonce``; PKCE S256 for a public client."""
        nonce = secrets.token_urlsafe(16)
        verifier, challenge = pkce_pair() if public else ("", "")
        params = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPES,
            "state": secrets.token_urlsafe(16),
            "nonce": nonce,
            **({"code_challenge": challenge, "code_challenge_method": "S256"} if public else {}),
        }
        return cls(params, nonce, verifier)


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcFlow:
    """A browser and a consumer talking to one authentik (``server`` says which release it is)."""

    def __init__(
        self, settings: ConnectionSettings, server: versions.Server, connect_via: str | None = None
    ) -> None:
        self.client = AuthentikClient(settings, connect_via=connect_via)
        self.server = server
        """The authentik verified: its dialect says where authorize sends a browser to log in."""
        self.logged_in = False

    def close(self) -> None:
        """Close the connections."""
        self.client.close()

    # -- HTTP ------------------------------------------------------------------------------------
    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request to an absolute URL (no redirects followed); unreachable becomes ``Unreachable``."""
        try:
            return self.client.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            tls = self.client.tls_failure(exc)
            if tls is not None:
                raise Unreachable(str(tls)) from None
            raise Unreachable(
                f"authentik did not answer {method} {url}: {type(exc).__name__}: {exc}"
            ) from None

    @staticmethod
    def json_of(response: httpx.Response, what: str) -> dict[str, Any]:
        """The JSON object of a 200 answer, or ``CheckFailed`` saying what came instead."""
        if response.status_code != 200:
            raise CheckFailed(f"{what} answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise CheckFailed(f"{what} answered something other than JSON") from None
        if not isinstance(body, dict):
            raise CheckFailed(f"{what} answered something other than a JSON object")
        return body

    # -- the brand ---------------------------------------------------------------------------------
    def current_brand(self) -> str:
        """``core/brands/current/`` (AllowAny) on this host must name the brand of exactly this host."""
        host = urlsplit(self.client.settings.url).netloc
        url = f"{self.client.settings.api_root}/core/brands/current/"
        current = self.json_of(self.call("GET", url), f"the current brand at {url}")
        matched = current.get("matched_domain")
        if matched != host:
            raise CheckFailed(
                f"authentik serves Host {host} with the brand {matched!r}, not with the tenant's: the brand "
                f"is missing or its domain changed ({FIX}), or a proxy in front does not forward the Host "
                "header unchanged (port included)",
                Fix.REFRESH,
            )
        return f"{host} ({current.get('branding_title')!r})"

    # -- 1. discovery ------------------------------------------------------------------------------
    def discovery(self, issuer: str) -> dict[str, Any]:
        """The discovery document at the consumer's issuer; its ``issuer`` must be that exactly."""
        if not issuer.endswith("/"):
            raise CheckFailed(
                f"the issuer {issuer} does not end in '/': authentik's issuers always do; {FIX}", Fix.ENV
            )
        url = f"{issuer}.well-known/openid-configuration"
        response = self.call("GET", url)
        if response.status_code == 404:
            raise CheckFailed(
                f"no OIDC application answers at {issuer} (HTTP 404): the application is missing in "
                f"authentik or its slug changed; {FIX}",
                Fix.REFRESH,
            )
        document = self.json_of(response, f"discovery at {url}")
        if document.get("issuer") != issuer:
            raise CheckFailed(
                f"Issuer URL does not match: authentik names {document.get('issuer')!r} for requests to "
                f"{url}, the consumer uses {issuer!r}; {FIX}",
                Fix.PUBLIC_URL,
            )
        for endpoint in ENDPOINTS:
            if not isinstance(document.get(endpoint), str):
                raise CheckFailed(f"the discovery document at {url} names no {endpoint}")
        return document

    # -- 2. JWKS -------------------------------------------------------------------------------------
    def jwks(self, url: str) -> dict[str, Any]:
        """The signing keys of the JWKS by ``kid`` (PyJWT keys)."""
        body = self.json_of(self.call("GET", url), f"the JWKS at {url}")
        try:
            key_set = jwt.PyJWKSet.from_dict(body)
        except jwt.PyJWKSetError as exc:
            raise CheckFailed(f"the JWKS at {url} holds no usable key ({exc})") from None
        keys = {key.key_id: key for key in key_set.keys if key.key_id}
        if not keys:
            raise CheckFailed(f"the JWKS at {url} holds no key with a kid")
        return keys

    # -- 3. login ------------------------------------------------------------------------------------
    def authorize_code(self, endpoint: str, authorization: Authorization) -> str:
        """GET authorize (logging in once when there is no session yet); the code sent to the redirect URI."""
        params, redirect_uri = authorization.params, authorization.params["redirect_uri"]
        url = f"{endpoint}?{urlencode(params)}"
        response = self.call("GET", url)
        location: str = response.headers.get("location", "")
        login = self.server.dialect.login_redirect
        path = urlsplit(location).path if response.status_code == 302 else ""
        if path.startswith(login) and not self.logged_in:
            to = self.log_in(urljoin(url, location))
            response = self.call("GET", urljoin(url, to))
            location = response.headers.get("location", "")
        elif path.startswith(FLOW_INTERFACE) and not path.startswith(login):
            raise CheckFailed(
                f"authorize sent the browser to log in at {path}, where {self.server.name} sends it to "
                f"{login}: authentik's release is not what verify learned"
            )
        if response.status_code == 404 and login == FLOW_INTERFACE:
            raise CheckFailed(
                f"authorize answered HTTP 404: {self.server.name} plans the login flow of the brand that "
                f"serves {urlsplit(url).netloc} at authorize time, and that flow refuses the request (a "
                "source-only flow such as default-source-authentication?); give the brand "
                "default-authentication-flow as its authentication flow"
            )
        if response.status_code == 400:
            raise CheckFailed(
                f"authentik refuses the redirect URI {redirect_uri} (HTTP 400: not registered for client "
                f"{params['client_id']}, changed outside pulumi?); {FIX} to put it back",
                Fix.REFRESH,
            )
        if response.status_code != 302:
            raise CheckFailed(f"authorize answered HTTP {response.status_code} instead of a redirect")
        return self.code_from(location, authorization)

    def code_from(self, location: str, authorization: Authorization) -> str:
        """The code of authorize's redirect back to the consumer, checked against the request."""
        redirect_uri = authorization.params["redirect_uri"]
        query = parse_qs(urlsplit(location).query)
        if location.split("?", 1)[0] != redirect_uri.split("?", 1)[0]:
            raise CheckFailed(f"authorize redirected to {location.split('?', 1)[0]}, not to {redirect_uri}")
        if "error" in query:
            error = query["error"][0]
            raise CheckFailed(f"authorize answered error {error}: {query.get('error_description', [''])[0]}")
        if query.get("state") != [authorization.params["state"]]:
            raise CheckFailed("the redirect carried another state than the authorize request sent")
        codes = query.get("code")
        if not codes:
            raise CheckFailed(f"the redirect to {redirect_uri} carried no code")
        self.client.add_secret(codes[0])
        return codes[0]

    def log_in(self, login_url: str) -> str:
        """Run the login flow authorize sent the browser to, as the admin; where to go next.

        The flow interface (``/if/flow/<slug>/?<query>``) names the flow and the query its executor takes;
        before 2025.12 authorize sends the browser to the default login flow's redirect, which leads there.
        """
        location = urlsplit(login_url)
        if not location.path.startswith(FLOW_INTERFACE):
            hop = self.call("GET", login_url)
            location = urlsplit(hop.headers.get("location", "") if hop.status_code == 302 else "")
        parts = location.path.strip("/").split("/")
        if parts[:2] != ["if", "flow"] or len(parts) < 3:
            raise CheckFailed(f"the login redirect {login_url.split('?')[0]} did not lead to a login flow")
        try:
            to = login_with_password(self.client, flow=parts[2], query=location.query)
        except AuthentikError as failed:
            raise CheckFailed(self.client.redact(str(failed))) from None
        self.logged_in = True
        return to

    # -- 4. token --------------------------------------------------------------------------------------
    def exchange(
        self, endpoint: str, info: OidcClientInfo, view: ConsumerView, code: str, authorization: Authorization
    ) -> Tokens:
        """The authorization_code grant as the consumer sends it."""
        redirect_uri = authorization.params["redirect_uri"]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        auth: tuple[str, str] | None = None
        secret_key = env_key(info.env_prefix, "CLIENT_SECRET")
        if info.public:
            form.update(client_id=view.client_id, code_verifier=authorization.verifier)
        else:
            if view.secret is None:
                raise CheckFailed(f"{ENV_FILE} has no {secret_key}: {FIX}", Fix.ENV)
            self.client.add_secret(view.secret)
            if info.token_auth == "client_secret_post":
                form.update(client_id=view.client_id, client_secret=view.secret)
            else:
                auth = (view.client_id, view.secret)
        response = self.call("POST", endpoint, data=form, auth=auth)
        if response.status_code == 400:
            error = self.oauth_error(response)
            if error == "invalid_client" and not info.public:
                if secret_key in view.stale:
                    raise CheckFailed(
                        f"Client authentication failed (invalid_client): the client secret in {ENV_FILE} is "
                        f"stale: {FIX}",
                        Fix.ENV,
                    )
                raise CheckFailed(
                    "Client authentication failed (invalid_client): authentik holds another client secret "
                    f"than the stack (changed outside pulumi?): {FIX}",
                    Fix.REFRESH_THEN_ENV,
                )
            raise CheckFailed(f"the token endpoint refused the code: {error}")
        body = self.json_of(response, f"the token endpoint {endpoint}")
        for key in ("access_token", "id_token"):
            if not isinstance(body.get(key), str):
                raise CheckFailed(f"the token answer has no {key}")
            self.client.add_secret(body[key])
        return Tokens(body["access_token"], body["id_token"])

    @staticmethod
    def oauth_error(response: httpx.Response) -> str:
        """The ``error`` code of an OAuth2 error answer (authentik: 400 ``{error, error_description}``)."""
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}"
        return str(body.get("error", f"HTTP {response.status_code}")) if isinstance(body, dict) else "?"

    # -- 5. id_token and userinfo ----------------------------------------------------------------------
    @staticmethod
    def check_id_token(
        token: str, keys: Mapping[str, Any], discovery: Mapping[str, Any], view: ConsumerView, nonce: str
    ) -> dict[str, Any]:
        """The id_token's claims after checking signature, iss, aud, exp and nonce."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise CheckFailed("the id_token is not a JWT") from None
        key = keys.get(str(header.get("kid")))
        if key is None:
            raise CheckFailed(
                f"the id_token is signed with key {header.get('kid')!r}, which the JWKS at "
                f"{discovery['jwks_uri']} does not hold: the consumer could not verify it"
            )
        algorithms = [
            a for a in discovery.get("id_token_signing_alg_values_supported", ["RS256"]) if a != "none"
        ]
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=algorithms,
                audience=view.client_id,
                issuer=view.issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidIssuerError:
            actual = jwt.decode(token, options={"verify_signature": False}).get("iss")
            raise CheckFailed(
                f"Issuer URL does not match: the token's iss is {actual!r}, the consumer expects "
                f"{view.issuer!r}; the consumer must call authentik by the public URL: {FIX}",
                Fix.PUBLIC_URL,
            ) from None
        except jwt.InvalidAudienceError:
            raise CheckFailed(f"the id_token's aud is not {view.client_id}") from None
        except jwt.ExpiredSignatureError:
            raise CheckFailed("the id_token had expired on arrival: check the clocks") from None
        except jwt.InvalidTokenError as exc:
            raise CheckFailed(f"the id_token does not verify: {type(exc).__name__}") from None
        if claims.get("nonce") != nonce:
            raise CheckFailed("the id_token carries another nonce than the authorize request sent")
        return claims

    def userinfo(self, endpoint: str, access_token: str, subject: str) -> str:
        """Userinfo answers for the access token, about the id_token's ``subject``; the username it names."""
        response = self.call("GET", endpoint, headers={"Authorization": f"Bearer {access_token}"})
        body = self.json_of(response, f"userinfo at {endpoint}")
        if body.get("sub") != subject:
            raise CheckFailed("userinfo answers for another subject than the id_token's")
        return str(body.get("preferred_username", "the user"))

    # -- 6. what must fail ---------------------------------------------------------------------------
    def unregistered(self, discovery: Mapping[str, Any], view: ConsumerView) -> str:
        """authorize with a redirect URI nobody registered must be refused (a 400 page, never a redirect)."""
        params = {
            "client_id": view.client_id,
            "redirect_uri": UNREGISTERED_REDIRECT,
            "response_type": "code",
            "scope": SCOPES,
            "state": secrets.token_urlsafe(8),
        }
        response = self.call("GET", f"{discovery['authorization_endpoint']}?{urlencode(params)}")
        if response.status_code == 400:
            return "HTTP 400"
        location = response.headers.get("location", "")
        if location.startswith(UNREGISTERED_REDIRECT):
            raise CheckFailed(
                f"authentik redirected to the unregistered {UNREGISTERED_REDIRECT}: the provider's redirect "
                "URIs match too much (a regex?); declare exact (strict) URIs"
            )
        raise CheckFailed(f"authorize answered HTTP {response.status_code} instead of refusing it")

    def wrong_secret(self, discovery: Mapping[str, Any], info: OidcClientInfo, view: ConsumerView) -> str:
        """The token endpoint must refuse a wrong secret (client authentication is checked first)."""
        form = {
            "grant_type": "authorization_code",
            "code": "dezky-verify-no-code",
            "redirect_uri": info.redirect_uris[0],
        }
        response = self.call(
            "POST", discovery["token_endpoint"], data=form, auth=(view.client_id, WRONG_SECRET)
        )
        error = self.oauth_error(response) if response.status_code == 400 else f"HTTP {response.status_code}"
        if error != "invalid_client":
            raise CheckFailed(f"the token endpoint answered {error} to a wrong secret, not invalid_client")
        return "invalid_client"

    # -- the session ---------------------------------------------------------------------------------
    def log_out(self) -> str:
        """End the session through the invalidation flow, so nothing is left behind (transcript 26)."""
        try:
            log_out(self.client)
        except AuthentikError as failed:
            raise CheckFailed(self.client.redact(str(failed))) from None
        self.logged_in = False
        return f"via {LOGOUT_FLOW}"
