"""The real program through the real engine: up, preview, refresh, drift, a config change, wipe, destroy.

One stack walks through a developer's life in order (each test is one step and relies on the ones
before it): a fresh ``up`` on an authentik where the stack's API token does not exist yet (the
bootstrap password path), a no-op preview, drift, a config change, authentik down at preview, a wiped
database, and destroy. Every step prints the authentik calls it made (reads, writes, logins), which the
benchmarks build on. Runs against a real authentik too (acceptance mode, ``tests/target.py``): the
steps that stop or wipe authentik are then skipped, saying so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from tests.conftest import assert_contract_kept
from tests.engine.harness import EngineProject, changes
from tests.engine.stacks import configure_stack, expect_calls, mine, reset_calls
from tests.target import Target, module_target

pytestmark = pytest.mark.acceptance

TOKEN = "engine-test-platform-api-token-5d1c0b9e8f7a6b5c4d3e2f10"
PASSWORD = "engine-test-akadmin-password-77a1"
TENANTS = [{"slug": "acme", "display_name": "ACME"}, {"slug": "globex"}]
PORTAL_CALLBACK = "https://app.dezky.local/api/auth/callback"


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    yield from module_target(bootstrap_token=None, password=PASSWORD, version=authentik_version)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, target: Target) -> Iterator[EngineProject]:
    project = EngineProject(tmp_path_factory.mktemp("engine"))
    configure_stack(project, target, TOKEN, TENANTS)
    yield project
    if target.server is not None:
        assert_contract_kept(target.server)


@pytest.fixture(scope="module")
def admin(target: Target, project: EngineProject) -> Iterator[AuthentikClient]:
    """A client with the stack's own API token (which exists once the first up made it)."""
    token = target.stack_config(TOKEN)[1]["authentikToken"]
    settings = ConnectionSettings(
        url=target.url, token=token, ca_bundle=target.ca_bundle, retry_deadline_seconds=5
    )
    with AuthentikClient(settings) as client:
        yield client


def portal_provider(admin: AuthentikClient, target: Target) -> dict[str, object]:
    found: list[dict[str, object]] = admin.list_all(
        "providers/oauth2/", {"name": target.named("dezky-portal")}
    )
    return found[0]


