"""``python -m dezky_infra verify``: prove that a user can log in to every OIDC client of the stack.

A green ``pulumi up`` proves that authentik holds the providers and applications; this proves that SSO
works, the way a browser and each consumer would do it, against the live authentik:

1. discovery at ``<issuer>.well-known/openid-configuration`` names exactly the issuer the consumer has;
2. the JWKS answers and holds the key that signs the client's tokens;
3. an authorization-code login as the bootstrap admin for every registered redirect URI: authorize
   (``state``, ``nonce``, PKCE S256 for a public client), the login flow through authentik's flow
   executor, and the redirect carrying the code back to that exact URI;
4. the token exchange with the credentials the consumer has (the client secret from ``.env``; none and
   the PKCE verifier for a public client);
5. the id_token: RS256 signature checked with the JWKS (PyJWT), ``iss``, ``aud``, ``nonce``, ``exp``;
   userinfo answers for the access token;
6. what must fail does: an unregistered redirect URI is refused, and so is a wrong client secret.

authentik is lax where a checker might not be (transcripts 27-28: PKCE not enforced, a public client's
secret never checked, a code redeemable with any registered URI): verify checks what matters to the
consumer, not those. One login serves the whole run (authorize is SSO once a session exists), and the
session is ended through the brand's invalidation flow at the end, so a second run starts clean. No
secret, code or token is ever printed: lines carry URIs, client ids and authentik's error codes.

Exit status: 0 when every check passed, 1 when one failed (each failure says the fix), 2 when authentik
could not be reached or the stack cannot be read (one line).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import socket
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import jwt
from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, SecretStr

from dezky_infra.authentik import versions
from dezky_infra.authentik.client import AuthentikClient
from dezky_infra.authentik.connection import CONFIG_KEYS, CONFIG_NAMESPACE, ConnectionSettings
from dezky_infra.authentik.errors import AuthentikError
from dezky_infra.authentik.password_login import LOGOUT_FLOW, log_out, login_with_password
from dezky_infra.oidc_clients import TokenAuth, env_key, output_name
from dezky_infra.stack_reader import StackOutputError, read_stack_config, read_stack_outputs
from dezky_infra.tenancy import tenant_env_key, tenant_urls

FLOW_INTERFACE: Final = "/if/flow/"
"""Where a browser runs a login flow: ``/if/flow/<slug>/?<query>`` (the executor takes that query)."""
UNREGISTERED_REDIRECT: Final = "https://dezky-verify.invalid/not-registered"
WRONG_SECRET: Final = "dezky-verify-wrong-secret"
"""A client secret nobody has: the token endpoint must refuse it."""
SCOPES: Final = "openid profile email"
CLOCK_LEEWAY_SECONDS: Final = 60


class OidcClientInfo(BaseModel):
    """One OIDC client as the stack exports it (output ``oidc_clients``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    client_id: str
    issuer: str
    redirect_uris: tuple[str, ...]
    public: bool
    token_auth: TokenAuth = "client_secret_basic"
    env_prefix: str


@dataclass(frozen=True)
class Check:
    """The outcome of one check: what was checked, and on failure what to do."""

    client: str
    what: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        """``ok    portal: discovery ...`` or ``FAIL  portal: ... — <fix>``."""
        text = f"{'ok  ' if self.ok else 'FAIL'}  {self.client}: {self.what}"
        return f"{text}: {self.detail}" if self.detail else text


class Unreachable(Exception):
    """authentik did not answer (connection refused, DNS, TLS not trusted): verify cannot run."""


class CheckFailed(Exception):
    """A check failed; the message says what was seen and the fix."""


@dataclass
class ConsumerView:
    """What a consumer of one client has: ``.env`` values, with the stack outputs as the fallback."""

    client_id: str
    issuer: str
    secret: str | None
    stale: list[str] = field(default_factory=list)
    """``.env`` keys whose values differ from the stack outputs."""


def consumer_view(
    info: OidcClientInfo, env: Mapping[str, str | None], output_secret: str | None
) -> ConsumerView:
    """The client id, issuer and secret the consumer reads from ``.env``, and which of them are stale."""
    view = ConsumerView(
        client_id=env.get(env_key(info.env_prefix, "CLIENT_ID")) or info.client_id,
        issuer=env.get(env_key(info.env_prefix, "ISSUER")) or info.issuer,
        secret=env.get(env_key(info.env_prefix, "CLIENT_SECRET")) or None,
    )
    for key, value, expected in (
        ("CLIENT_ID", view.client_id, info.client_id),
        ("ISSUER", view.issuer, info.issuer),
        ("CLIENT_SECRET", view.secret, None if info.public else output_secret),
    ):
        if expected is not None and value != expected:
            view.stale.append(env_key(info.env_prefix, key))
    return view


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Verifier:
    """Runs the checks against one authentik, logging in once for all clients."""

    def __init__(
        self,
        settings: ConnectionSettings,
        server: versions.Server,
        stack: str,
        env_file: Path,
        checks: list[Check] | None = None,
        connect_via: str | None = None,
    ) -> None:
        self.client = AuthentikClient(settings, connect_via=connect_via)
        self.server = server
        """The authentik verified: its dialect says where authorize sends a browser to log in."""
        self.stack = stack
        self.env_file = env_file
        self.logged_in = False
        self.checks = [] if checks is None else checks
        """Where each check is recorded (a list the verifiers of one run share)."""

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

    def json_of(self, response: httpx.Response, what: str) -> dict[str, Any]:
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

    # -- running checks ----------------------------------------------------------------------------
    def record(self, client: str, what: str, run: Callable[[], str]) -> bool:
        """Run one check, record and print its line; True when it passed."""
        try:
            detail = run()
        except CheckFailed as failed:
            check = Check(client, what, ok=False, detail=str(failed))
        except AuthentikError as failed:
            check = Check(client, what, ok=False, detail=self.client.redact(str(failed)))
        else:
            check = Check(client, what, ok=True, detail=detail)
        self.checks.append(check)
        print(check.line(), flush=True)
        return check.ok

    def verify_client(self, name: str, info: OidcClientInfo, view: ConsumerView) -> None:
        """All checks of one client, in order; a failed step skips the steps that need it."""
        if view.stale:
            self.record(name, f"{self.env_file} matches the stack", lambda: self.stale_env(view.stale))
        discovery = self.verify_sso(name, info, view, info.redirect_uris)
        if discovery is None:
            return
        self.record(
            name, "an unregistered redirect URI is refused", lambda: self.unregistered(discovery, view)
        )
        if not info.public:
            self.record(
                name, "a wrong client secret is refused", lambda: self.wrong_secret(discovery, info, view)
            )

    def verify_sso(
        self, name: str, info: OidcClientInfo, view: ConsumerView, redirect_uris: Sequence[str]
    ) -> dict[str, Any] | None:
        """Discovery, JWKS and a login per redirect URI; the discovery document, None if it failed."""
        discovery: dict[str, Any] = {}

        def discover() -> str:
            discovery.update(self.discovery(view.issuer))
            return f"issuer {view.issuer}"

        if not self.record(name, "discovery", discover):
            return None
        keys: dict[str, Any] = {}

        def jwks() -> str:
            keys.update(self.jwks(discovery["jwks_uri"]))
            return f"{len(keys)} signing key(s) at {discovery['jwks_uri']}"

        if not self.record(name, "JWKS", jwks):
            return None
        for redirect_uri in redirect_uris:
            self.verify_login(name, info, view, discovery, keys, redirect_uri)
        return discovery

    def verify_tenant(
        self, slug: str, stale: Sequence[str], name: str, info: OidcClientInfo, view: ConsumerView
    ) -> None:
        """Through the tenant's brand host (this verifier's URL): its brand answers there, and a login to
        client ``name`` works with the issuer built from that host (``view`` names the client on the
        stack's main host; the one redirect URI the login needs is its first)."""
        label = f"tenant {slug}"
        if stale:
            self.record(label, f"{self.env_file} matches the stack", lambda: self.stale_env(stale))
        if not self.record(label, "its brand serves its host", self.brand):
            return
        main = base_of(view.issuer)
        on_host = ConsumerView(
            client_id=view.client_id,
            issuer=self.client.settings.url + view.issuer[len(main) :],
            secret=view.secret,
        )
        self.verify_sso(f"{label} {name}", info, on_host, info.redirect_uris[:1])

    def brand(self) -> str:
        """``core/brands/current/`` (AllowAny) on this host must name the brand of exactly this host."""
        host = urlsplit(self.client.settings.url).netloc
        url = f"{self.client.settings.api_root}/core/brands/current/"
        current = self.json_of(self.call("GET", url), f"the current brand at {url}")
        matched = current.get("matched_domain")
        if matched != host:
            raise CheckFailed(
                f"authentik serves Host {host} with the brand {matched!r}, not with the tenant's: the brand "
                "is missing or its domain changed (run `pulumi up --refresh`), or a proxy in front does not "
                "forward the Host header unchanged (port included)"
            )
        return f"{host} ({current.get('branding_title')!r})"

    def stale_env(self, stale: Sequence[str]) -> str:
        """The failure of a ``.env`` whose ``stale`` keys differ from the stack outputs."""
        raise CheckFailed(
            f"the .env file is stale ({', '.join(stale)} not as in the stack outputs): run "
            f"`python -m dezky_infra env --stack {self.stack}`"
        )

    # -- 1. discovery ------------------------------------------------------------------------------
    def discovery(self, issuer: str) -> dict[str, Any]:
        """The discovery document at the consumer's issuer; its ``issuer`` must be that exactly."""
        url = f"{issuer}.well-known/openid-configuration" if issuer.endswith("/") else ""
        if not url:
            raise CheckFailed(
                f"the issuer {issuer} does not end in '/': authentik's issuers always do; "
                f"run `python -m dezky_infra env --stack {self.stack}`"
            )
        response = self.call("GET", url)
        if response.status_code == 404:
            raise CheckFailed(
                f"no OIDC application answers at {issuer} (HTTP 404): the application is missing in "
                "authentik or its slug changed; run `pulumi up --refresh`"
            )
        document = self.json_of(response, f"discovery at {url}")
        if document.get("issuer") != issuer:
            raise CheckFailed(
                f"Issuer URL does not match: authentik names {document.get('issuer')!r} for requests to "
                f"{url}, the consumer uses {issuer!r}; set `{CONFIG_NAMESPACE}:authentikPublicUrl` to the "
                "URL browsers use for authentik (the proxy in front must forward Host and X-Forwarded-Proto)"
            )
        for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
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

    # -- 3-5. login, token, id_token, userinfo --------------------------------------------------------
    def verify_login(
        self,
        name: str,
        info: OidcClientInfo,
        view: ConsumerView,
        discovery: Mapping[str, Any],
        keys: Mapping[str, Any],
        redirect_uri: str,
    ) -> None:
        """Login, token exchange, id_token and userinfo for one redirect URI."""
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        verifier, challenge = pkce_pair() if info.public else ("", "")
        params = {
            "client_id": view.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPES,
            "state": state,
            "nonce": nonce,
            **({"code_challenge": challenge, "code_challenge_method": "S256"} if info.public else {}),
        }
        got: dict[str, Any] = {}

        def login() -> str:
            first = not self.logged_in
            got["code"] = self.authorize_code(discovery["authorization_endpoint"], params, redirect_uri)
            how = f"logged in as {self.client.settings.username}" if first else "the same session (SSO)"
            return f"{how}; the code and state came back to that URI"

        if not self.record(name, f"login via {redirect_uri}", login):
            return

        def token() -> str:
            got.update(
                self.exchange(discovery["token_endpoint"], info, view, got["code"], redirect_uri, verifier)
            )
            how = (
                "PKCE, no secret (public client)"
                if info.public
                else f"the client secret from {self.env_file} ({info.token_auth})"
            )
            return f"tokens issued for {how}"

        if not self.record(name, "token exchange", token):
            return

        def id_token() -> str:
            claims = self.check_id_token(got["id_token"], keys, discovery, view, nonce)
            got["sub"] = claims["sub"]
            return f"RS256 signature (kid from the JWKS), iss, aud {view.client_id}, nonce, exp"

        if self.record(name, "id_token", id_token):
            self.record(name, "userinfo", lambda: self.userinfo(discovery["userinfo_endpoint"], got))

    def authorize_code(self, endpoint: str, params: Mapping[str, str], redirect_uri: str) -> str:
        """GET authorize (logging in once when there is no session yet); the code sent to ``redirect_uri``."""
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
                f"{params['client_id']}, changed outside pulumi?); run `pulumi up --refresh` to put it back"
            )
        if response.status_code != 302:
            raise CheckFailed(f"authorize answered HTTP {response.status_code} instead of a redirect")
        target = urlsplit(location)
        query = parse_qs(target.query)
        if location.split("?", 1)[0] != redirect_uri.split("?", 1)[0]:
            raise CheckFailed(f"authorize redirected to {location.split('?', 1)[0]}, not to {redirect_uri}")
        if "error" in query:
            error = query["error"][0]
            raise CheckFailed(f"authorize answered error {error}: {query.get('error_description', [''])[0]}")
        if query.get("state") != [params["state"]]:
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
        to = login_with_password(self.client, flow=parts[2], query=location.query)
        self.logged_in = True
        return to

    def exchange(
        self,
        endpoint: str,
        info: OidcClientInfo,
        view: ConsumerView,
        code: str,
        redirect_uri: str,
        verifier: str,
    ) -> dict[str, Any]:
        """The authorization_code grant as the consumer sends it."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        auth: tuple[str, str] | None = None
        if info.public:
            form.update(client_id=view.client_id, code_verifier=verifier)
        else:
            if view.secret is None:
                raise CheckFailed(
                    f"{self.env_file} has no {env_key(info.env_prefix, 'CLIENT_SECRET')}: run "
                    f"`python -m dezky_infra env --stack {self.stack}`"
                )
            self.client.add_secret(view.secret)
            if info.token_auth == "client_secret_post":
                form.update(client_id=view.client_id, client_secret=view.secret)
            else:
                auth = (view.client_id, view.secret)
        response = self.call("POST", endpoint, data=form, auth=auth)
        if response.status_code == 400:
            error = self.oauth_error(response)
            if error == "invalid_client" and not info.public:
                fix = (
                    f"the client secret in {self.env_file} is stale: run `python -m dezky_infra env --stack "
                    f"{self.stack}`"
                    if env_key(info.env_prefix, "CLIENT_SECRET") in view.stale
                    else "authentik holds another client secret than the stack (changed outside pulumi?): "
                    f"run `pulumi up --refresh`, then `python -m dezky_infra env --stack {self.stack}`"
                )
                raise CheckFailed(f"Client authentication failed (invalid_client): {fix}")
            raise CheckFailed(f"the token endpoint refused the code: {error}")
        body = self.json_of(response, f"the token endpoint {endpoint}")
        for key in ("access_token", "id_token"):
            if not isinstance(body.get(key), str):
                raise CheckFailed(f"the token answer has no {key}")
            self.client.add_secret(body[key])
        return {"access_token": body["access_token"], "id_token": body["id_token"]}

    @staticmethod
    def oauth_error(response: httpx.Response) -> str:
        """The ``error`` code of an OAuth2 error answer (authentik: 400 ``{error, error_description}``)."""
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}"
        return str(body.get("error", f"HTTP {response.status_code}")) if isinstance(body, dict) else "?"

    def check_id_token(
        self,
        token: str,
        keys: Mapping[str, Any],
        discovery: Mapping[str, Any],
        view: ConsumerView,
        nonce: str,
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
                f"{view.issuer!r}; the consumer must call authentik by the public URL (set "
                f"`{CONFIG_NAMESPACE}:authentikPublicUrl` to it)"
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

    def userinfo(self, endpoint: str, got: Mapping[str, Any]) -> str:
        """Userinfo answers for the access token, about the id_token's subject."""
        response = self.call("GET", endpoint, headers={"Authorization": f"Bearer {got['access_token']}"})
        body = self.json_of(response, f"userinfo at {endpoint}")
        if body.get("sub") != got["sub"]:
            raise CheckFailed("userinfo answers for another subject than the id_token's")
        return f"answers for the access token ({body.get('preferred_username', 'the user')})"

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
    def log_out(self) -> None:
        """End the session through the invalidation flow, so nothing is left behind (transcript 26)."""
        if not self.logged_in:
            return

        def run() -> str:
            log_out(self.client)
            self.logged_in = False
            return f"via {LOGOUT_FLOW}"

        self.record("session", "logged out", run)


