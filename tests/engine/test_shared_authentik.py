"""Several stacks on one authentik, through the real engine: with their own name prefixes they converge
independently; without, the second one takes the first one's objects over (saying so), or, with
``dezky:adoptExisting`` false, stops with one line that says how to take them over on purpose."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pulumi.automation as auto
import pytest

from dezky_infra.authentik.client import AuthentikClient
from dezky_infra.authentik.connection import ConnectionSettings
from tests.authentik_server import AuthentikServer
from tests.conftest import assert_contract_kept
from tests.engine.harness import EngineProject

PASSWORD = "shared-authentik-akadmin-password-5e"
ADMIN = "shared-authentik-admin-token-0a9b8c7d6e5f4a3b"


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    srv = AuthentikServer(bootstrap_token=ADMIN, akadmin_password=PASSWORD).start()
    yield srv
    srv.stop()
    assert_contract_kept(srv)


def changes(summary: object) -> dict[str, int]:
    return {str(op): n for op, n in dict(summary or {}).items() if op != "same" and n}  # type: ignore[call-overload]


def stack(root: Path, server: AuthentikServer, name: str, **plain: object) -> EngineProject:
    """A developer's stack on the shared authentik, with its own API token."""
    project = EngineProject(root / name)
    project.configure(
        {"authentikUrl": server.url},
        {
            "authentikToken": f"{name}-platform-api-token-0123456789abcdef",
            "authentikBootstrapPassword": PASSWORD,
        },
    )
    project.set_object("dockerEnabled", False)
    project.set_object("tenants", [{"slug": "acme"}])
    for key, value in plain.items():
        if isinstance(value, str):
            project.configure({key: value}, {})
        else:
            project.set_object(key, value)
    return project


def names(server: AuthentikServer) -> dict[str, list[str]]:
    with AuthentikClient(ConnectionSettings(url=server.url, token=ADMIN, retry_deadline_seconds=3)) as admin:
        return {
            "providers": sorted(p["name"] for p in admin.list_all("providers/oauth2/")),
            "applications": sorted(
                a["slug"] for a in admin.list_all("core/applications/", {"superuser_full_list": "true"})
            ),
            "groups": sorted(g["name"] for g in admin.list_all("core/groups/") if g["name"].endswith("acme")),
            "tokens": sorted(
                t["identifier"]
                for t in admin.list_all("core/tokens/")
                if t["identifier"].endswith("dezky-bootstrap-token")
            ),
        }


def test_stacks_with_their_own_prefixes_converge_independently(
    tmp_path: Path, server: AuthentikServer
) -> None:
    server.wipe()
    alice = stack(tmp_path, server, "alice", namePrefix="alice-")
    bob = stack(tmp_path, server, "bob", namePrefix="bob-")
    try:
        alice_up, bob_up = alice.up(), bob.up()
        assert (
            changes(alice_up.summary.resource_changes)
            == changes(bob_up.summary.resource_changes)
            == {"create": 9}
        )
        assert "took over" not in alice.logs[-1].text + bob.logs[-1].text
        assert names(server) == {
            "providers": [
                "alice-dezky-portal",
                "alice-ocis-provider",
                "bob-dezky-portal",
                "bob-ocis-provider",
            ],
            "applications": ["alice-dezky-portal", "alice-ocis", "bob-dezky-portal", "bob-ocis"],
            "groups": ["alice-tenant-acme", "bob-tenant-acme"],
            "tokens": ["alice-dezky-bootstrap-token", "bob-dezky-bootstrap-token"],
        }
        assert bob_up.outputs["portal_oidc_issuer"].value.endswith("/application/o/bob-dezky-portal/")
        # each one's writes are not the other one's drift
        for project in (alice, bob, alice):
            assert changes(project.refresh().summary.resource_changes) == {}
            assert changes(project.preview().change_summary) == {}
    finally:
        alice.destroy()
        bob.destroy()


def test_without_prefixes_the_second_stack_takes_over_saying_so(
    tmp_path: Path, server: AuthentikServer
) -> None:
    server.wipe()
    first, second = stack(tmp_path, server, "first"), stack(tmp_path, server, "second")
    try:
        first.up()
        second.up()
        output = second.logs[-1].text
        for what in (
            "ApiToken `dezky-bootstrap-token`",
            "OAuth2Provider `dezky-portal`",
            "Group `tenant-acme`",
        ):
            assert f"{what}: took over the existing authentik object" in output
    finally:
        second.destroy()
        first.destroy()


def test_with_adopt_existing_false_the_second_stack_stops_naming_the_way_to_ask(
    tmp_path: Path, server: AuthentikServer
) -> None:
    server.wipe()
    first = stack(tmp_path, server, "first")
    second = stack(tmp_path, server, "second", adoptExisting=False)
    try:
        first.up()
        before = names(server)
        with pytest.raises(auto.CommandError) as raised:
            second.up()
        text = " ".join(str(raised.value).split())
        assert "ApiToken `dezky-bootstrap-token` already exists in authentik (pk " in text
        assert (
            "`dezky:adoptExisting` is false, so it was not taken over. To take it over on purpose: "
            "`pulumi config set --path 'dezky:adopt[\"dezky-bootstrap-token\"]' true`, then `pulumi up`"
        ) in text
        assert names(server) == before  # nothing of the first stack's was touched
        assert changes(first.refresh().summary.resource_changes) == {}
    finally:
        second.destroy()
        first.destroy()
