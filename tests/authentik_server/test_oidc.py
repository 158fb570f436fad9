"""OIDC behaviour beyond the literal transcripts: what a real client does with the local server.

A headless login through authorize and the flow executor for the confidential and the public client
(as in 26/27), PKCE and single-use codes, iss following the Host, tokens verified with the JWKS via
PyJWT, refresh rotation, expiry through the server clock, and logout ending the session and its tokens.
Every test runs against both versions; where they differ (the login's first redirect, the challenge
keys, jti, the kid) each version's recorded behaviour is asserted.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest

from tests.authentik_server import oidc_keys, versions
from tests.authentik_server.conftest import PASSWORD, TOKEN
from tests.authentik_server.server import AuthentikServer

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PORTAL_CALLBACK = "https://app.test/api/auth/callback"
FILES_CALLBACK = "https://files.test/oidc-callback"
VERIFIER = "test-pkce-verifier-0123456789abcdefghijklmnopqrstuvwxyz-0123456789"
PROXY = {"Host": "auth.test", "X-Forwarded-Proto": "https"}


@dataclass(frozen=True)
class Client:
    """One OAuth2 provider bound to an application."""

    slug: str
    client_id: str
    client_secret: str
    redirect_uri: str

    @property
    def basic(self) -> dict[str, str]:
        """client_secret_basic."""
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def _lookup(api: httpx.Client, path: str, **query: str) -> str:
    results = api.get(path, params=query).json()["results"]
    assert len(results) == 1, results
    return str(results[0]["pk"])


def _client(
    api: httpx.Client, slug: str, client_type: str, redirect_uri: str, scopes: tuple[str, ...]
) -> Client:
    """Provider and application as the project creates them (25)."""
    mappings = [_lookup(api, "/api/v3/propertymappings/provider/scope/", scope_name=s) for s in scopes]
    client_id = f"{slug}-client"
    body = {
        "name": f"{slug}-provider",
        "client_id": client_id,
        "client_type": client_type,
        "authorization_flow": _lookup(
            api, "/api/v3/flows/instances/", slug="default-provider-authorization-implicit-consent"
        ),
        "invalidation_flow": _lookup(
            api, "/api/v3/flows/instances/", slug="default-provider-invalidation-flow"
        ),
        "signing_key": _lookup(api, "/api/v3/crypto/certificatekeypairs/", name=oidc_keys.KEYPAIR_NAME),
        "property_mappings": mappings,
        "redirect_uris": [{"matching_mode": "strict", "url": redirect_uri}],
        "sub_mode": "hashed_user_id",
        "issuer_mode": "per_provider",
    }
    provider = api.post("/api/v3/providers/oauth2/", json=body)
    assert provider.status_code == 201, provider.text
    app = {"name": slug, "slug": slug, "provider": provider.json()["pk"]}
    assert api.post("/api/v3/core/applications/", json=app).status_code == 201
    return Client(slug, client_id, provider.json()["client_secret"], redirect_uri)


def _setup(server: AuthentikServer) -> tuple[Client, Client]:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as api:
        portal = _client(api, "portal", "confidential", PORTAL_CALLBACK, ("openid", "email", "profile"))
        files = _client(
            api, "files", "public", FILES_CALLBACK, ("openid", "email", "profile", "offline_access")
        )
    return portal, files


@pytest.fixture(scope="module", params=sorted(versions.VERSIONS))
def server(request: pytest.FixtureRequest) -> Iterator[AuthentikServer]:
    """One server per version (overrides conftest's default-version server in this module)."""
    with AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD, version=request.param) as srv:
        yield srv


@pytest.fixture(scope="module")
def clients(server: AuthentikServer) -> tuple[Client, Client]:
    """dezky-portal-like confidential and ocis-like public clients (the public one has offline_access)."""
    return _setup(server)


