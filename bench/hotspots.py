"""Where a fresh ``up`` spends its time: ours next to the fair floor, by process and by function.

``python -m bench.hotspots --tenants 100 --profile flat`` (needs ``py-spy``: ``pip install py-spy``;
it is not part of the benchmark's requirements) brings each stack up once on a fresh authentik, under
``py-spy record --subprocesses --gil --format speedscope`` (every Python process of the engine: the
program and the dynamic provider process, sampled only while a thread holds the GIL, i.e. runs
Python code), while a sampler reads every process's CPU time from ``/proc`` (the Go CLI and language
host too). It prints, for ours and the floor, the CPU seconds per process and, for the program and
the provider process, the functions with the most samples (own and inclusive, as a share of that
process's GIL-holding samples; time in C with the GIL released, such as gRPC's core, shows only in the
CPU seconds). The speedscope files are kept for a closer look
(https://www.speedscope.app).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi.automation as auto

from bench.cli import DEFAULT_OUT
from bench.profiles import PROFILES
from bench.project import BenchProject
from bench.runner import MODES, PASSWORD, TOKEN
from tests.authentik_server import AuthentikServer
from tests.engine.harness import REPO

WAIT_FOR = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
"""The Python process py-spy follows: it runs the (Go) CLI and waits for it."""
ROLES = (
    ("py-spy", "py-spy"),
    ("py-spy", WAIT_FOR),
    ("provider", "-m pulumi.dynamic"),
    ("program", "pulumi-language-python-exec"),
    ("language host", "pulumi-language-python"),
    ("provider", "pulumi-resource-pulumi-python"),
    ("language host", "-m pip --version"),  # the language host's toolchain check, every operation
    ("pulumi CLI", "pulumi"),
)
"""A process's role: the first whose marker is in its command line."""
_TICK = os.sysconf("SC_CLK_TCK")


def role_of(cmdline: str) -> str:
    """``provider``, ``program``, ... for a process's command line (``other`` when none fits)."""
    return next((role for role, marker in ROLES if marker in cmdline), "other")


