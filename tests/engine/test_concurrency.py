"""A fresh ``pulumi up`` makes more than four authentik objects at once.

pulumi's dynamic provider host serves 4 engine calls at a time unless ``host.serve_at_once`` lets it grow
(``CALLS_AT_ONCE``). With every group's creation slowed down on the local server, the creations of 8
tenants' groups must overlap beyond 4 (they overlapped at most 4 before).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dezky_infra.authentik.provider.host import CALLS_AT_ONCE
from tests.authentik_server.server import Call
from tests.engine.harness import EngineProject
from tests.engine.stacks import configure_stack
from tests.target import Target, module_target

TOKEN = "concurrency-platform-api-token-5d1c9e7a3b2f4e6d8c0a1b2c"
ADMIN = "concurrency-bootstrap-token-7b3e9f1a2c4d6e8f0a1b2c3d"
PASSWORD = "concurrency-akadmin-password-3e5f"
TENANTS = [{"slug": f"t{n}"} for n in range(8)]
GROUPS = "/api/v3/core/groups/"
SLOW_SECONDS = 1.0


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    yield from module_target(bootstrap_token=ADMIN, password=PASSWORD, version=authentik_version)


def most_at_once(calls: list[Call]) -> int:
    """The most of ``calls`` that were being answered at the same moment."""
    edges = sorted([(call.started, 1) for call in calls] + [(call.answered, -1) for call in calls])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_a_fresh_up_creates_more_than_four_objects_at_once(
    tmp_path_factory: pytest.TempPathFactory, target: Target
) -> None:
    server = target.local("slows authentik's answers down")
    project = EngineProject(tmp_path_factory.mktemp("concurrency"))
    configure_stack(project, target, TOKEN, TENANTS)
    server.faults.latency(per_route={f"POST {GROUPS}": SLOW_SECONDS})
    try:
        project.cli("up", "--yes")
    finally:
        server.faults.clear()
    made = [call for call in server.calls if call.method == "POST" and call.path == GROUPS]
    assert len(made) == len(TENANTS)
    assert most_at_once(made) > 4
    assert most_at_once(made) <= CALLS_AT_ONCE
    project.cli("destroy", "--yes")