@pytest.fixture
def browser(server: AuthentikServer) -> Iterator[httpx.Client]:
    """A cookie-keeping client that does not follow redirects (a headless browser)."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def _authorize_url(client: Client, **extra: str) -> str:
    query = {
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "response_type": "code",
        "scope": "openid profile email",
        "state": "the-state",
        "nonce": "the-nonce",
        **extra,
    }
    return "/application/o/authorize/?" + urlencode(query)


def _flow_interface(browser: httpx.Client, authorize: str) -> str:
    """authorize without a session -> the login flow's interface URL, as each version gets there (26 [0]).

    2025.10: /flows/-/default/authentication/?next=<authorize>, which 302s to the interface with next;
    2026.2: straight to the interface with the authorize query and next.
    """
    first = browser.get(authorize)
    assert first.status_code == 302
    location = first.headers["location"]
    if location.startswith("/flows/-/default/authentication/"):
        assert location.startswith("/flows/-/default/authentication/?next=/application/o/authorize/")
        interface = browser.get(location)
        assert interface.status_code == 302
        location = interface.headers["location"]
        assert location.startswith("/if/flow/default-authentication-flow/?next=")
        return str(location)
    assert location.startswith("/if/flow/default-authentication-flow/?client_id=")
    assert parse_qs(urlsplit(location).query)["next"] == [authorize]
    return str(location)


def _login_through_authorize(browser: httpx.Client, authorize: str) -> str:
    """authorize -> default authentication flow -> authorize again (26); returns the final Location."""
    interface = _flow_interface(browser, authorize)
    executor = "/api/v3/flows/executor/default-authentication-flow/?" + urlencode(
        {"query": urlsplit(interface).query}
    )
    identification = browser.get(executor).json()
    assert identification["component"] == "ak-stage-identification"
    assert "application_pre" in identification
    if "pending_user_identifier" in identification:  # 2026.2 (26 [1])
        assert str(identification["application_pre_launch"]).startswith("https://")  # the app's launch URL
        assert identification["flow_info"]["cancel_url"] == "/flows/-/cancel/?" + urlencode(
            {"next": authorize}
        )
    assert browser.post(
        executor, json={"component": "ak-stage-identification", "uid_field": "akadmin"}
    ).is_redirect
    assert browser.get(executor).json()["component"] == "ak-stage-password"
    assert browser.post(executor, json={"component": "ak-stage-password", "password": PASSWORD}).is_redirect
    assert browser.get(executor).is_redirect
    done = browser.get(executor).json()
    assert done == {"component": "xak-flow-redirect", "to": authorize}
    return _authorize(browser, authorize)


def _authorize(browser: httpx.Client, authorize: str) -> str:
    response = browser.get(authorize)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def _code(location: str, client: Client) -> str:
    assert location.startswith(client.redirect_uri + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["the-state"]
    return query["code"][0]


def _token(
    server: AuthentikServer, form: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.post(server.url + "/application/o/token/", data=form, headers=headers or {}, timeout=10)


def _verified(server: AuthentikServer, client: Client, token: str, issuer: str) -> dict[str, Any]:
    """PyJWT verification with the key the JWKS publishes."""
    jwks = httpx.get(f"{server.url}/application/o/{client.slug}/jwks/", timeout=10).json()
    key = jwt.PyJWKSet.from_dict(jwks).keys[0]
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["RS256"], audience=client.client_id, issuer=issuer
    )
    return claims


def _redeem(server: AuthentikServer, client: Client, code: str, **extra: str) -> httpx.Response:
    """Exchange a code: client_secret_basic, unless ``extra`` authenticates in the form."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri, **extra}
    return _token(server, form, None if "client_id" in extra else client.basic)