def load_clients(outputs: Mapping[str, str]) -> dict[str, OidcClientInfo]:
    """The ``oidc_clients`` stack output, validated."""
    raw = outputs.get("oidc_clients")
    if raw is None:
        raise StackOutputError(
            "the stack has no output oidc_clients; run `pulumi up` with this version first"
        )
    try:
        parsed = json.loads(raw)
        return {name: OidcClientInfo.model_validate(entry) for name, entry in parsed.items()}
    except (ValueError, AttributeError):
        raise StackOutputError("the stack output oidc_clients is not what this version writes") from None


def connection_settings(config: Mapping[str, str], base_url: str, cwd: Path) -> ConnectionSettings:
    """How to reach authentik's public URL: TLS and patience from stack config, the admin's password."""
    values = dict(config)
    values[f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['url']}"] = base_url
    values.pop(f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['token']}", None)  # a browser login, not the API token
    bundle_key = f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['ca_bundle']}"
    if values.get(bundle_key):
        values[bundle_key] = str(cwd / values[bundle_key])  # relative to the project, like the program
    settings = ConnectionSettings.from_stack_config(values)
    if settings.bootstrap_password is None:
        key = f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['bootstrap_password']}"
        raise StackOutputError(f"stack config `{key}` is not set: verify logs in as akadmin with it")
    return settings


