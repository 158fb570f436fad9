"""``dezky_infra.verify`` against authentik: every check, and each failure mode failing the right way with
the fix. The stack side (outputs, config) is given directly here; the engine test
(tests/engine/test_verify.py) runs the same checks on a stack made by the real engine. Runs against a real
authentik too (acceptance mode): each test's objects carry their own prefix there."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from dezky_infra.authentik.api import versions
from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.application import ApplicationProvider
from dezky_infra.authentik.brand import BrandProvider
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.cli.verify.checks import ClientChecks
from dezky_infra.cli.verify.command import base_of, learn_server
from dezky_infra.cli.verify.consumer import ConsumerView, consumer_view
from dezky_infra.cli.verify.oidc import OidcFlow, Unreachable
from dezky_infra.cli.verify.report import Report
from dezky_infra.contract import OidcClientInfo
from tests.authentik_server import AuthentikServer
from tests.conftest import ADMIN_TOKEN, AKADMIN_PASSWORD
from tests.engine.stacks import live_sessions
from tests.target import Target, module_target

pytestmark = pytest.mark.acceptance
TESTS = itertools.count(1)

PORTAL_CALLBACK = "https://app.dezky.local/api/auth/callback"
OCIS_URIS = ("https://files.dezky.local/", "https://files.dezky.local/oidc-callback")


def make_client(
    target: Target,
    *,
    name: str,
    slug: str,
    client_type: str,
    client_id: str,
    redirect_uris: tuple[str, ...],
    public_url: str,
) -> tuple[OidcClientInfo, str]:
    """Provider + application as the dev stack makes them; the client as verify reads it, and the secret."""
    providers = target.configured(OAuth2ProviderProvider())
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
    apps = target.configured(ApplicationProvider())
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


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    yield from module_target(
        bootstrap_token=ADMIN_TOKEN, password=AKADMIN_PASSWORD, version=authentik_version
    )


@pytest.fixture
def mine(target: Target, request: pytest.FixtureRequest) -> Target:
    """The module's target with a prefix of this test's own, so tests never meet each other's objects
    (locally a fresh database per test does that too)."""
    if target.server is not None:
        target.server.wipe()
    return replace(target, prefix=f"{target.prefix}v{next(TESTS)}-")


@pytest.fixture
def clients(mine: Target) -> dict[str, tuple[OidcClientInfo, str]]:
    return {
        "portal": make_client(
            mine,
            name=mine.named("dezky-portal"),
            slug=mine.named("dezky-portal"),
            client_type="confidential",
            client_id=mine.named("dezky-portal"),
            redirect_uris=(PORTAL_CALLBACK,),
            public_url=mine.url,
        ),
        "ocis": make_client(
            mine,
            name=mine.named("ocis-provider"),
            slug=mine.named("ocis"),
            client_type="public",
            client_id=mine.named("ocis-web"),
            redirect_uris=OCIS_URIS,
            public_url=mine.url,
        ),
    }


def settings_for(target: Target, base: str | None = None, password: str | None = None) -> ConnectionSettings:
    return ConnectionSettings(
        url=base or target.url,
        bootstrap_password=password or target.password,
        ca_bundle=target.ca_bundle,
        retry_deadline_seconds=2,
    )


def server_of(target: Target) -> versions.Server:
    """The target's authentik as verify learns it (asked with the tests' admin token where there is one)."""
    return learn_server({"dezky:authentikToken": target.token or ""}, settings_for(target))


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
    target: Target,
    clients: dict[str, tuple[OidcClientInfo, str]],
    env: dict[str, str | None] | None = None,
    *,
    base: str | None = None,
    password: str | None = None,
) -> Report:
    """Run every check of every client, as `verify` does, and log out."""
    env = env_for(clients) if env is None else env
    report = Report("dev", Path(".env"))
    checks = ClientChecks(report, OidcFlow(settings_for(target, base, password), server_of(target)))
    try:
        for name, (info, secret) in clients.items():
            checks.client(name, info, consumer_view(info, env, None if info.public else secret))
    finally:
        checks.log_out()
        checks.flow.close()
    return report


def failures(report: Report) -> list[str]:
    return [check.line() for check in report.failed]


def test_every_check_passes_twice_and_leaves_no_session(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    first = verify(mine, clients)
    assert failures(first) == []
    lines = [check.line() for check in first.checks]
    # portal: discovery, JWKS, login + token + id_token + userinfo, unregistered, wrong secret;
    # ocis: discovery, JWKS, 4 per redirect URI, unregistered; the logout
    assert len(lines) == 8 + 11 + 1
    assert lines[0].startswith(f"ok    portal: discovery: issuer {mine.url}/application/o/")
    assert f"ok    portal: login via {PORTAL_CALLBACK}" in "\n".join(lines)
    assert lines[-1] == "ok    session: logged out: via default-invalidation-flow"
    if mine.server is not None:
        assert live_sessions(mine.server) == 0
    second = verify(mine, clients)
    assert failures(second) == []
    printed = capsys.readouterr().out
    for _info, secret in clients.values():
        assert secret not in printed
    assert mine.password not in printed


def test_a_stale_client_secret_in_env_fails_the_token_exchange_naming_the_fix(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    env = env_for(clients)
    env["PORTAL_OIDC_CLIENT_SECRET"] = "an-old-secret-from-last-week"
    failed = failures(verify(mine, clients, env))
    assert failed == [
        "FAIL  portal: .env matches the stack: the .env file is stale (PORTAL_OIDC_CLIENT_SECRET not as "
        "in the stack outputs): run `python -m dezky_infra env --stack dev`",
        "FAIL  portal: token exchange: Client authentication failed (invalid_client): the client secret "
        "in .env is stale: run `python -m dezky_infra env --stack dev`",
    ]


def portal_of(admin: AuthentikClient, mine: Target) -> dict[str, Any]:
    found: list[dict[str, Any]] = admin.list_all("providers/oauth2/", {"name": mine.named("dezky-portal")})
    return found[0]


def test_a_secret_changed_in_authentik_names_refresh(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    with mine.admin() as admin:
        portal = portal_of(admin, mine)
        admin.patch(f"providers/oauth2/{portal['pk']}/", {"client_secret": "rotated-by-hand-in-the-admin-ui"})
    failed = failures(verify(mine, clients))
    assert failed == [
        "FAIL  portal: token exchange: Client authentication failed (invalid_client): authentik holds "
        "another client secret than the stack (changed outside pulumi?): run `pulumi up --refresh`, then "
        "`python -m dezky_infra env --stack dev`"
    ]


def test_a_redirect_uri_changed_out_of_band_fails_naming_the_uri(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    with mine.admin() as admin:
        portal = portal_of(admin, mine)
        admin.patch(
            f"providers/oauth2/{portal['pk']}/",
            {"redirect_uris": [{"matching_mode": "strict", "url": "https://evil.example/cb"}]},
        )
    failed = failures(verify(mine, clients))
    assert failed == [
        f"FAIL  portal: login via {PORTAL_CALLBACK}: authentik refuses the redirect URI {PORTAL_CALLBACK} "
        f"(HTTP 400: not registered for client {mine.named('dezky-portal')}, changed outside pulumi?); run "
        "`pulumi up --refresh` to put it back"
    ]


def test_a_permissive_redirect_regex_fails_the_unregistered_check(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    with mine.admin() as admin:
        portal = portal_of(admin, mine)
        admin.patch(
            f"providers/oauth2/{portal['pk']}/",
            {
                "redirect_uris": [
                    {"matching_mode": "strict", "url": PORTAL_CALLBACK},
                    {"matching_mode": "regex", "url": "https://.*"},
                ]
            },
        )
    failed = failures(verify(mine, clients))
    assert len(failed) == 1
    assert failed[0].startswith(
        "FAIL  portal: an unregistered redirect URI is refused: authentik redirected to the unregistered "
        "https://dezky-verify.invalid/not-registered"
    )


def test_a_wrong_bootstrap_password_fails_the_login_naming_the_key(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    mine.local("a refused login lowers akadmin's reputation score, which a real authentik keeps")
    failed = failures(verify(mine, clients, password="not-the-password"))
    assert failed[0].startswith(f"FAIL  portal: login via {PORTAL_CALLBACK}: authentik refused POST")
    assert "`dezky:authentikBootstrapPassword`" in failed[0]
    assert "not-the-password" not in "\n".join(failed)


def test_a_missing_application_fails_discovery(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    with mine.admin() as admin:
        admin.delete(f"core/applications/{mine.named('ocis')}/")
    failed = failures(verify(mine, clients))
    assert failed == [
        f"FAIL  ocis: discovery: no OIDC application answers at {clients['ocis'][0].issuer} (HTTP 404): the "
        "application is missing in authentik or its slug changed; run `pulumi up --refresh`"
    ]


def tenant_url(mine: Target, scheme: str | None = None) -> str:
    """Tenant acme's brand URL with the target's port, as the config's ``tenant_url`` builds it."""
    parts = urlsplit(mine.url)
    port = f":{parts.port}" if parts.port else ""
    return f"{scheme or parts.scheme}://{mine.named('acme')}.auth.dezky.local{port}"