@dataclass
class CpuSampler:
    """Polls the CPU time of every descendant of ``root`` (by pid) until stopped."""

    root: int
    seconds: dict[int, tuple[str, float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _children(self, pid: int) -> list[int]:
        found = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            found += [int(child) for child in children]
        return found

    def poll(self) -> None:
        """One look at the whole tree."""
        pending = [self.root]
        while pending:
            pid = pending.pop()
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                pending += self._children(pid)
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            known = self.seconds.get(pid, ("", 0.0))[0]
            self.seconds[pid] = (cmdline or known, (int(stat[11]) + int(stat[12])) / _TICK)

    def run(self) -> None:
        """Poll every 50 ms (a process that ends between polls loses its last moments)."""
        while not self._stop.wait(0.05):
            self.poll()

    def stop(self) -> dict[str, float]:
        """CPU seconds by role."""
        self._stop.set()
        by_role: dict[str, float] = defaultdict(float)
        for cmdline, seconds in self.seconds.values():
            by_role[role_of(cmdline)] += seconds
        return dict(by_role)


def _frame(frame: dict[str, Any]) -> str:
    file = str(frame.get("file", ""))
    for marker in ("site-packages/", "/main/", "/bench/"):
        file = file.split(marker, 1)[-1]
    return f"{frame['name']} ({file}:{frame.get('line', '?')})"


def _is_package(frame: dict[str, Any]) -> bool:
    """A frame of an installed package or of this repository (not the standard library's plumbing:
    threads, the event loop, importlib), for the inclusive ranking."""
    file = str(frame.get("file", ""))
    return "site-packages/" in file or file.startswith(str(REPO))


def top_functions(speedscope: dict[str, Any], top: int) -> dict[str, dict[str, Any]]:
    """Per role (program, provider): seconds sampled and the ``top`` functions by own and inclusive share
    (the busiest process of each role; ``role_of`` its command line).

    py-spy roots each subprocess's stacks in ``process <pid>: <command line>`` frames, its ancestors'
    and then its own; they name the role and are not counted as functions (own time on them alone is
    time with no Python frame, e.g. in gRPC's C core). The inclusive ranking lists the functions of
    packages and of this repository (``_is_package``) and the time spent importing modules.
    """
    frames = speedscope["shared"]["frames"]
    by_process: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for profile in speedscope["profiles"]:
        by_process[profile["name"].split(" Thread ")[0]].append(profile)
    found: dict[str, dict[str, Any]] = {}
    for threads in by_process.values():
        own_process = {
            [frames[i]["name"] for i in stack if frames[i]["name"].startswith("process ")][-1]
            for thread in threads
            for stack in thread["samples"][:1]
        }
        role = role_of(own_process.pop()) if own_process else "other"
        if role not in ("program", "provider"):
            continue
        own: Counter[str] = Counter()
        inclusive: Counter[str] = Counter()
        total = 0.0
        for thread in threads:
            for stack, weight in zip(thread["samples"], thread["weights"], strict=True):
                total += weight
                named = [i for i in stack if not frames[i]["name"].startswith("process ")]
                own[_frame(frames[named[-1]]) if named else "(no Python frame)"] += weight
                for name in {_frame(frames[i]) for i in named if _is_package(frames[i])}:
                    inclusive[name] += weight
                if any(frames[i]["name"] == "_find_and_load" for i in named):
                    inclusive["(importing modules)"] += weight
        if total and (role not in found or total > found[role]["sampled_seconds"]):
            found[role] = {
                "sampled_seconds": total,
                "own": [(name, n / total) for name, n in own.most_common(top)],
                "inclusive": [(name, n / total) for name, n in inclusive.most_common(top)],
            }
    return found


def _destroy(project: BenchProject) -> None:
    """Destroy the stack; py-spy can return a moment before the CLI has let go of the stack's lock."""
    for attempt in range(10):
        try:
            project.stack.destroy()
            return
        except auto.ConcurrentUpdateError:
            if attempt == 9:
                raise
            time.sleep(1)


def measure(route: str, server: AuthentikServer, tenants: int, out: Path, rate: int) -> dict[str, Any]:
    """One fresh ``up`` of ``route`` under py-spy; wall time, CPU by role and the top functions."""
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy is not installed: `pip install py-spy` (into the project's .venv)")
    with tempfile.TemporaryDirectory(prefix="dezky-hotspots-") as tmp:
        project = BenchProject(Path(tmp))
        project.configure(
            {"authentikUrl": server.url, "authentikPublicUrl": server.url, "benchMode": MODES[route]}
            | {"benchTenants": str(tenants)},
            {"authentikToken": TOKEN, "authentikBootstrapPassword": PASSWORD},
        )
        speedscope = out / f"{route.replace(' ', '-')}.speedscope.json"
        command = [py_spy, "record", "--subprocesses", "--gil", "--format", "speedscope", "--rate", str(rate)]
        # py-spy stops (and the CLI with it) when it loses the Python process it follows: the root
        # is a Python process that waits for the (Go) CLI.
        command += ["-o", str(speedscope), "--", sys.executable, "-c", WAIT_FOR, "pulumi", "up"]
        command += ["--yes", "--skip-preview"]
        command += ["--stack", project.stack.name, "--non-interactive"]
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=project.work_dir,
            env={**os.environ, **project.env},
            stdout=(out / f"{route.replace(' ', '-')}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        sampler = CpuSampler(process.pid)
        thread = threading.Thread(target=sampler.run, daemon=True)
        thread.start()
        process.wait()
        seconds = time.perf_counter() - start
        cpu = sampler.stop()
        if process.returncode != 0:
            raise SystemExit(f"{route}: pulumi up failed, see {out}/{route.replace(' ', '-')}.log")
        _destroy(project)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "functions": top_functions(json.loads(speedscope.read_text()), 15),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure ours and the fair floor; print and write ``hotspots.json`` next to the speedscope files."""
    parser = argparse.ArgumentParser(prog="python -m bench.hotspots", description=__doc__)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="flat")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT / "hotspots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    server = AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD)
    server.start()
    found: dict[str, Any] = {}
    try:
        for route in ("ours", "floor"):
            server.faults.clear()
            server.wipe()
            PROFILES[args.profile].apply(server)
            found[route] = measure(route, server, args.tenants, args.out, args.rate)
    finally:
        server.stop()
    for route, result in found.items():
        cpu = ", ".join(f"{role} {s:.1f}" for role, s in sorted(result["cpu"].items(), key=lambda kv: -kv[1]))
        print(f"\n{route}: fresh up of {args.tenants} tenants ({args.profile}) {result['seconds']:.1f} s")
        print(f"  CPU seconds by process: {cpu}")
        for role, functions in sorted(result["functions"].items()):
            sampled = functions["sampled_seconds"]
            print(f"  {role} process: {sampled:.1f} s holding the GIL (py-spy, {args.rate}/s)")
            for kind in ("inclusive", "own"):
                print(f"    by {kind} time:")
                print("\n".join(f"      {share:6.1%}  {name}" for name, share in functions[kind]))
    (args.out / "hotspots.json").write_text(json.dumps(found, indent=2) + "\n")
    print(f"\nwrote {args.out / 'hotspots.json'} and the speedscope files beside it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
