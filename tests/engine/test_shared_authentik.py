"""Several stacks on one authentik, through the real engine: with their own name prefixes they converge
independently; with the same names, the second one takes the first one's objects over (saying so), or,
with ``dezky:adoptExisting`` false, stops with one line that says how to take them over on purpose.
Runs against a real authentik too (acceptance mode): every stack's names start with the module's prefix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pulumi.automation as auto
import pytest

from tests.conftest import assert_contract_kept
from tests.engine.harness import EngineProject, changes
from tests.engine.stacks import configure_stack
from tests.target import Target, module_target

pytestmark = pytest.mark.acceptance

PASSWORD = "shared-authentik-akadmin-password-5e"
ADMIN = "shared-authentik-admin-token-0a9b8c7d6e5f4a3b"


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    yield from module_target(bootstrap_token=ADMIN, password=PASSWORD, version=authentik_version)
    # (module_target's clean-up ran; the local server's contract is checked by the last test below)


def stack(root: Path, target: Target, name: str, prefix: str, **config: object) -> EngineProject:
    """A developer's stack on the shared authentik, with its own API token and this name prefix."""
    project = EngineProject(root / name)
    configure_stack(project, target, f"{name}-platform-api-token-0123456789abcdef", [{"slug": "acme"}])
    project.configure({"namePrefix": target.named(prefix)}, {})
    for key, value in config.items():
        project.set_object(key, value)
    return project


def names(target: Target, prefix: str) -> dict[str, list[str]]:
    """The objects in authentik whose names start with ``prefix`` (after the module's own)."""
    start = target.named(prefix)
    with target.admin() as admin:
        apps = admin.list_all("core/applications/", {"superuser_full_list": "true"})
        return {
            "providers": sorted(
                p["name"] for p in admin.list_all("providers/oauth2/") if p["name"].startswith(start)
            ),
            "applications": sorted(a["slug"] for a in apps if a["slug"].startswith(start)),
            "groups": sorted(
                g["name"] for g in admin.list_all("core/groups/") if g["name"].startswith(start)
            ),
            "tokens": sorted(
                t["identifier"] for t in admin.list_all("core/tokens/") if t["identifier"].startswith(start)
            ),
        }


def test_stacks_with_their_own_prefixes_converge_independently(tmp_path: Path, target: Target) -> None:
    alice = stack(tmp_path, target, "alice", "alice-")
    bob = stack(tmp_path, target, "bob", "bob-")
    try:
        alice_up, bob_up = alice.up(), bob.up()
        assert changes(alice_up.summary.resource_changes) == changes(bob_up.summary.resource_changes)
        assert changes(bob_up.summary.resource_changes) == {"create": 9}
        assert "took over" not in alice.logs[-1].text + bob.logs[-1].text
        for who in ("alice-", "bob-"):
            p = target.named(who)
            assert names(target, who) == {
                "providers": [f"{p}dezky-portal", f"{p}ocis-provider"],
                "applications": [f"{p}dezky-portal", f"{p}ocis"],
                "groups": [f"{p}tenant-acme"],
                "tokens": [f"{p}dezky-bootstrap-token"],
            }
        assert bob_up.outputs["portal_oidc_issuer"].value.endswith(
            f"/application/o/{target.named('bob-')}dezky-portal/"
        )
        # each one's writes are not the other one's drift
        for project in (alice, bob, alice):
            assert changes(project.refresh().summary.resource_changes) == {}
            assert changes(project.preview().change_summary) == {}
    finally:
        alice.destroy()
        bob.destroy()


def test_with_the_same_names_the_second_stack_takes_over_saying_so(tmp_path: Path, target: Target) -> None:
    first, second = stack(tmp_path, target, "first", "same-"), stack(tmp_path, target, "second", "same-")
    try:
        first.up()
        second.up()
        output = second.logs[-1].text
        p = target.named("same-")
        for what in (
            f"ApiToken `{p}dezky-bootstrap-token`",
            f"OAuth2Provider `{p}dezky-portal`",
            f"Group `{p}tenant-acme`",
        ):
            assert f"{what}: took over the existing authentik object" in output
        # sent over the engine's own Log call, acknowledged before the create goes on: a warning the
        # engine shows for sure, not provider stderr it may drop when the run ends (issue 21, 15)
        takeovers = second.logs[-1].diagnostics("took over the existing authentik object")
        assert {severity for severity, _ in takeovers} == {"warning"}, takeovers
        for what in (f"ApiToken `{p}dezky-bootstrap-token`", f"OAuth2Provider `{p}dezky-portal`"):
            assert [m for _, m in takeovers if m.startswith(what)], (what, takeovers)
    finally:
        second.destroy()
        first.destroy()


def test_with_adopt_existing_false_the_second_stack_stops_naming_the_way_to_ask(
    tmp_path: Path, target: Target
) -> None:
    first = stack(tmp_path, target, "first", "strict-")
    second = stack(tmp_path, target, "second", "strict-", adoptExisting=False)
    try:
        first.up()
        before = names(target, "strict-")
        with pytest.raises(auto.CommandError) as raised:
            second.up()
        text = " ".join(str(raised.value).split())
        token = target.named("strict-dezky-bootstrap-token")
        assert f"ApiToken `{token}` already exists in authentik (pk " in text
        assert (
            "`dezky:adoptExisting` is false, so it was not taken over. To take it over on purpose: "
            f"`pulumi config set --path 'dezky:adopt[\"{token}\"]' true`, then `pulumi up`"
        ) in text
        assert names(target, "strict-") == before  # nothing of the first stack's was touched
        assert changes(first.refresh().summary.resource_changes) == {}
    finally:
        second.destroy()
        first.destroy()
        if target.server is not None:
            assert_contract_kept(target.server)
