"""The real program through the real engine: up, preview, refresh, drift, adoption, wipe, destroy.

One stack walks through a developer's life in order (each test is one step and relies on the ones
before it): a fresh ``up`` on an authentik with no API token yet, a no-op preview, drift, a config
change, authentik down at preview, a wiped database, and destroy. Adoption runs on a second stack.
Every step prints the authentik calls it made (reads and writes), which the benchmarks build on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from dezky_infra.authentik.client import AuthentikClient
from dezky_infra.authentik.connection import ConnectionSettings
from dezky_infra.authentik.password_login import login_with_password
from tests.authentik_server import AuthentikServer
from tests.conftest import assert_contract_kept
from tests.engine.harness import EngineProject

TOKEN = "engine-test-platform-api-token-5d1c0b9e8f7a6b5c4d3e2f10"
PASSWORD = "engine-test-akadmin-password-77a1"
TENANTS = [{"slug": "acme", "display_name": "ACME"}, {"slug": "globex"}]
PORTAL_CALLBACK = "https://app.dezky.local/api/auth/callback"


LOGIN_PATH = "/api/v3/flows/executor/default-authentication-flow/"


def logins(server: AuthentikServer) -> int:
    """Password logins since the last reset (each answers the flow twice: identification, password)."""
    return sum(1 for c in server.calls if c.method == "POST" and c.path == LOGIN_PATH) // 2


def live_sessions(server: AuthentikServer) -> int:
    with server.db.lock:
        return sum(1 for session in server.db.sessions.values() if session.user is not None)


def report(server: AuthentikServer, step: str) -> tuple[int, int]:
    reads, writes = server.count(reads=True), server.count(reads=False)
    print(f"[authentik calls] {step}: {reads} reads, {writes} writes, {logins(server)} logins")
    server.reset_calls()
    return reads, writes


def changes(summary: dict[str, int]) -> dict[str, int]:
    return {op: n for op, n in summary.items() if op != "same" and n}


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    srv = AuthentikServer(bootstrap_token=None, akadmin_password=PASSWORD)
    srv.start()
    yield srv
    srv.stop()
    assert_contract_kept(srv)


@pytest.fixture(scope="module")
def admin(server: AuthentikServer) -> Iterator[AuthentikClient]:
    with AuthentikClient(ConnectionSettings(url=server.url, token=TOKEN, retry_deadline_seconds=3)) as client:
        yield client


def configure(project: EngineProject, server: AuthentikServer) -> None:
    project.configure(
        {"authentikUrl": server.url, "authentikPublicUrl": "https://auth.dezky.local"},
        {"authentikToken": TOKEN, "authentikBootstrapPassword": PASSWORD},
    )
    project.set_object("dockerEnabled", False)
    project.set_object("tenants", TENANTS)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, server: AuthentikServer) -> EngineProject:
    project = EngineProject(tmp_path_factory.mktemp("engine"))
    configure(project, server)
    return project


def secrets_used(server: AuthentikServer, admin: AuthentikClient) -> list[str]:
    """Every secret value of the run: token key, password, client secrets held by authentik."""
    values = [TOKEN, PASSWORD]
    values += [p["client_secret"] for p in admin.list_all("providers/oauth2/")]
    return values


class TestDevStackLifecycle:
    def test_fresh_up_creates_everything_with_the_bootstrap_password(
        self, project: EngineProject, server: AuthentikServer, admin: AuthentikClient
    ) -> None:
        server.reset_calls()
        result = project.up()
        # one password login for the whole run, logged out once the API token exists
        assert logins(server) == 1
        assert live_sessions(server) == 0
        report(server, "fresh up")
        # 8 authentik resources (ready, token, 2 providers, 2 apps, 2 groups) + the stack + DezkyStack
        assert changes(result.summary.resource_changes or {}) == {"create": 10}
        outputs = result.outputs
        assert outputs["portal_oidc_client_id"].value == "dezky-portal"
        assert outputs["ocis_oidc_client_id"].value == "ocis-web"
        assert outputs["portal_oidc_issuer"].value == "https://auth.dezky.local/application/o/dezky-portal/"
        assert outputs["ocis_oidc_issuer"].value == "https://auth.dezky.local/application/o/ocis/"
        assert outputs["portal_oidc_client_secret"].secret is True
        assert outputs["authentik_bootstrap_token"].secret is True
        assert outputs["authentik_bootstrap_token"].value == TOKEN
        portal = admin.list_all("providers/oauth2/", {"name": "dezky-portal"})
        assert outputs["portal_oidc_client_secret"].value == portal[0]["client_secret"]
        assert sorted(
            a["slug"] for a in admin.list_all("core/applications/", {"superuser_full_list": "true"})
        ) == [
            "dezky-portal",
            "ocis",
        ]
        assert sorted(p["name"] for p in admin.list_all("providers/oauth2/")) == [
            "dezky-portal",
            "ocis-provider",
        ]
        groups = {g["name"] for g in admin.list_all("core/groups/")}
        assert {"tenant-acme", "tenant-globex"} <= groups
        token = admin.get("core/tokens/dezky-bootstrap-token/")
        assert token["expiring"] is False and token["intent"] == "api"

    def test_no_secret_in_state_or_engine_output(
        self, project: EngineProject, server: AuthentikServer, admin: AuthentikClient
    ) -> None:
        text = project.written_text()
        assert '"ciphertext"' in text  # secrets are there, encrypted
        for secret in secrets_used(server, admin):
            assert secret not in text

    def test_second_preview_is_a_no_op_without_authentik_calls(
        self, project: EngineProject, server: AuthentikServer
    ) -> None:
        server.reset_calls()
        result = project.preview()
        reads, writes = report(server, "no-op preview")
        assert changes(result.change_summary) == {}
        assert (reads, writes) == (0, 0)

    def test_refresh_shows_out_of_band_drift_and_up_restores_it(
        self, project: EngineProject, server: AuthentikServer, admin: AuthentikClient
    ) -> None:
        portal = admin.list_all("providers/oauth2/", {"name": "dezky-portal"})[0]
        admin.delete("core/applications/ocis/")
        admin.patch(
            f"providers/oauth2/{portal['pk']}/",
            {"redirect_uris": [{"matching_mode": "strict", "url": "https://evil.example/cb"}]},
        )
        server.reset_calls()
        refreshed = project.refresh()
        reads, writes = report(server, "refresh")
        assert changes(refreshed.summary.resource_changes or {}) == {"delete": 1, "update": 1}
        # one read per object, plus the token's view_key to see whether its key changed
        assert (reads, writes) == (8, 0)
        up = project.up()
        report(server, "up after drift")
        assert changes(up.summary.resource_changes or {}) == {"create": 1, "update": 1}
        assert admin.get("core/applications/ocis/")["provider"] is not None
        live = admin.get(f"providers/oauth2/{portal['pk']}/")
        assert live["redirect_uris"] == [{"matching_mode": "strict", "url": PORTAL_CALLBACK}]

    def test_config_change_updates_in_place_and_keeps_the_secret(
        self, project: EngineProject, server: AuthentikServer, admin: AuthentikClient
    ) -> None:
        before = admin.list_all("providers/oauth2/", {"name": "dezky-portal"})[0]
        project.set_object(
            "oidcClients",
            {
                "dezky-portal": {
                    "redirect_uris": [PORTAL_CALLBACK, "https://app.dezky.local/api/auth/callback-dev"]
                }
            },
        )
        # what a reviewer reads: the provider's update with names, never pks or secrets. The engine
        # marks an updating resource's outputs unknown at preview, so the application bound to it
        # shows as a possible update (`provider: 1 => [unknown]`); at apply it is unchanged.
        preview = project.preview(diff=True)
        assert changes(preview.change_summary) == {"update": 2}
        assert re.search(r"~ provider +: \d+ => \[unknown\]", preview.stdout)
        assert '+ url          : "https://app.dezky.local/api/auth/callback-dev"' in preview.stdout
        for name in ("default-provider-authorization-implicit-consent", "authentik Self-signed Certificate"):
            assert name in preview.stdout
        ids = before["property_mappings"] + [before["authorization_flow"], before["signing_key"]]
        for hidden in [*ids, before["client_secret"], TOKEN, PASSWORD]:
            assert hidden not in preview.stdout
        server.reset_calls()
        up = project.up()
        report(server, "up after config change")
        assert changes(up.summary.resource_changes or {}) == {"update": 1}
        after = admin.get(f"providers/oauth2/{before['pk']}/")
        assert after["client_secret"] == before["client_secret"]
        assert sorted(u["url"] for u in after["redirect_uris"]) == [
            PORTAL_CALLBACK,
            "https://app.dezky.local/api/auth/callback-dev",
        ]

    def test_preview_of_unchanged_stack_works_while_authentik_is_down(
        self, project: EngineProject, server: AuthentikServer
    ) -> None:
        server.stop()
        try:
            result = project.preview()
        finally:
            server.start()
        assert changes(result.change_summary) == {}

    def test_wiped_authentik_is_restored_by_up_with_refresh(
        self, project: EngineProject, server: AuthentikServer, admin: AuthentikClient
    ) -> None:
        server.wipe(bootstrap_token=None)
        server.reset_calls()
        up = project.up(refresh=True)
        assert logins(server) == 1  # was one per resource that met the missing token: 8
        assert live_sessions(server) == 0
        report(server, "up --refresh after wipe")
        # everything but the readiness step (a moment, not an object) was gone and is created again
        assert changes(up.summary.resource_changes or {}) == {"create": 7}
        assert admin.get("core/tokens/dezky-bootstrap-token/")["expiring"] is False
        assert len(admin.list_all("providers/oauth2/")) == 2
        assert len(admin.list_all("core/applications/", {"superuser_full_list": "true"})) == 2

    def test_destroy_removes_what_the_stack_made_and_nothing_else(
        self, project: EngineProject, server: AuthentikServer, admin: AuthentikClient
    ) -> None:
        unrelated = admin.post("core/groups/", {"name": "made-by-someone-else"})
        seeded_flows = len(admin.list_all("flows/instances/"))
        server.reset_calls()
        project.destroy()
        report(server, "destroy")
        with AuthentikClient(
            ConnectionSettings(
                url=server.url, bootstrap_password=PASSWORD, token="x" * 40, retry_deadline_seconds=3
            )
        ) as client:
            login_with_password(client)  # the API token was destroyed with the stack
            assert client.list_all("providers/oauth2/") == []
            assert client.list_all("core/applications/", {"superuser_full_list": "true"}) == []
            assert client.get_or_none("core/tokens/dezky-bootstrap-token/") is None
            names = {g["name"] for g in client.list_all("core/groups/")}
            assert "made-by-someone-else" in names and not {"tenant-acme", "tenant-globex"} & names
            assert client.get(f"core/groups/{unrelated['pk']}/")["name"] == "made-by-someone-else"
            assert len(client.list_all("flows/instances/")) == seeded_flows


def test_up_adopts_objects_made_by_the_old_setup_guide(tmp_path: Path) -> None:
    server = AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD)
    server.start()
    try:
        settings = ConnectionSettings(url=server.url, token=TOKEN, retry_deadline_seconds=3)
        with AuthentikClient(settings) as guide:
            flow = guide.list_all(
                "flows/instances/", {"slug": "default-provider-authorization-implicit-consent"}
            )
            inval = guide.list_all("flows/instances/", {"slug": "default-provider-invalidation-flow"})
            made = guide.post(
                "providers/oauth2/",
                {
                    "name": "dezky-portal",
                    "client_id": "dezky-portal",
                    "authorization_flow": flow[0]["pk"],
                    "invalidation_flow": inval[0]["pk"],
                    "redirect_uris": [{"matching_mode": "strict", "url": PORTAL_CALLBACK}],
                },
            )
            guide.post(
                "core/applications/", {"name": "Dezky Portal", "slug": "dezky-portal", "provider": made["pk"]}
            )
            guide.post("core/groups/", {"name": "tenant-acme"})
            guide.post(
                "core/tokens/", {"identifier": "dezky-bootstrap-token", "intent": "api", "expiring": False}
            )

            project = EngineProject(tmp_path)
            configure(project, server)
            result = project.up()
            report(server, "up adopting the setup guide's objects")
            assert result.outputs["portal_oidc_client_secret"].value == made["client_secret"]
            assert [p["pk"] for p in guide.list_all("providers/oauth2/", {"name": "dezky-portal"})] == [
                made["pk"]
            ]
            assert len(guide.list_all("providers/oauth2/")) == 2
            assert len(guide.list_all("core/applications/", {"superuser_full_list": "true"})) == 2
            assert len(guide.list_all("core/groups/", {"name": "tenant-acme"})) == 1
            assert len(guide.list_all("core/tokens/", {"identifier": "dezky-bootstrap-token"})) == 1
            assert changes(project.preview().change_summary) == {}
    finally:
        server.stop()
