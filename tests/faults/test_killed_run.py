"""A `pulumi up` killed half way (SIGKILL of the engine and its plugins, as a crash or an OOM would).

What pulumi 3.260 leaves behind with the file (DIY) backend, found by this test:
- the stack lock of the dead run: the next operation fails with "the stack is currently locked";
- ``pending_operations`` of kind ``creating`` for every create in flight. A plain ``up`` only warns
  about them ("Attempting to deploy or update resources with N pending operations") and keeps them in
  the state, so ``refresh`` has to clear them.
- objects authentik committed that never reached the state (orphans).

The documented recovery (README) is exactly what this test runs:

    pulumi cancel --yes                                  # drop the dead run's lock
    pulumi refresh --yes --clear-pending-creates         # drop the pending creates from the state
    pulumi up                                            # creates adopt the orphans by natural key
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.authentik_server import AuthentikServer
from tests.faults.support import (
    SubPathProxy,
    assert_no_duplicates,
    changes,
    engine_admin,
    engine_project,
    engine_server,
    kill_engine,
    stack_deployment,
    start_cli,
    wait_for,
)

TENANTS = tuple(f"t{i:02d}" for i in range(12))
GROUPS_ROUTE = "/api/v3/core/groups/"


def committed_group_creates(server: AuthentikServer) -> int:
    """Group creates authentik committed so far."""
    return sum(1 for c in server.calls if c.method == "POST" and c.path == GROUPS_ROUTE and c.status == 201)


def test_up_killed_half_way_recovers_without_duplicates_or_orphans(tmp_path: Path) -> None:
    """The engine reaches authentik through a proxy (at a sub-path) that holds group-create answers for
    3 s after authentik committed them: the kill lands while committed creates wait for their answer."""
    server = engine_server()
    proxy = SubPathProxy(server.url, "/ak")
    try:
        project = engine_project(tmp_path, server, tenants=TENANTS, authentikUrl=proxy.url)
        proxy.slow_answers(f"POST {GROUPS_ROUTE}", 3.0)
        engine = start_cli(project, "up", "--yes", "--skip-preview")
        wait_for(lambda: committed_group_creates(server) >= 3, 90, "three committed group creates")
        output = kill_engine(engine)
        assert "Update complete" not in output and "Resources:" not in output
        proxy.slow_answers(f"POST {GROUPS_ROUTE}", 0.0)

        # what the crash left: pending creates, orphans in authentik, and the lock
        deployment = stack_deployment(project)
        pending = [op for op in deployment.get("pending_operations") or [] if op["type"] == "creating"]
        assert pending, "the kill left no pending create: it came too late"
        in_state = {r["outputs"].get("pk") for r in deployment["resources"] if r["type"].endswith(":Group")}
        with engine_admin(server) as admin:
            live = {g["pk"] for g in admin.list_all("core/groups/") if g["name"].startswith("tenant-")}
        assert live - in_state, "no orphan: authentik has no object the state lacks"
        with pytest.raises(RuntimeError, match="the stack is currently locked"):
            project.cli("up", "--yes", "--skip-preview")

        # the documented recovery
        project.cli("cancel", "--yes")
        project.cli("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
        assert not stack_deployment(project).get("pending_operations")
        up = project.up()
        assert changes(up.summary.resource_changes).keys() <= {"create"}

        with engine_admin(server) as admin:
            inventory = assert_no_duplicates(admin)
            live_groups = {g["pk"] for g in admin.list_all("core/groups/") if g["name"].startswith("tenant-")}
        assert {f"tenant-{slug}" for slug in TENANTS} <= set(inventory["groups"])
        assert inventory["providers"] == {"dezky-portal": 1, "ocis-provider": 1}
        assert set(up.outputs["tenant_groups"].value) == live_groups  # no orphan: every one is in state
        assert changes(project.refresh().summary.resource_changes) == {}  # refresh shows the truth
        assert changes(project.preview().change_summary) == {}
        assert not stack_deployment(project).get("pending_operations")
    finally:
        proxy.close()
        server.stop()
