"""A throwaway Pulumi project of the benchmark program, driven like ``tests.engine.harness``.

Temp directory, file backend, the offline engine settings of ``tests.engine.harness.engine_env``, a
project that runs ``bench/program/__main__.py`` with the repository's ``.venv``, and ``PYTHONPATH``
pointing at the code under test (then at this repository, for ``bench``): an ``EngineProject``.
Each operation is timed around the Automation API call, so the time includes everything a developer
waits for: the CLI, the language host, the program, the provider process and the state writes. The
commands after ``up`` (``python -m dezky_infra env`` and ``verify``) are timed around their process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi.automation as auto

from dezky_infra.authentik.provider.host import TRACE_VARIABLE
from tests.engine.harness import REPO, EngineProject

PROGRAM = Path(__file__).resolve().parent / "program" / "__main__.py"
SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""How a checkpoint marks a secret value (``{SECRET_SIG: ..., "ciphertext"|"plaintext": ...}``)."""

WIPED_UP = "up --refresh (wiped)"
CLI_UP = "pulumi up (CLI)"
CLI_PREVIEW = "pulumi preview (CLI)"
CLI_OPERATIONS = (CLI_UP, CLI_PREVIEW)
"""What a user types, timed around the ``pulumi`` process: a fresh ``pulumi up --yes`` (its preview,
then the update) and a no-change ``pulumi preview``. The runner then destroys the stack and wipes authentik
again, and the lifecycle below starts over from nothing."""
OPERATIONS = (
    *CLI_OPERATIONS,
    "fresh up",
    "no-op preview",
    "no-op up",
    "refresh",
    "env",
    "verify",
    WIPED_UP,
    "destroy",
)
"""The lifecycle each stack of our program goes through, in this order (the Automation API's operations
after the CLI's). Before ``WIPED_UP`` the runner wipes authentik (a fresh one without the API token, like
``docker compose down -v``)."""
_VERBS = {"created": "create", "updated": "update", "deleted": "delete", "replaced": "replace"}
"""The CLI's summary words as the Automation API's change names."""
_SUMMARY = re.compile(r"^\s*[+~-]?\s*(\d+) (created|updated|deleted|replaced)\s*$", re.MULTILINE)
COMMANDS = frozenset({"env", "verify"})
"""The operations that are ``python -m dezky_infra`` commands, not engine operations: the floors,
which have no authentik objects, skip them."""


@dataclass(frozen=True)
class OpRun:
    """One engine operation: its wall time and the engine's change summary."""

    seconds: float
    changes: dict[str, int]
    log_tail: str


class BenchProject(EngineProject):
    """One stack of the benchmark program in its own directory and backend."""

    def __init__(self, root: Path, code: Path = REPO, stack_name: str = "bench") -> None:
        super().__init__(root, stack_name, program=PROGRAM, code=code)
        self.env_file = root / "consumer.env"

    def set_env(self, name: str, value: str) -> None:
        """An environment variable for every later operation (the engine's plugins inherit it)."""
        self.env[name] = value
        self.stack.workspace.env_vars = {**self.stack.workspace.env_vars, name: value}

    def command(self, name: str) -> OpRun:
        """``python -m dezky_infra env|verify`` on this stack, as a user runs them after ``up``."""
        project = ["--stack", self.stack.name, "--cwd", str(self.work_dir)]
        args = {"env": ["--file", str(self.env_file)], "verify": ["--env-file", str(self.env_file)]}[name]
        python = str(REPO / ".venv" / "bin" / "python")
        # not in the checkout: ``-m`` must find the code under test on PYTHONPATH
        argv = [python, "-m", "dezky_infra", name, *project, *args]
        seconds, out = self._timed(f"dezky_infra {name}", argv, self.root, {})
        return OpRun(seconds, {}, "\n".join(out.splitlines()[-5:]))

    def _timed(self, what: str, argv: list[str], cwd: Path, extra: dict[str, str]) -> tuple[float, str]:
        """Run ``argv`` (``what``, for an error) as a user would, without a terminal, timed around the
        process; its stdout."""
        start = time.perf_counter()
        done = subprocess.run(
            argv,
            cwd=cwd,
            env={**os.environ, **self.env, **extra},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{what} exited {done.returncode}: {(done.stdout + done.stderr)[-2000:]}")
        return seconds, done.stdout

    def typed(self, operation: str, trace: Path | None = None) -> OpRun:
        """``pulumi up --yes`` or ``pulumi preview`` as a user types it, timed around the process;
        ``trace`` is where the providers time each engine call (``DEZKY_TRACE``)."""
        args = {CLI_UP: ["up", "--yes"], CLI_PREVIEW: ["preview"]}[operation]
        extra = {TRACE_VARIABLE: str(trace)} if trace is not None else {}
        argv = ["pulumi", *args, "--stack", self.stack.name, "--non-interactive", "--color", "never"]
        seconds, out = self._timed(f"pulumi {operation}", argv, self.work_dir, extra)
        changes = {_VERBS[verb]: int(n) for n, verb in _SUMMARY.findall(out)}
        return OpRun(seconds, changes, "\n".join(out.splitlines()[-5:]))

    def run(self, operation: str) -> OpRun:
        """Run one of ``OPERATIONS`` and time it."""
        if operation in COMMANDS:
            return self.command(operation)
        if operation in CLI_OPERATIONS:
            return self.typed(operation)
        lines: list[str] = []
        actions: dict[str, Callable[[], Any]] = {
            "fresh up": lambda: self.stack.up(on_output=lines.append, color="never"),
            "no-op preview": lambda: self.stack.preview(on_output=lines.append, color="never"),
            "no-op up": lambda: self.stack.up(on_output=lines.append, color="never"),
            "refresh": lambda: self.stack.refresh(on_output=lines.append, color="never"),
            WIPED_UP: lambda: self.stack.up(refresh=True, on_output=lines.append, color="never"),
            "destroy": lambda: self.stack.destroy(on_output=lines.append, color="never"),
        }
        start = time.perf_counter()
        try:
            result = actions[operation]()
        except auto.CommandError as exc:
            tail = "\n".join(lines[-30:])
            raise RuntimeError(f"pulumi {operation} failed: {str(exc)[-2000:]}\n{tail}") from None
        seconds = time.perf_counter() - start
        return OpRun(seconds, _changes(result), "\n".join(lines[-5:]))

    def state_summary(self, names: frozenset[str]) -> dict[str, Any]:
        """The checkpoint's size, and for the resources named in ``names`` their state: input and
        output property names, secret outputs and size (the evidence that the floor is fair)."""
        deployment = self.stack.export_stack().deployment or {}
        resources: dict[str, Any] = {}
        for resource in deployment.get("resources", []):
            name = str(resource["urn"]).rsplit("::", 1)[-1]
            if name in names:
                outputs = resource.get("outputs", {})
                resources[name] = {
                    "inputs": sorted(resource.get("inputs", {})),
                    "outputs": sorted(set(outputs) - set(resource.get("inputs", {}))),
                    "secret": sorted(
                        k for k, v in outputs.items() if isinstance(v, dict) and SECRET_SIG in v
                    ),
                    "bytes": len(json.dumps(resource)),
                }
        return {"bytes": len(json.dumps(deployment)), "resources": resources}


def _changes(result: Any) -> dict[str, int]:
    """The non-zero, non-"same" entries of an operation's change summary."""
    if isinstance(result, auto.PreviewResult):
        summary = result.change_summary
    else:
        summary = result.summary.resource_changes or {}
    return {op: n for op, n in summary.items() if op != "same" and n}
