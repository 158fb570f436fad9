"""What starting the provider process costs: importing the dynamic provider modules.

Two numbers, each the median of several fresh interpreters with the code under test on
``PYTHONPATH``: the ``-X importtime`` total for ``import dezky_infra.authentik`` (the sum of every
module's own time, plus the heaviest top-level imports), and the wall time of
``python -c "import dezky_infra.authentik"`` next to a bare ``python -c pass`` for reference.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

MODULE = "dezky_infra.authentik"


@dataclass(frozen=True)
class ImportTimes:
    """Medians over ``runs`` interpreters, in seconds."""

    runs: int
    importtime_total_s: float
    """Sum of the ``self`` column of ``-X importtime`` (every module imported by the statement)."""
    wall_import_s: float
    """``python -c "import dezky_infra.authentik"`` wall time."""
    wall_bare_s: float
    """``python -c pass`` wall time: the interpreter's own start."""
    client_setup_s: float | None = None
    """Constructing one ``AuthentikClient`` (httpx client + TLS context), which every resource
    operation does; None when the code under test has no such constructor."""
    heaviest: dict[str, float] = field(default_factory=dict)
    """Import time summed by top-level package, heaviest first (seconds, from one run)."""


def _python(code: Path) -> tuple[str, dict[str, str]]:
    venv_python = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "python")
    return venv_python, {**os.environ, "PYTHONPATH": str(code)}


def importtime(code: Path) -> tuple[float, dict[str, float]]:
    """One ``-X importtime`` run: (total seconds, seconds by top-level package, heaviest first)."""
    python, env = _python(code)
    done = subprocess.run(
        [python, "-X", "importtime", "-c", f"import {MODULE}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    total_us = 0
    by_package: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative_us, name = line.removeprefix("import time:").split("|")
        package = name.strip().split(".")[0]
        by_package[package] = by_package.get(package, 0) + int(self_us)
        total_us += int(self_us)
    ranked = sorted(by_package.items(), key=lambda kv: kv[1], reverse=True)[:8]
    heaviest = {package: us / 1e6 for package, us in ranked}
    return total_us / 1e6, heaviest


def wall(code: Path, statement: str) -> float:
    """Wall time of one fresh interpreter running ``statement``."""
    python, env = _python(code)
    start = time.perf_counter()
    subprocess.run([python, "-c", statement], env=env, check=True)
    return time.perf_counter() - start


CLIENT_SETUP = """\
import statistics, time
from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
settings = ConnectionSettings(url="http://127.0.0.1:9", token="x" * 40)
AuthentikClient(settings).close()
times = []
for _ in range(RUNS):
    start = time.perf_counter()
    AuthentikClient(settings).close()
    times.append(time.perf_counter() - start)
print(statistics.median(times))
"""


def client_setup(code: Path, runs: int) -> float | None:
    """Median seconds to construct (and close) an ``AuthentikClient`` for a plain-http URL."""
    python, env = _python(code)
    done = subprocess.run(
        [python, "-c", CLIENT_SETUP.replace("RUNS", str(max(runs, 5)))],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return float(done.stdout) if done.returncode == 0 else None


def measure(code: Path, runs: int = 5) -> ImportTimes:
    """Medians of ``runs`` interpreters for each number."""
    totals: list[float] = []
    heaviest: dict[str, float] = {}
    for _ in range(runs):
        total, heaviest = importtime(code)
        totals.append(total)
    return ImportTimes(
        runs=runs,
        importtime_total_s=statistics.median(totals),
        wall_import_s=statistics.median(wall(code, f"import {MODULE}") for _ in range(runs)),
        wall_bare_s=statistics.median(wall(code, "pass") for _ in range(runs)),
        client_setup_s=client_setup(code, runs * 4),
        heaviest=heaviest,
    )
