"""The policy pack through the real engine: ``pulumi preview --policy-pack policy`` on the real program.

The program runs with the docker layer off (no docker provider offline) against the local
authentik-compatible server, so these previews exercise the authentik policies and the pack's
plumbing (started by our language host's RunPlugin, stack name and config from the engine); the
docker policies are covered by the unit tests in test_policies.py only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pulumi.automation as auto
import pytest

from tests.authentik_server import AuthentikServer
from tests.engine.harness import REPO, EngineProject

POLICY_PACK = str(REPO / "policy")
TOKEN = "policy-test-platform-api-token-3f9e1d7c5b3a19e8d6c4b2a0"
PASSWORD = "policy-test-akadmin-password-51c2"
# The provider's own check refuses plain http except on a loopback host (OAuth 2.1); the pack is
# stricter and refuses it everywhere, so a localhost dev callback is what only the pack catches.
BAD_REDIRECT = "http://localhost:3000/api/auth/callback"
PORTAL_CALLBACK = "https://app.dezky.local/api/auth/callback"


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    srv = AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD)
    srv.start()
    yield srv
    srv.stop()


def make_project(root: Path, server: AuthentikServer, stack: str) -> EngineProject:
    """A copy of the program with one stack, docker off, pointed at the local server, brought up.

    The previews below run on an existing stack: a preview of a fresh stack currently fails in
    the program itself (the Application's ``provider`` pk is unknown there), pack or no pack.
    """
    project = EngineProject(root, stack_name=stack)
    project.configure(
        {"authentikUrl": server.url, "authentikPublicUrl": "https://auth.dezky.local"},
        {"authentikToken": TOKEN, "authentikBootstrapPassword": PASSWORD},
    )
    project.set_object("dockerEnabled", False)
    return project


def bring_up(project: EngineProject) -> EngineProject:
    """``pulumi up`` with the pack: it must pass there too (advisories only)."""
    result = project.up(policy_packs=[POLICY_PACK])
    assert "dezky-infra" in result.stdout
    return project


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory, server: AuthentikServer) -> EngineProject:
    return bring_up(make_project(tmp_path_factory.mktemp("policy-dev"), server, "dev"))


def test_the_dev_stack_passes_the_pack(dev: EngineProject) -> None:
    result = dev.preview(policy_packs=[POLICY_PACK])
    output = result.stdout
    assert "dezky-infra" in output  # the pack ran (the engine lists it under Policies)
    assert "mandatory" not in output
    assert "advisory" not in output  # a dev stack: the non-expiring token is fine there


@pytest.mark.timeout(240)
def test_the_pack_runs_from_a_shell_without_pythonunbuffered(
    dev: EngineProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's shell has no ``PYTHONUNBUFFERED``: the pack's port must reach the engine all the same
    (our language host's RunPlugin started it buffered, and ``pulumi preview --policy-pack`` hung)."""
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    output = dev.cli("preview", "--policy-pack", POLICY_PACK)
    assert "dezky-infra" in output


def test_a_plain_http_redirect_uri_is_a_mandatory_violation(dev: EngineProject) -> None:
    """An http redirect on the portal provider is reported, and only the pack fails the preview."""
    dev.set_object("oidcClients", {"dezky-portal": {"redirect_uris": [PORTAL_CALLBACK, BAD_REDIRECT]}})
    try:
        with pytest.raises(auto.CommandError) as failed:
            dev.preview(policy_packs=[POLICY_PACK])
    finally:
        dev.set_object("oidcClients", {})
    message = str(failed.value)
    assert "[mandatory]  authentik-redirect-uris-https-strict" in message
    assert f"redirect URI '{BAD_REDIRECT}' is not https" in message
    errors = {line.strip().rpartition("error: ")[2] for line in message.splitlines() if "error:" in line}
    assert errors == {"preview failed"}


def test_a_mandatory_violation_alone_fails_an_unchanged_preview(dev: EngineProject, tmp_path: Path) -> None:
    """Policy config that calls the portal's client id a public SPA id: the pack alone fails it."""
    assert dev.preview(policy_packs=[POLICY_PACK]).change_summary.keys() <= {"same"}
    config = tmp_path / "policy-config.json"
    config.write_text(
        json.dumps({"authentik-confidential-client-not-spa-id": {"publicSpaClientIds": ["dezky-portal"]}})
    )
    with pytest.raises(auto.CommandError) as failed:
        dev.preview(policy_packs=[POLICY_PACK], policy_pack_configs=[str(config)])
    message = str(failed.value)
    assert "[mandatory]  authentik-confidential-client-not-spa-id" in message
    assert "client_id 'dezky-portal', which belongs to a public SPA client" in message
    errors = {line.strip().rpartition("error: ")[2] for line in message.splitlines() if "error:" in line}
    assert errors == {"preview failed"}  # no resource failed: the pack alone stopped it


def test_advisories_see_the_stack_name_and_its_config(
    tmp_path_factory: pytest.TempPathFactory, server: AuthentikServer
) -> None:
    staging = make_project(tmp_path_factory.mktemp("policy-staging"), server, "staging")
    staging.set_object("authentikInsecureSkipTlsVerify", True)
    bring_up(staging)
    output = staging.preview(policy_packs=[POLICY_PACK]).stdout  # advisories do not fail it
    assert "authentik-api-token-expiry" in output
    assert "API token 'dezky-bootstrap-token' never expires (expiring: false) in stack 'staging'" in output
    assert "authentik-tls-verification-on" in output
    assert "dezky:authentikInsecureSkipTlsVerify is true" in output
    assert "mandatory" not in output
