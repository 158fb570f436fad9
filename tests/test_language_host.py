"""Our Python language host (tools/pulumi-language-python) ends with the engine that started it.

A `pulumi` killed with SIGKILL tells its plugins nothing; pulumi's own language hosts poll the
engine's gRPC health service and exit when it is gone, and so does ours. ``go test`` covers the host
against a fake engine; here the real CLI runs a program and only the CLI is killed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.engine.harness import REPO, EngineProject
from tests.faults.support import descendants, start_cli, wait_for

HOST_DIR = REPO / "tools" / "pulumi-language-python"
BOUND_S = 15.0
"""How long the host may outlive the engine: its health poll (2 s) plus the grace for calls in flight."""


def test_go_tests_of_the_language_host() -> None:
    """`go test` in the host's own module (modules from the Go module cache or proxy, as the build)."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("no go command: the host's Go tests need Go (scripts/install-pulumi.sh builds with it)")
    result = subprocess.run(
        [go, "test", "-count=1", "./..."],
        cwd=HOST_DIR,
        env={**os.environ, "GOWORK": "off"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_hosts_module_pins_the_pulumi_version_the_build_uses() -> None:
    script = (REPO / "scripts" / "install-pulumi.sh").read_text()
    pinned = re.search(r"^PULUMI_VERSION=(\S+)$", script, re.MULTILINE)
    required = re.search(r"github\.com/pulumi/pulumi/sdk/v3 v(\S+)", (HOST_DIR / "go.mod").read_text())
    assert pinned and required and required[1] == pinned[1]


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped by its new parent, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def test_a_killed_pulumi_leaves_no_language_host(tmp_path: Path) -> None:
    ready = tmp_path / "program-running"
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pathlib, time\n"
        f"pathlib.Path({str(ready)!r}).write_text('yes')\n"
        "time.sleep(120)  # still running when pulumi is killed\n"
    )
    project = EngineProject(tmp_path / "engine", program=program)
    engine = start_cli(project, "up", "--yes", "--skip-preview")
    plugins: list[int] = []
    try:
        wait_for(ready.exists, 120, "the program to run")
        plugins = descendants(engine.pid)
        hosts = [pid for pid in plugins if name(pid) == "pulumi-language"]  # comm is cut at 15 chars
        assert hosts, f"no language host below pulumi: {[name(pid) for pid in plugins]}"
        os.kill(engine.pid, signal.SIGKILL)  # pulumi alone, as a crash: its plugins are not told
        engine.communicate(timeout=30)
        killed = time.monotonic()
        wait_for(lambda: not any(alive(pid) for pid in plugins), BOUND_S, "the engine's plugins to exit")
        print(f"[language host] gone {time.monotonic() - killed:.1f}s after pulumi was killed")
    finally:
        for pid in plugins:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