def test_confidential_client_headless_login(
    server: AuthentikServer, clients: tuple[Client, Client], browser: httpx.Client
) -> None:
    portal, _files = clients
    code = _code(_login_through_authorize(browser, _authorize_url(portal)), portal)
    response = _redeem(server, portal, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert list(body) == ["access_token", "token_type", "scope", "expires_in", "id_token"]
    assert (body["token_type"], body["expires_in"], set(body["scope"].split())) == (
        "Bearer",
        3600,
        {"openid", "profile", "email"},
    )
    issuer = f"{server.url}/application/o/portal/"
    id_token = _verified(server, portal, body["id_token"], issuer)
    access = _verified(server, portal, body["access_token"], issuer)
    session_key = browser.cookies["authentik_session"]
    assert id_token["sid"] == hashlib.sha256(session_key.encode()).hexdigest()
    assert id_token["nonce"] == "the-nonce"
    assert id_token["exp"] - id_token["iat"] == 3600
    assert id_token["preferred_username"] == "akadmin"
    assert id_token["groups"] == ["authentik Admins"]
    assert {key: access.pop(key) for key in ("azp", "uid", "scope")}["azp"] == portal.client_id
    assert access == id_token  # on 2026.2 the same jti in both (26 [8])
    jti = id_token.get("jti")
    if server.version.jwt_jti:
        assert isinstance(jti, str) and len(jti) == 40 and list(id_token).index("jti") == 10
    else:
        assert jti is None
    info = httpx.get(
        server.url + "/application/o/userinfo/", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.json()["sub"] == id_token["sub"] and info.json()["nonce"] == "the-nonce"
    # SSO: a second authorize with the session answers with a code at once
    assert _code(_authorize(browser, _authorize_url(portal, state="the-state")), portal)


def test_codes_are_single_use_and_need_the_secret(
    server: AuthentikServer, clients: tuple[Client, Client], browser: httpx.Client
) -> None:
    portal, _files = clients
    code = _code(_login_through_authorize(browser, _authorize_url(portal)), portal)
    wrong = _redeem(server, portal, code, client_id=portal.client_id, client_secret="wrong")
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_client")
    post = _redeem(server, portal, code, client_id=portal.client_id, client_secret=portal.client_secret)
    assert post.status_code == 200  # client_secret_post; the failed attempt spent nothing
    again = _redeem(server, portal, code)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert "www-authenticate" not in again.headers


def test_public_client_with_pkce(
    server: AuthentikServer, clients: tuple[Client, Client], browser: httpx.Client
) -> None:
    _portal, files = clients
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")
    authorize = _authorize_url(files, code_challenge=challenge, code_challenge_method="S256")
    code = _code(_login_through_authorize(browser, authorize), files)
    public = {"client_id": files.client_id}
    missing = _redeem(server, files, code, **public)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_grant")
    wrong = _redeem(server, files, code, code_verifier="not-the-verifier", **public)
    assert wrong.json()["error"] == "invalid_grant"
    ok = _redeem(server, files, code, code_verifier=VERIFIER, client_secret="never-checked", **public)
    assert ok.status_code == 200, ok.text
    claims = _verified(server, files, ok.json()["id_token"], f"{server.url}/application/o/files/")
    assert claims["aud"] == files.client_id
    plain = _code(_authorize(browser, _authorize_url(files, code_challenge="plain-challenge")), files)
    assert _redeem(server, files, plain, code_verifier=VERIFIER, **public).json()["error"] == "invalid_grant"
    assert _redeem(server, files, plain, code_verifier="plain-challenge", **public).status_code == 200


def test_refresh_tokens_rotate(
    server: AuthentikServer, clients: tuple[Client, Client], browser: httpx.Client
) -> None:
    _portal, files = clients
    authorize = _authorize_url(files, scope="openid profile email offline_access")
    code = _code(_login_through_authorize(browser, authorize), files)
    first = _redeem(server, files, code, client_id=files.client_id).json()
    assert len(first["refresh_token"]) == 128
    refresh = {"grant_type": "refresh_token", "client_id": files.client_id}
    narrowed = _token(server, {**refresh, "refresh_token": first["refresh_token"], "scope": "openid"})
    assert narrowed.json()["error"] == "invalid_scope"
    second = _token(server, {**refresh, "refresh_token": first["refresh_token"]}).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert "nonce" not in jwt.decode(second["id_token"], options={"verify_signature": False})
    reused = _token(server, {**refresh, "refresh_token": first["refresh_token"]})
    assert reused.json()["error"] == "invalid_grant"


def test_issuer_follows_the_token_request_host(
    server: AuthentikServer, clients: tuple[Client, Client], browser: httpx.Client
) -> None:
    portal, _files = clients
    discovery = httpx.get(
        f"{server.url}/application/o/portal/.well-known/openid-configuration", headers=PROXY
    )
    assert discovery.json()["issuer"] == "https://auth.test/application/o/portal/"
    ignored = httpx.get(
        f"{server.url}/application/o/portal/.well-known/openid-configuration",
        headers={"X-Forwarded-Host": "auth.test"},
    )
    assert ignored.json()["issuer"] == f"{server.url}/application/o/portal/"
    code = _code(_login_through_authorize(browser, _authorize_url(portal)), portal)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": portal.redirect_uri}
    body = _token(server, form, {**portal.basic, **PROXY}).json()
    _verified(server, portal, body["id_token"], "https://auth.test/application/o/portal/")


def test_authorize_errors(
    server: AuthentikServer, clients: tuple[Client, Client], browser: httpx.Client
) -> None:
    portal, _files = clients
    bad_uri = browser.get(_authorize_url(portal, redirect_uri=PORTAL_CALLBACK + "/"))
    assert bad_uri.status_code == 400 and "Redirect URI Error" in bad_uri.text
    unknown = browser.get(_authorize_url(portal, client_id="nobody"))
    assert unknown.status_code == 400 and "Client ID Error" in unknown.text
    prompt = browser.get(_authorize_url(portal, prompt="none"))
    assert prompt.headers["location"].startswith(PORTAL_CALLBACK + "?error=login_required&")


def _access_tokens(server: AuthentikServer) -> list[dict[str, Any]]:
    """oauth2/access_tokens/: the issued tokens whose session lives."""
    listed = httpx.get(server.url + "/api/v3/oauth2/access_tokens/", headers=AUTH, timeout=10)
    assert listed.status_code == 200
    results: list[dict[str, Any]] = listed.json()["results"]
    return results


def _authenticated_sessions(server: AuthentikServer) -> int:
    listed = httpx.get(server.url + "/api/v3/core/authenticated_sessions/", headers=AUTH, timeout=10)
    return int(listed.json()["pagination"]["count"])


def test_logout_ends_the_session_and_its_tokens(
    server: AuthentikServer, clients: tuple[Client, Client], browser: httpx.Client
) -> None:
    portal, _files = clients
    code = _code(_login_through_authorize(browser, _authorize_url(portal)), portal)
    access = _redeem(server, portal, code).json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert httpx.get(server.url + "/application/o/userinfo/", headers=bearer).status_code == 200
    sid = hashlib.sha256(browser.cookies["authentik_session"].encode()).hexdigest()
    mine = [t for t in _access_tokens(server) if json.loads(t["id_token"])["sid"] == sid]
    assert [(t["provider"]["client_id"], t["is_expired"]) for t in mine] == [(portal.client_id, False)]
    end = browser.get("/application/o/portal/end-session/")
    assert end.headers["location"] == "/if/flow/default-provider-invalidation-flow/?inspector=available"
    assert browser.get("/api/v3/core/users/me/").status_code == 200  # end-session keeps the session
    key = browser.cookies["authentik_session"]
    before = _authenticated_sessions(server)
    logout = browser.get("/api/v3/flows/executor/default-invalidation-flow/?query=")
    assert logout.json() == {"component": "xak-flow-redirect", "to": "/"}
    assert "authentik_session" not in browser.cookies
    assert browser.get("/api/v3/core/users/me/").status_code == 403
    assert _authenticated_sessions(server) == before - 1
    with server.db.lock:
        assert key not in server.db.sessions
    dead = httpx.get(server.url + "/application/o/userinfo/", headers=bearer)
    assert dead.status_code == 401 and dead.headers["www-authenticate"].startswith('error="invalid_token"')
    assert not [t for t in _access_tokens(server) if json.loads(t["id_token"])["sid"] == sid]  # 28 [66]


def test_expiry_follows_the_server_clock() -> None:
    with AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD) as server:
        portal, _files = _setup(server)
        with httpx.Client(base_url=server.url, timeout=10) as browser:
            stale = _code(_login_through_authorize(browser, _authorize_url(portal)), portal)
            server.advance_clock(61)  # access_code_validity minutes=1
            assert _redeem(server, portal, stale).json()["error"] == "invalid_grant"
            code = _code(_authorize(browser, _authorize_url(portal)), portal)
            access = _redeem(server, portal, code).json()["access_token"]
            bearer = {"Authorization": f"Bearer {access}"}
            assert httpx.get(server.url + "/application/o/userinfo/", headers=bearer).status_code == 200
            server.advance_clock(3600)  # access_token_validity hours=1
            assert httpx.get(server.url + "/application/o/userinfo/", headers=bearer).status_code == 401
        assert server.clock_offset == 3661
        with pytest.raises(ValueError):
            server.advance_clock(-1)


def test_keypair_is_real_and_shared(server: AuthentikServer, clients: tuple[Client, Client]) -> None:
    keypair = httpx.get(
        server.url + "/api/v3/crypto/certificatekeypairs/",
        params={"name": oidc_keys.KEYPAIR_NAME},
        headers=AUTH,
    ).json()["results"][0]
    key = oidc_keys.signing_key()
    jwk = httpx.get(f"{server.url}/application/o/{clients[0].slug}/jwks/").json()["keys"][0]
    sha1 = base64.urlsafe_b64decode(jwk["x5t"] + "=").hex(":")
    assert keypair["fingerprint_sha1"] == sha1
    pem = key.private_pem.encode()
    kids = {  # 25: the md5 hex on 2025.10, the urlsafe base64 SHA-512 (86 characters) on 2026.2
        "2025.10": hashlib.md5(pem, usedforsecurity=False).hexdigest(),
        "2026.2": base64.urlsafe_b64encode(hashlib.sha512(pem).digest()).decode().rstrip("="),
    }
    assert jwk["kid"] == kids[server.version.name]
    assert len(jwk["kid"]) == {"2025.10": 32, "2026.2": 86}[server.version.name]
    assert key.private_key.key_size == 4096 and jwk["e"] == "AQAB"
    with AuthentikServer() as other:  # another server (and a wipe) keeps the same key
        other.wipe()
        assert oidc_keys.signing_key() is key


def test_a_provider_without_signing_key_signs_hs256(server: AuthentikServer, browser: httpx.Client) -> None:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as api:
        client = _client(api, "hs", "confidential", PORTAL_CALLBACK, ("openid",))
        provider = _lookup(api, "/api/v3/providers/oauth2/", client_id=client.client_id)
        assert (
            api.patch(f"/api/v3/providers/oauth2/{provider}/", json={"signing_key": None}).status_code == 200
        )
    discovery = httpx.get(f"{server.url}/application/o/hs/.well-known/openid-configuration").json()
    assert discovery["id_token_signing_alg_values_supported"] == ["HS256"]
    assert httpx.get(f"{server.url}/application/o/hs/jwks/").json() == {}
    code = _code(_login_through_authorize(browser, _authorize_url(client, scope="openid")), client)
    id_token = _redeem(server, client, code).json()["id_token"]
    assert jwt.get_unverified_header(id_token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(id_token, client.client_secret, algorithms=["HS256"], audience=client.client_id)
    assert "email" not in claims  # only the openid scope was granted


def test_the_login_flow_refuses_an_absolute_next(browser: httpx.Client) -> None:
    executor = "/api/v3/flows/executor/default-authentication-flow/?" + urlencode(
        {"query": urlencode({"next": "https://evil.test/"})}
    )
    browser.get(executor)
    browser.post(executor, json={"component": "ak-stage-identification", "uid_field": "akadmin"})
    browser.post(executor, json={"component": "ak-stage-password", "password": PASSWORD})
    assert browser.get(executor).is_redirect
    denied = browser.get(executor).json()
    assert (denied["component"], denied["error_message"]) == ("ak-stage-access-denied", "Invalid next URL")
