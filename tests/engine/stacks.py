"""What the engine tests share about a stack on a ``Target``: its config, its objects, its calls.

Call counts (reads, writes, logins, sessions) are something only the local server can tell; against a
real authentik ``expect_calls`` says so in a warning (pytest's summary lists it) instead of passing
quietly, and the rest of the test runs as usual.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from tests.authentik_server import AuthentikServer
from tests.engine.harness import EngineProject
from tests.target import Target

LOGIN_PATH = "/api/v3/flows/executor/default-authentication-flow/"


class AcceptanceLimitation(UserWarning):
    """A check the local server can make and a real authentik cannot (counting calls)."""


def configure_stack(
    project: EngineProject, target: Target, token: str, tenants: Iterable[Mapping[str, Any]]
) -> None:
    """The program's stack config for ``target`` with the docker layer off and these tenants."""
    plain, secret = target.stack_config(token)
    project.configure(plain, secret)
    project.set_object("dockerEnabled", False)
    project.set_object("tenants", list(tenants))


def logins(server: AuthentikServer) -> int:
    """Password logins since the last reset (each answers the flow twice: identification, password)."""
    return sum(1 for c in server.calls if c.method == "POST" and c.path == LOGIN_PATH) // 2


def live_sessions(server: AuthentikServer) -> int:
    """Authenticated sessions the local server holds."""
    with server.db.lock:
        return sum(1 for session in server.db.sessions.values() if session.user is not None)


def expect_calls(
    target: Target,
    step: str,
    *,
    reads: int | None = None,
    writes: int | None = None,
    logins_made: int | None = None,
    sessions_left: int | None = None,
) -> None:
    """Print the step's authentik calls and check the expected ones (local server), then reset the
    count; against a real authentik, warn that they were not checked."""
    server = target.server
    if server is None:
        warnings.warn(f"{step}: authentik calls are not counted on a real authentik", AcceptanceLimitation, 2)
        return
    seen = {
        "reads": server.count(reads=True),
        "writes": server.count(reads=False),
        "logins_made": logins(server),
        "sessions_left": live_sessions(server),
    }
    print(f"[authentik calls] {step}: " + ", ".join(f"{n} {k}" for k, n in seen.items()))
    server.reset_calls()
    wanted = {"reads": reads, "writes": writes, "logins_made": logins_made, "sessions_left": sessions_left}
    expected = {k: v for k, v in wanted.items() if v is not None}
    assert {k: seen[k] for k in expected} == expected, step


def reset_calls(target: Target) -> None:
    """Start counting from here (local server; nothing to do on a real authentik)."""
    if target.server is not None:
        target.server.reset_calls()


def mine(rows: Iterable[Mapping[str, Any]], field: str, target: Target) -> list[str]:
    """The ``field`` values of the rows that belong to this target's stacks (all of them locally)."""
    return sorted(str(row[field]) for row in rows if str(row[field]).startswith(target.prefix))
