"""A throwaway Pulumi project of the benchmark program, driven like ``tests.engine.harness``.

Temp directory, file backend, the offline engine settings of ``tests.engine.harness.engine_env``, a
project that runs ``bench/program/__main__.py`` with the repository's ``.venv``, and ``PYTHONPATH``
pointing at the code under test (then at this repository, for ``bench``): an ``EngineProject``.
Each operation is timed around the Automation API call, so the time includes everything a developer
waits for: the CLI, the language host, the program, the provider process and the state writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi.automation as auto

from tests.engine.harness import REPO, EngineProject

PROGRAM = Path(__file__).resolve().parent / "program" / "__main__.py"

OPERATIONS = ("fresh up", "no-op preview", "no-op up", "refresh", "destroy")
"""The lifecycle each project goes through, in this order."""


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

    def run(self, operation: str) -> OpRun:
        """Run one of ``OPERATIONS`` and time it."""
        lines: list[str] = []
        actions: dict[str, Callable[[], Any]] = {
            "fresh up": lambda: self.stack.up(on_output=lines.append, color="never"),
            "no-op preview": lambda: self.stack.preview(on_output=lines.append, color="never"),
            "no-op up": lambda: self.stack.up(on_output=lines.append, color="never"),
            "refresh": lambda: self.stack.refresh(on_output=lines.append, color="never"),
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


def _changes(result: Any) -> dict[str, int]:
    """The non-zero, non-"same" entries of an operation's change summary."""
    if isinstance(result, auto.PreviewResult):
        summary = result.change_summary
    else:
        summary = result.summary.resource_changes or {}
    return {op: n for op, n in summary.items() if op != "same" and n}