def learn_server(config: Mapping[str, str], settings: ConnectionSettings) -> versions.Server:
    """The authentik behind ``settings`` (its release, asked with the stack's API token; without one
    that works, what the anonymous current brand tells). An untested release is said in one line."""
    token = config.get(f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['token']}")
    with_token = settings.model_copy(update={"token": SecretStr(token) if token else None})
    with AuthentikClient(with_token) as client:
        return versions.learn(client, lambda warning: print(f"verify: warning: {warning}", flush=True))


def base_of(issuer: str) -> str:
    """authentik's base URL from an issuer ``<base>/application/o/<slug>/``."""
    base, found, _ = issuer.partition("/application/o/")
    if not found:
        raise StackOutputError(f"the issuer {issuer} is not an authentik application issuer")
    return base


def read_env(path: Path) -> dict[str, str | None]:
    """The ``.env`` values as the consumers read them (python-dotenv); empty when there is no file."""
    return dict(dotenv_values(path)) if path.exists() else {}


def resolves(host: str) -> bool:
    """Whether this machine resolves ``host`` (``/etc/hosts`` or DNS)."""
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return True


def run(stack: str, cwd: Path, env_file: Path) -> int:
    """Every check for every client, then one login through the first tenant's brand host; the exit status."""
    outputs = read_stack_outputs(stack, cwd)
    clients = load_clients(outputs)
    tenants = tenant_urls(outputs)
    config = read_stack_config(stack, cwd)
    env = read_env(env_file)
    bases = {base_of(info.issuer) for info in clients.values()}
    if len(bases) != 1:
        raise StackOutputError(
            f"the clients' issuers name more than one authentik: {', '.join(sorted(bases))}"
        )
    base = bases.pop()
    checks: list[Check] = []
    views = {
        name: consumer_view(info, env, outputs.get(output_name(info.env_prefix, "CLIENT_SECRET")))
        for name, info in clients.items()
    }
    settings = connection_settings(config, base, cwd)
    server = learn_server(config, settings)
    print(f"verify: stack {stack}, {server.name} at {base}, {len(clients)} OIDC client(s)", flush=True)
    with closing_verifier(Verifier(settings, server, stack, env_file, checks)) as main:
        for name, info in clients.items():
            main.verify_client(name, info, views[name])
    if tenants and clients:
        slug, output_url = next(iter(tenants.items()))
        key = tenant_env_key(slug)
        url = env.get(key) or output_url
        host = urlsplit(url).hostname or ""
        via = None if resolves(host) else base
        if via is not None:
            print(
                f"verify: {host} does not resolve on this machine; reaching it through {via} with Host "
                f"{urlsplit(url).netloc} (browsers need the name in /etc/hosts or DNS)",
                flush=True,
            )
        name, info = next(iter(clients.items()))
        tenant_settings = connection_settings(config, url, cwd)
        tenant = Verifier(tenant_settings, server, stack, env_file, checks, connect_via=via)
        with closing_verifier(tenant):
            tenant.verify_tenant(slug, [key] if url != output_url else [], name, info, views[name])
    failed = [check for check in checks if not check.ok]
    if failed:
        print(f"verify: {len(failed)} of {len(checks)} checks FAILED", flush=True)
        return 1
    print(f"verify: all {len(checks)} checks passed", flush=True)
    return 0


@contextmanager
def closing_verifier(verifier: Verifier) -> Iterator[Verifier]:
    """The verifier, logged out and closed however its checks end."""
    try:
        yield verifier
    finally:
        try:
            verifier.log_out()
        finally:
            verifier.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m dezky_infra verify --stack S [--cwd DIR] [--env-file .env]``."""
    parser = argparse.ArgumentParser(
        prog="python -m dezky_infra verify",
        description="Log in to every OIDC client of the stack the way a browser and its consumer would.",
    )
    parser.add_argument("--stack", required=True, help="the stack, e.g. dev")
    parser.add_argument("--cwd", type=Path, default=Path(), help="Pulumi project directory (default: .)")
    parser.add_argument(
        "--env-file", type=Path, default=Path(".env"), help="the consumers' .env (default: .env)"
    )
    args = parser.parse_args(argv)
    try:
        return run(args.stack, args.cwd.resolve(), args.env_file)
    except (StackOutputError, AuthentikError) as error:
        print(f"verify: error: {error}", file=sys.stderr)
    except Unreachable as error:
        print(f"verify: authentik is unreachable: {error}", file=sys.stderr)
    return 2