def make_brand(mine: Target, url: str) -> None:
    brands = mine.configured(BrandProvider())
    brands.create(brands.check({}, {"domain": urlsplit(url).netloc, "title": "Acme"}).inputs)


def verify_tenant(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]], url: str, stale: list[str] | None = None
) -> Report:
    """The tenant pass of `verify` for tenant acme at ``url``, reached through the target's own origin
    (the name does not resolve here), with the portal's client."""
    info, secret = clients["portal"]
    report = Report("dev", Path(".env"))
    checks = ClientChecks(report, OidcFlow(settings_for(mine, url), server_of(mine), connect_via=mine.url))
    view = consumer_view(info, env_for(clients), secret)
    try:
        checks.tenant("acme", stale or [], "portal", info, view, base_of(info.issuer))
    finally:
        checks.log_out()
        checks.flow.close()
    return report


def test_a_login_through_the_tenant_brand_host_gets_that_hosts_issuer(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    url = tenant_url(mine)
    make_brand(mine, url)
    lines = [check.line() for check in verify_tenant(mine, clients, url).checks]
    issuer = f"{url}/application/o/{mine.named('dezky-portal')}/"
    assert lines == [
        f"ok    tenant acme: its brand serves its host: {urlsplit(url).netloc} ('Acme')",
        f"ok    tenant acme portal: discovery: issuer {issuer}",
        f"ok    tenant acme portal: JWKS: 1 signing key(s) at {issuer}jwks/",
        f"ok    tenant acme portal: login via {PORTAL_CALLBACK}: logged in as akadmin; the code and state "
        "came back to that URI",
        "ok    tenant acme portal: token exchange: tokens issued for the client secret from .env "
        "(client_secret_basic)",
        f"ok    tenant acme portal: id_token: RS256 signature (kid from the JWKS), iss, aud "
        f"{mine.named('dezky-portal')}, nonce, exp",
        "ok    tenant acme portal: userinfo: answers for the access token (akadmin)",
        "ok    session: logged out: via default-invalidation-flow",
    ]
    if mine.server is not None:
        assert live_sessions(mine.server) == 0


def test_an_https_tenant_url_reached_over_plain_http_is_forwarded_as_https(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    mine.local("sends X-Forwarded-Proto straight to authentik's plain HTTP port, as a proxy would")
    url = tenant_url(mine, "https")
    make_brand(mine, url)
    report = verify_tenant(mine, clients, url)
    assert failures(report) == []
    assert f"discovery: issuer {url}/application/o/" in report.checks[1].line()


def test_a_tenant_host_without_its_brand_fails_naming_refresh_and_the_proxy(
    mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]
) -> None:
    url = tenant_url(mine)
    lines = [
        check.line()
        for check in verify_tenant(mine, clients, url, stale=["AUTHENTIK_TENANT_ACME_URL"]).checks
    ]
    assert lines == [
        "FAIL  tenant acme: .env matches the stack: the .env file is stale (AUTHENTIK_TENANT_ACME_URL not as "
        "in the stack outputs): run `python -m dezky_infra env --stack dev`",
        f"FAIL  tenant acme: its brand serves its host: authentik serves Host {urlsplit(url).netloc} with "
        "the brand 'authentik-default', not with the tenant's: the brand is missing or its domain changed "
        "(run `pulumi up --refresh`), or a proxy in front does not forward the Host header unchanged "
        "(port included)",
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


def test_a_proxy_that_rewrites_host_gives_issuer_url_does_not_match(mine: Target) -> None:
    server = mine.local("the proxy forwards to the local server's plain HTTP port")
    with host_rewriting_proxy(server) as proxied:
        portal = {
            "portal": make_client(
                mine,
                name="dezky-portal",
                slug="dezky-portal",
                client_type="confidential",
                client_id="dezky-portal",
                redirect_uris=(PORTAL_CALLBACK,),
                public_url=proxied,
            )
        }
        failed = failures(verify(mine, portal, base=proxied))
    assert failed == [
        f"FAIL  portal: discovery: Issuer URL does not match: authentik names "
        f"'http://authentik-server:9000/application/o/dezky-portal/' for requests to "
        f"{proxied}/application/o/dezky-portal/.well-known/openid-configuration, the consumer uses "
        f"'{proxied}/application/o/dezky-portal/'; set `dezky:authentikPublicUrl` to the URL browsers "
        "use for authentik (the proxy in front must forward Host and X-Forwarded-Proto)"
    ]


def test_authentik_down_is_unreachable(mine: Target, clients: dict[str, tuple[OidcClientInfo, str]]) -> None:
    server = mine.local("stops authentik")
    server.stop()
    try:
        with pytest.raises(Unreachable) as raised:
            verify(mine, clients)
    finally:
        server.start()
    message = str(raised.value)  # the first call is the release's, asked before any login
    assert message.startswith("authentik at http://127.0.0.1:"), message
    assert "did not answer GET /api/v3/admin/version/" in message and "Connection refused" in message
    assert "\n" not in message


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
