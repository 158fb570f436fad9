"""``dezky_infra.verify`` against the local authentik-compatible server: every check, and each failure mode
failing the right way with the fix. The stack side (outputs, config) is given directly here; the engine
test (tests/engine/test_verify.py) runs the same checks on a stack made by the real engine."""

from __future__ import annotations

import contextlib
import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dezky_infra.authentik.application import ApplicationProvider
from dezky_infra.authentik.client import AuthentikClient
from dezky_infra.authentik.connection import ConnectionSettings
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.verify import ConsumerView, OidcClientInfo, Unreachable, Verifier, consumer_view
from tests.authentik_server import AuthentikServer
from tests.conftest import AKADMIN_PASSWORD, configured

PORTAL_CALLBACK = "https://app.dezky.local/api/auth/callback"
OCIS_URIS = ("https://files.dezky.local/", "https://files.dezky.local/oidc-callback")


def make_client(
    server: AuthentikServer,
    *,
    name: str,
    slug: str,
    client_type: str,
    client_id: str,
    redirect_uris: tuple[str, ...],
    public_url: str,
) -> tuple[OidcClientInfo, str]:
    """Provider + application as the dev stack makes them; the client as verify reads it, and the secret."""
    providers = configured(OAuth2ProviderProvider(), server)
    provider = providers.create(
        providers.check(
            {},
            {
                "name": name,
                "client_type": client_type,
                "client_id": client_id,
                "redirect_uris": [{"url": url} for url in redirect_uris],
            },
        ).inputs
    )
    apps = configured(ApplicationProvider(), server)
    app = apps.create(
        apps.check(
            {}, {"name": name, "slug": slug, "provider": provider.outs["pk"], "public_url": public_url}
        ).inputs
    )
    info = OidcClientInfo(
        client_id=client_id,
        issuer=app.outs["issuer"],
        redirect_uris=redirect_uris,
        public=client_type == "public",
        env_prefix="PORTAL_OIDC" if client_type == "confidential" else "OCIS_OIDC",
    )
    return info, provider.outs["client_secret"]


@pytest.fixture
def clients(fresh_authentik: AuthentikServer) -> dict[str, tuple[OidcClientInfo, str]]:
    return {
        "portal": make_client(
            fresh_authentik,
            name="dezky-portal",
            slug="dezky-portal",
            client_type="confidential",
            client_id="dezky-portal",
            redirect_uris=(PORTAL_CALLBACK,),
            public_url=fresh_authentik.url,
        ),
        "ocis": make_client(
            fresh_authentik,
            name="ocis-provider",
            slug="ocis",
            client_type="public",
            client_id="ocis-web",
            redirect_uris=OCIS_URIS,
            public_url=fresh_authentik.url,
        ),
    }


def settings_for(base: str, password: str = AKADMIN_PASSWORD) -> ConnectionSettings:
    return ConnectionSettings(url=base, bootstrap_password=password, retry_deadline_seconds=2)


def env_for(clients: dict[str, tuple[OidcClientInfo, str]]) -> dict[str, str | None]:
    """The .env that `python -m dezky_infra env` writes for these clients."""
    env: dict[str, str | None] = {}
    for info, secret in clients.values():
        env[f"{info.env_prefix}_CLIENT_ID"] = info.client_id
        env[f"{info.env_prefix}_ISSUER"] = info.issuer
        if not info.public:
            env[f"{info.env_prefix}_CLIENT_SECRET"] = secret
    return env


def verify(
    server_base: str,
    clients: dict[str, tuple[OidcClientInfo, str]],
    env: dict[str, str | None] | None = None,
    password: str = AKADMIN_PASSWORD,
) -> Verifier:
    """Run every check of every client, as `verify` does, and log out."""
    env = env_for(clients) if env is None else env
    verifier = Verifier(settings_for(server_base, password), "dev", Path(".env"))
    try:
        for name, (info, secret) in clients.items():
            verifier.verify_client(name, info, consumer_view(info, env, None if info.public else secret))
    finally:
        verifier.log_out()
        verifier.close()
    return verifier


def failures(verifier: Verifier) -> list[str]:
    return [check.line() for check in verifier.checks if not check.ok]


