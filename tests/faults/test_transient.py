"""Boot and transient faults: authentik refusing connections, answering 503 "starting", bursts of
5xx/429. The providers wait with backoff up to ``dezky:authentikRetryDeadlineSeconds`` and then succeed,
or fail with one line naming the URL and the last thing seen. A 400 is never retried."""

from __future__ import annotations

import re
from pathlib import Path

import pulumi.automation as auto
import pytest

from dezky_infra.authentik.api import client as client_module
from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.errors import AuthentikUnavailableError, AuthentikValidationError
from dezky_infra.authentik.group import GroupProvider
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import configured
from tests.engine.harness import changes
from tests.faults.support import (
    assert_no_duplicates,
    engine_admin,
    engine_project,
    engine_server,
    restored,
)

DEADLINE = {"dezky:authentikRetryDeadlineSeconds": "10"}
PORTAL = {
    "name": "dezky-portal",
    "client_id": "dezky-portal",
    "redirect_uris": [{"url": "https://a.dezky/cb"}],
}


def create_group(server: AuthentikServer, name: str, **config: str) -> str:
    """Create a group through the provider; return its id."""
    groups = configured(GroupProvider(), server, **{**DEADLINE, **config})
    return groups.create(groups.check({}, {"name": name}).inputs).id


def create_provider(server: AuthentikServer, **config: str) -> str:
    """Create the portal's OAuth2 provider through the provider; return its id."""
    providers = configured(OAuth2ProviderProvider(), server, **{**DEADLINE, **config})
    return providers.create(providers.check({}, PORTAL).inputs).id


@pytest.fixture
def short_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cap Retry-After (the Go router says 5 s) at 0.5 s so these tests stay quick."""
    monkeypatch.setattr(client_module, "RETRY_AFTER_CAP_SECONDS", 0.5)


@pytest.mark.parametrize("mode", ["refuse", "503"])
def test_create_waits_while_authentik_is_not_ready_then_succeeds(
    fresh_authentik: AuthentikServer, admin: AuthentikClient, mode: str, short_retry_after: None
) -> None:
    with restored(fresh_authentik):
        fresh_authentik.faults.not_ready(1.5, mode=mode)
        create_group(fresh_authentik, "tenant-after-boot")
    committed = [c for c in fresh_authentik.calls if c.is_write and c.status < 300]
    assert [(c.method, c.status) for c in committed] == [("POST", 201)]
    if mode == "503":
        assert any(c.status == 503 for c in fresh_authentik.calls)
    assert assert_no_duplicates(admin)["groups"]["tenant-after-boot"] == 1


def test_refused_then_go_router_503_then_ready(
    fresh_authentik: AuthentikServer, admin: AuthentikClient, short_retry_after: None
) -> None:
    """The real boot order: the port is closed, then the Go router answers 503, then the API works."""
    with restored(fresh_authentik):
        fresh_authentik.faults.not_ready(2.5, mode="503")  # starts counting now, outlasts the refusal
        fresh_authentik.faults.not_ready(1.0, mode="refuse")
        provider_id = create_provider(fresh_authentik)
    statuses = {c.status for c in fresh_authentik.calls}
    assert 503 in statuses
    assert admin.get(f"providers/oauth2/{provider_id}/")["name"] == "dezky-portal"
    assert assert_no_duplicates(admin)["providers"]["dezky-portal"] == 1


@pytest.mark.parametrize("mode", ["refuse", "503"])
def test_past_the_deadline_one_line_names_the_url_and_what_was_seen(
    fresh_authentik: AuthentikServer, mode: str, short_retry_after: None
) -> None:
    last_seen = {
        "refuse": r"ConnectError: \[Errno 111\] Connection refused",
        "503": r"HTTP 503 Service Unavailable: authentik starting",
    }[mode]
    with restored(fresh_authentik):
        fresh_authentik.faults.not_ready(30, mode=mode)
        with pytest.raises(AuthentikUnavailableError) as raised:
            create_group(fresh_authentik, "never", **{"dezky:authentikRetryDeadlineSeconds": "1.5"})
    assert re.fullmatch(
        rf"authentik at {re.escape(fresh_authentik.url)} did not answer GET /api/v3/admin/version/ "
        r"within 1.5s \(\d+ attempts; `dezky:authentikRetryDeadlineSeconds` sets how long to wait\); "
        rf"last seen: {last_seen}",
        str(raised.value),
    ), str(raised.value)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_a_burst_of_transient_errors_on_every_route_is_retried(
    fresh_authentik: AuthentikServer, admin: AuthentikClient, status: int, short_retry_after: None
) -> None:
    """Bursts on the lookups and on the write itself: one provider, made with one successful POST."""
    fresh_authentik.faults.fail_next(2, status=status, path_prefix="/api/v3/flows/")
    fresh_authentik.faults.fail_next(3, status=status, path_prefix="/api/v3/providers/oauth2/")
    create_provider(fresh_authentik)
    posts = [c.status for c in fresh_authentik.calls if c.method == "POST"]
    assert posts == [status, status, status, 201]
    assert assert_no_duplicates(admin)["providers"]["dezky-portal"] == 1


def test_a_400_is_never_retried_by_a_provider(fresh_authentik: AuthentikServer) -> None:
    groups = configured(GroupProvider(), fresh_authentik, **DEADLINE)
    inputs = groups.check({}, {"name": "child", "parents": ["not-a-group-pk"]}).inputs
    with pytest.raises(AuthentikValidationError, match=r"field `parents?`"):
        groups.create(inputs)
    assert [(c.method, c.status) for c in fresh_authentik.calls if c.is_write] == [("POST", 400)]


def test_engine_up_waits_for_a_refusing_authentik(tmp_path: Path, authentik_version: str) -> None:
    """`pulumi up` against an authentik that refuses connections for 3 s succeeds once it listens."""
    server = engine_server(authentik_version)
    try:
        project = engine_project(tmp_path, server)
        server.faults.not_ready(3, mode="refuse")
        result = project.up()
        assert changes(result.summary.resource_changes) == {"create": 10}
        with engine_admin(server) as admin:
            inventory = assert_no_duplicates(admin)
        assert inventory["providers"] == {"dezky-portal": 1, "ocis-provider": 1}
        assert changes(project.preview().change_summary) == {}
    finally:
        server.stop()


def test_engine_up_against_an_authentik_that_never_answers_says_what_was_tried_without_a_traceback(
    tmp_path: Path, authentik_version: str
) -> None:
    """A closed port for the whole run: the readiness wait ends at the deadline with one line naming the
    URL, how long it waited and what it saw (a user's problem, so no Python traceback)."""
    server = engine_server(authentik_version)
    try:
        project = engine_project(tmp_path, server, deadline_seconds=2)
        server.stop()
        with pytest.raises(auto.CommandError) as raised:
            project.up()
    finally:
        server.stop()
    output = str(raised.value)
    assert f"authentik at {server.url} was not ready within 2s" in output, output[-3000:]
    assert "`dezky:authentikRetryDeadlineSeconds` sets how long to wait" in output
    assert "Connection" in output or "ConnectError" in output
    assert "Traceback" not in output, output[-3000:]
