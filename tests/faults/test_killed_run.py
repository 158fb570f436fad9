"""A `pulumi up` killed half way (SIGKILL of the engine and its plugins, as a crash or an OOM would).

What pulumi 3.260 leaves behind with the file (DIY) backend, found by this test:
- the stack lock of the dead run: the next operation fails with "the stack is currently locked";
- ``pending_operations`` of kind ``creating`` for every create in flight. A plain ``up`` only warns
  about them ("Attempting to deploy or update resources with N pending operations") and keeps them in
  the state, so ``refresh`` has to clear them.
- objects authentik committed that never reached the state (orphans);
- sometimes (a kill during the checkpoint write) an empty ``<stack>.json.attrs`` beside the checkpoint:
  every command then fails with "failed to load checkpoint: EOF" until it is removed.

The documented recovery (docs/recovery.md) is exactly what this test runs:

    pulumi cancel --yes                                  # drop the dead run's lock
    pulumi refresh --yes --clear-pending-creates         # drop the pending creates from the state
    pulumi up                                            # creates adopt the orphans by natural key
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.harness import EngineProject, changes
from tests.engine.stacks import configure_stack
from tests.faults.support import (
    ENGINE_PASSWORD,
    ENGINE_TOKEN,
    SubPathProxy,
    assert_no_duplicates,
    kill_engine,
    stack_deployment,
    start_cli,
    wait_for,
)
from tests.target import Target, module_target

pytestmark = pytest.mark.acceptance

TENANTS = tuple(f"t{i:02d}" for i in range(12))
GROUPS_ROUTE = "/api/v3/core/groups/"


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    yield from module_target(bootstrap_token=None, password=ENGINE_PASSWORD, version=authentik_version)


def committed_group_creates(proxy: SubPathProxy) -> int:
    """Group creates authentik committed so far (as the proxy in front of it saw them answered)."""
    return sum(
        1
        for method, path, status in proxy.committed
        if method == "POST" and path == GROUPS_ROUTE and status == 201
    )


def tenant_groups(target: Target) -> set[str]:
    """The pks of this stack's tenant groups that authentik holds."""
    with target.admin() as admin:
        return {
            g["pk"] for g in admin.list_all("core/groups/") if g["name"].startswith(target.named("tenant-"))
        }


def test_up_killed_half_way_recovers_without_duplicates_or_orphans(tmp_path: Path, target: Target) -> None:
    """The engine reaches authentik through a proxy (at a sub-path) that holds group-create answers for
    3 s after authentik committed them: the kill lands while committed creates wait for their answer."""
    proxy = SubPathProxy(target.url, "/ak", ca_bundle=target.ca_bundle)
    project = EngineProject(tmp_path)
    configure_stack(project, target, ENGINE_TOKEN, [{"slug": slug} for slug in TENANTS])
    project.configure({"authentikUrl": proxy.url, "authentikRetryDeadlineSeconds": "10"}, {})
    try:
        proxy.slow_answers(f"POST {GROUPS_ROUTE}", 3.0)
        engine = start_cli(project, "up", "--yes", "--skip-preview")
        wait_for(lambda: committed_group_creates(proxy) >= 3, 90, "three committed group creates")
        output = kill_engine(engine)
        assert "Update complete" not in output and "Resources:" not in output
        proxy.slow_answers(f"POST {GROUPS_ROUTE}", 0.0)
        # a kill during the checkpoint write can leave its metadata sidecar empty, and every command
        # then fails with "failed to load checkpoint: EOF" (seen once in CI); docs/recovery.md: remove it
        for sidecar in project.backend.rglob("*.json.attrs"):
            if sidecar.stat().st_size == 0:
                sidecar.unlink()

        # what the crash left: pending creates, orphans in authentik, and the lock
        deployment = stack_deployment(project)
        pending = [op for op in deployment.get("pending_operations") or [] if op["type"] == "creating"]
        assert pending, "the kill left no pending create: it came too late"
        in_state = {r["outputs"].get("pk") for r in deployment["resources"] if r["type"].endswith(":Group")}
        assert tenant_groups(target) - in_state, "no orphan: authentik has no object the state lacks"
        with pytest.raises(RuntimeError, match="the stack is currently locked"):
            project.cli("up", "--yes", "--skip-preview")

        # the documented recovery
        project.cli("cancel", "--yes")
        project.cli("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
        assert not stack_deployment(project).get("pending_operations")
        up = project.up()
        assert changes(up.summary.resource_changes).keys() <= {"create"}

        with target.admin() as admin:
            inventory = assert_no_duplicates(admin)
        assert {target.named(f"tenant-{slug}") for slug in TENANTS} <= set(inventory["groups"])
        mine = {name: n for name, n in inventory["providers"].items() if name.startswith(target.prefix)}
        assert mine == {target.named("dezky-portal"): 1, target.named("ocis-provider"): 1}
        assert set(up.outputs["tenant_groups"].value) == tenant_groups(target)  # no orphan: all in state
        assert changes(project.refresh().summary.resource_changes) == {}  # refresh shows the truth
        assert changes(project.preview().change_summary) == {}
        assert not stack_deployment(project).get("pending_operations")
    finally:
        project.destroy()
        proxy.close()