class TestDevStackLifecycle:
    def test_fresh_up_creates_everything_with_the_bootstrap_password(
        self, project: EngineProject, target: Target, admin: AuthentikClient
    ) -> None:
        reset_calls(target)
        result = project.up()
        # one password login for the whole run, logged out once the API token exists
        expect_calls(target, "fresh up", logins_made=1, sessions_left=0)
        # 8 authentik resources (ready, token, 2 providers, 2 apps, 2 groups) + the stack + DezkyStack
        assert changes(result.summary.resource_changes) == {"create": 10}
        outputs = result.outputs
        issuer = f"{target.url}/application/o/{target.named('dezky-portal')}/"
        assert outputs["portal_oidc_client_id"].value == target.named("dezky-portal")
        assert outputs["ocis_oidc_client_id"].value == target.named("ocis-web")
        assert outputs["portal_oidc_issuer"].value == issuer
        assert outputs["ocis_oidc_issuer"].value == f"{target.url}/application/o/{target.named('ocis')}/"
        assert outputs["portal_oidc_client_secret"].secret is True
        assert outputs["authentik_bootstrap_token"].secret is True
        assert outputs["authentik_bootstrap_token"].value == target.stack_config(TOKEN)[1]["authentikToken"]
        assert outputs["portal_oidc_client_secret"].value == portal_provider(admin, target)["client_secret"]
        apps = admin.list_all("core/applications/", {"superuser_full_list": "true"})
        assert mine(apps, "slug", target) == [target.named("dezky-portal"), target.named("ocis")]
        providers = admin.list_all("providers/oauth2/")
        assert mine(providers, "name", target) == [
            target.named("dezky-portal"),
            target.named("ocis-provider"),
        ]
        groups = set(mine(admin.list_all("core/groups/"), "name", target))
        assert {target.named("tenant-acme"), target.named("tenant-globex")} <= groups
        token = admin.get(f"core/tokens/{target.named('dezky-bootstrap-token')}/")
        assert token["expiring"] is False and token["intent"] == "api"

    def test_no_secret_in_state_or_engine_output(
        self, project: EngineProject, target: Target, admin: AuthentikClient
    ) -> None:
        text = project.written_text()
        assert '"ciphertext"' in text  # secrets are there, encrypted
        providers = [
            p for p in admin.list_all("providers/oauth2/") if str(p["name"]).startswith(target.prefix)
        ]
        stack_token = target.stack_config(TOKEN)[1]["authentikToken"]
        for secret in [stack_token, target.password, *(p["client_secret"] for p in providers)]:
            assert secret not in text

    def test_second_preview_is_a_no_op_without_authentik_calls(
        self, project: EngineProject, target: Target
    ) -> None:
        reset_calls(target)
        result = project.preview()
        expect_calls(target, "no-op preview", reads=0, writes=0)
        assert changes(result.change_summary) == {}

    def test_refresh_shows_out_of_band_drift_and_up_restores_it(
        self, project: EngineProject, target: Target, admin: AuthentikClient
    ) -> None:
        portal = portal_provider(admin, target)
        admin.delete(f"core/applications/{target.named('ocis')}/")
        admin.patch(
            f"providers/oauth2/{portal['pk']}/",
            {"redirect_uris": [{"matching_mode": "strict", "url": "https://evil.example/cb"}]},
        )
        reset_calls(target)
        refreshed = project.refresh()
        # one read per object and the token's view_key to see whether its key changed; no question
        # about authentik's release (a group's answer says how its release spells the parents)
        expect_calls(target, "refresh", reads=8, writes=0)
        assert changes(refreshed.summary.resource_changes) == {"delete": 1, "update": 1}
        up = project.up()
        expect_calls(target, "up after drift", writes=2)
        assert changes(up.summary.resource_changes) == {"create": 1, "update": 1}
        assert admin.get(f"core/applications/{target.named('ocis')}/")["provider"] is not None
        live = admin.get(f"providers/oauth2/{portal['pk']}/")
        assert live["redirect_uris"] == [{"matching_mode": "strict", "url": PORTAL_CALLBACK}]

    def test_config_change_updates_in_place_and_keeps_the_secret(
        self, project: EngineProject, target: Target, admin: AuthentikClient
    ) -> None:
        before = portal_provider(admin, target)
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
        ids = [*before["property_mappings"], before["authorization_flow"], before["signing_key"]]  # type: ignore[misc]
        for hidden in [*ids, before["client_secret"], TOKEN, target.password]:
            assert str(hidden) not in preview.stdout
        reset_calls(target)
        up = project.up()
        expect_calls(target, "up after config change", writes=1)
        assert changes(up.summary.resource_changes) == {"update": 1}
        after = admin.get(f"providers/oauth2/{before['pk']}/")
        assert after["client_secret"] == before["client_secret"]
        assert sorted(u["url"] for u in after["redirect_uris"]) == [
            PORTAL_CALLBACK,
            "https://app.dezky.local/api/auth/callback-dev",
        ]

    def test_preview_of_unchanged_stack_works_while_authentik_is_down(
        self, project: EngineProject, target: Target
    ) -> None:
        server = target.local("stops authentik")
        server.stop()
        try:
            result = project.preview()
        finally:
            server.start()
        assert changes(result.change_summary) == {}

    def test_refresh_of_a_wiped_authentik_forgets_the_objects_and_leaves_no_session(
        self, project: EngineProject, target: Target
    ) -> None:
        server = target.local("wipes authentik's database")
        server.wipe(bootstrap_token=None)
        server.reset_calls()
        refreshed = project.refresh()
        # the token is gone, so the refresh logs in with the bootstrap password; it never makes the
        # token, so no ApiToken ends that session: the provider process does when the engine stops it
        expect_calls(target, "refresh after wipe", logins_made=1, sessions_left=0)
        assert changes(refreshed.summary.resource_changes) == {"delete": 7}

    def test_wiped_authentik_is_restored_by_up_with_refresh(
        self, project: EngineProject, target: Target, admin: AuthentikClient
    ) -> None:
        server = target.local("wipes authentik's database")
        server.wipe(bootstrap_token=None)
        server.reset_calls()
        up = project.up(refresh=True)
        # was one login per resource that met the missing token: 8
        expect_calls(target, "up --refresh after wipe", logins_made=1, sessions_left=0)
        # everything but the readiness step (a moment, not an object) was gone and is created again
        assert changes(up.summary.resource_changes) == {"create": 7}
        assert admin.get("core/tokens/dezky-bootstrap-token/")["expiring"] is False
        assert len(admin.list_all("providers/oauth2/")) == 2
        assert len(admin.list_all("core/applications/", {"superuser_full_list": "true"})) == 2

    def test_destroy_removes_what_the_stack_made_and_nothing_else(
        self, project: EngineProject, target: Target, admin: AuthentikClient
    ) -> None:
        unrelated = admin.post("core/groups/", {"name": target.named("made-by-someone-else")})
        seeded_flows = len(admin.list_all("flows/instances/"))
        reset_calls(target)
        project.destroy()
        expect_calls(target, "destroy")
        with target.admin() as someone:  # the stack's API token went with the stack
            assert mine(someone.list_all("providers/oauth2/"), "name", target) == []
            apps = someone.list_all("core/applications/", {"superuser_full_list": "true"})
            assert mine(apps, "slug", target) == []
            assert someone.get_or_none(f"core/tokens/{target.named('dezky-bootstrap-token')}/") is None
            groups = set(mine(someone.list_all("core/groups/"), "name", target))
            assert target.named("made-by-someone-else") in groups
            assert not {target.named("tenant-acme"), target.named("tenant-globex")} & groups
            assert someone.get(f"core/groups/{unrelated['pk']}/")["name"] == target.named(
                "made-by-someone-else"
            )
            assert len(someone.list_all("flows/instances/")) == seeded_flows
