"""Load with faults on: 200 tenant groups and 50 more applications with their providers come up through
the real engine while 5 % of all calls fail with 500/502/503/429; every object exists exactly once."""

from __future__ import annotations

from pathlib import Path

import pulumi.automation as auto

from tests.engine.harness import changes
from tests.faults.support import (
    assert_no_duplicates,
    engine_admin,
    engine_project,
    engine_server,
)

PROGRAM = Path(__file__).parent / "load_program" / "__main__.py"
TENANTS = tuple(f"tenant{i:03d}" for i in range(200))
APPLICATIONS = 50


def test_two_hundred_groups_and_fifty_applications_under_a_five_percent_failure_rate(
    tmp_path: Path, authentik_version: str
) -> None:
    server = engine_server(authentik_version)
    try:
        project = engine_project(tmp_path, server, tenants=TENANTS, deadline_seconds=60, program=PROGRAM)
        project.stack.set_config("load:applications", auto.ConfigValue(str(APPLICATIONS)))
        server.faults.fail_rate(0.05, statuses=(500, 502, 503, 429), seed=6)
        up = project.up()
        failed = sum(1 for c in server.calls if c.status in (500, 502, 503, 429))
        print(f"[load] {len(server.calls)} calls, {failed} failed by the fault knob")
        assert failed >= 5  # the faults really fired (about 5 % of the calls)
        # token, ready, 2+50 providers, 2+50 apps, 200 groups, the stack and DezkyStack
        assert changes(up.summary.resource_changes) == {"create": 2 + 2 * 52 + 200 + 2}

        server.faults.clear()
        with engine_admin(server) as admin:
            inventory = assert_no_duplicates(admin)
        slugs = {f"load-app-{i:03d}" for i in range(APPLICATIONS)}
        assert {f"tenant-{slug}" for slug in TENANTS} <= set(inventory["groups"])
        assert set(inventory["applications"]) == slugs | {"dezky-portal", "ocis"}
        assert set(inventory["providers"]) == {f"{s}-provider" for s in slugs} | {
            "dezky-portal",
            "ocis-provider",
        }
        assert inventory["tokens"]["dezky-bootstrap-token"] == 1
    finally:
        server.stop()