def authenticated_sessions(server: AuthentikServer) -> list[Any]:
    with server.db.lock:
        return [s for s in server.db.sessions.values() if s.user is not None]


def test_every_check_passes_twice_and_leaves_no_session(
    fresh_authentik: AuthentikServer,
    clients: dict[str, tuple[OidcClientInfo, str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = verify(fresh_authentik.url, clients)
    assert failures(first) == []
    lines = [check.line() for check in first.checks]
    # portal: discovery, JWKS, login + token + id_token + userinfo, unregistered, wrong secret;
    # ocis: discovery, JWKS, 4 per redirect URI, unregistered; the logout
    assert len(lines) == 8 + 11 + 1
    assert lines[0].startswith("ok    portal: discovery: issuer http://127.0.0.1:")
    assert f"ok    portal: login via {PORTAL_CALLBACK}" in "\n".join(lines)
    assert lines[-1] == "ok    session: logged out: via default-invalidation-flow"
    assert authenticated_sessions(fresh_authentik) == []
    second = verify(fresh_authentik.url, clients)
    assert failures(second) == []
    printed = capsys.readouterr().out
    for _info, secret in clients.values():
        assert secret not in printed
    assert AKADMIN_PASSWORD not in printed


def test_a_stale_client_secret_in_env_fails_the_token_exchange_naming_the_fix(
    fresh_authentik: AuthentikServer, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    env = env_for(clients)
    env["PORTAL_OIDC_CLIENT_SECRET"] = "an-old-secret-from-last-week"
    failed = failures(verify(fresh_authentik.url, clients, env))
    assert failed == [
        "FAIL  portal: .env matches the stack: the .env file is stale (PORTAL_OIDC_CLIENT_SECRET not as "
        "in the stack outputs): run `python -m dezky_infra env --stack dev`",
        "FAIL  portal: token exchange: Client authentication failed (invalid_client): the client secret "
        "in .env is stale: run `python -m dezky_infra env --stack dev`",
    ]


def test_a_secret_changed_in_authentik_names_refresh(
    fresh_authentik: AuthentikServer, clients: dict[str, tuple[OidcClientInfo, str]], admin: AuthentikClient
) -> None:
    portal = admin.list_all("providers/oauth2/", {"name": "dezky-portal"})[0]
    admin.patch(f"providers/oauth2/{portal['pk']}/", {"client_secret": "rotated-by-hand-in-the-admin-ui"})
    failed = failures(verify(fresh_authentik.url, clients))
    assert failed == [
        "FAIL  portal: token exchange: Client authentication failed (invalid_client): authentik holds "
        "another client secret than the stack (changed outside pulumi?): run `pulumi up --refresh`, then "
        "`python -m dezky_infra env --stack dev`"
    ]


def test_a_redirect_uri_changed_out_of_band_fails_naming_the_uri(
    fresh_authentik: AuthentikServer, clients: dict[str, tuple[OidcClientInfo, str]], admin: AuthentikClient
) -> None:
    portal = admin.list_all("providers/oauth2/", {"name": "dezky-portal"})[0]
    admin.patch(
        f"providers/oauth2/{portal['pk']}/",
        {"redirect_uris": [{"matching_mode": "strict", "url": "https://evil.example/cb"}]},
    )
    failed = failures(verify(fresh_authentik.url, clients))
    assert failed == [
        f"FAIL  portal: login via {PORTAL_CALLBACK}: authentik refuses the redirect URI {PORTAL_CALLBACK} "
        "(HTTP 400: not registered for client dezky-portal, changed outside pulumi?); run "
        "`pulumi up --refresh` to put it back"
    ]


def test_a_permissive_redirect_regex_fails_the_unregistered_check(
    fresh_authentik: AuthentikServer, clients: dict[str, tuple[OidcClientInfo, str]], admin: AuthentikClient
) -> None:
    portal = admin.list_all("providers/oauth2/", {"name": "dezky-portal"})[0]
    admin.patch(
        f"providers/oauth2/{portal['pk']}/",
        {
            "redirect_uris": [
                {"matching_mode": "strict", "url": PORTAL_CALLBACK},
                {"matching_mode": "regex", "url": "https://.*"},
            ]
        },
    )
    failed = failures(verify(fresh_authentik.url, clients))
    assert len(failed) == 1
    assert failed[0].startswith(
        "FAIL  portal: an unregistered redirect URI is refused: authentik redirected to the unregistered "
        "https://dezky-verify.invalid/not-registered"
    )


def test_a_wrong_bootstrap_password_fails_the_login_naming_the_key(
    fresh_authentik: AuthentikServer, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    failed = failures(verify(fresh_authentik.url, clients, password="not-the-password"))
    assert failed[0].startswith(f"FAIL  portal: login via {PORTAL_CALLBACK}: authentik refused POST")
    assert "`dezky:authentikBootstrapPassword`" in failed[0]
    assert "not-the-password" not in "\n".join(failed)


def test_a_missing_application_fails_discovery(
    fresh_authentik: AuthentikServer, clients: dict[str, tuple[OidcClientInfo, str]], admin: AuthentikClient
) -> None:
    admin.delete("core/applications/ocis/")
    failed = failures(verify(fresh_authentik.url, clients))
    assert failed == [
        f"FAIL  ocis: discovery: no OIDC application answers at {clients['ocis'][0].issuer} (HTTP 404): the "
        "application is missing in authentik or its slug changed; run `pulumi up --refresh`"
    ]


class _HostRewritingProxy(ThreadingHTTPServer):
    """A reverse proxy that does not pass the Host header on (Traefik with passHostHeader=false)."""

    daemon_threads = True

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _HostRewritingProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "content-length"}}
        headers["Host"] = "authentik-server:9000"
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=10)
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in {"content-length", "transfer-encoding", "connection"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_POST = do_GET


@contextlib.contextmanager
def host_rewriting_proxy(server: AuthentikServer) -> Iterator[str]:
    proxy = _HostRewritingProxy(server.port)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}"
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_a_proxy_that_rewrites_host_gives_issuer_url_does_not_match(fresh_authentik: AuthentikServer) -> None:
    with host_rewriting_proxy(fresh_authentik) as proxied:
        portal = {
            "portal": make_client(
                fresh_authentik,
                name="dezky-portal",
                slug="dezky-portal",
                client_type="confidential",
                client_id="dezky-portal",
                redirect_uris=(PORTAL_CALLBACK,),
                public_url=proxied,
            )
        }
        failed = failures(verify(proxied, portal))
    assert failed == [
        f"FAIL  portal: discovery: Issuer URL does not match: authentik names "
        f"'http://authentik-server:9000/application/o/dezky-portal/' for requests to "
        f"{proxied}/application/o/dezky-portal/.well-known/openid-configuration, the consumer uses "
        f"'{proxied}/application/o/dezky-portal/'; set `dezky:authentikPublicUrl` to the URL browsers "
        "use for authentik (the proxy in front must forward Host and X-Forwarded-Proto)"
    ]


def test_authentik_down_is_unreachable(
    fresh_authentik: AuthentikServer, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    fresh_authentik.stop()
    try:
        with pytest.raises(Unreachable) as raised:
            verify(fresh_authentik.url, clients)
    finally:
        fresh_authentik.start()
    assert str(raised.value).startswith("authentik did not answer GET http://127.0.0.1:")
    assert "\n" not in str(raised.value)


def test_consumer_view_names_stale_keys() -> None:
    info = OidcClientInfo(
        client_id="dezky-portal",
        issuer="https://auth.dezky.local/application/o/dezky-portal/",
        redirect_uris=(PORTAL_CALLBACK,),
        public=False,
        env_prefix="PORTAL_OIDC",
    )
    env: dict[str, str | None] = {"PORTAL_OIDC_CLIENT_ID": "old-id", "PORTAL_OIDC_CLIENT_SECRET": "s"}
    view = consumer_view(info, env, "s")
    assert view == ConsumerView("old-id", info.issuer, "s", ["PORTAL_OIDC_CLIENT_ID"])
    assert consumer_view(info, {}, "s").stale == ["PORTAL_OIDC_CLIENT_SECRET"]
