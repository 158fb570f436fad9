"""Drive the real Pulumi engine (Automation API + the CLI built by scripts/install-pulumi.sh).

Each ``EngineProject`` is a temporary copy of the project's program with its own file backend (or the
``StateBackend`` a test passes, e.g. a bucket on a local S3 server), so a test never touches the
developer's stacks or the repository's ``Pulumi.<stack>.yaml`` files. The
engine runs the real ``__main__.py`` with the docker layer off, against a local authentik-compatible
server; the dynamic providers run in the engine's provider process and reach it over loopback.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi.automation as auto

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = ""


def let_plugins_stop_when_asked() -> None:
    """Undo an inherited "ignore SIGINT" in this process, so the engines it starts can stop their plugins.

    A shell that starts a job in the background (``cmd &``, ``nohup``) starts it with SIGINT ignored, and
    every process below inherits that; Python keeps an ignored SIGINT ignored. The engine stops a plugin
    with SIGINT and kills it 5 s later, so a Python dynamic provider (the floor's and ours) then costs
    every pulumi operation 5 s, and ours never gets to log its session out (the suite took 32 minutes
    instead of 15). A handled SIGINT is reset to the default for the processes this one starts."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def engine_env(backend: Path) -> dict[str, str]:
    """Offline settings for the engine (see DESIGN.md §3)."""
    return {
        "PULUMI_BACKEND_URL": backend.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_HOME": str(backend.parent / "pulumi-home"),
        "PYTHONPATH": str(REPO),
    }


def require_cli() -> str:
    """Path of the pulumi CLI; fails (never skips) with the fix when it is missing."""
    found = shutil.which("pulumi")
    if found is None:
        raise RuntimeError("the pulumi CLI is not on PATH: run `. scripts/setup.sh` (it builds it) first")
    return found


def changes(summary: Mapping[Any, int] | None) -> dict[str, int]:
    """The non-zero changes of an operation's summary (keyed by op name), without ``same``."""
    return {str(op): n for op, n in (summary or {}).items() if op != "same" and n}


@dataclass(frozen=True)
class StateBackend:
    """A state backend other than the default temp file backend, e.g. a bucket on a local S3 server.

    ``files`` is the folder on this machine where the backend's objects land, so tests can scan the
    state that was really written; ``env`` is what the engine needs to reach it (credentials).
    """

    url: str
    files: Path
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class OpLog:
    """Everything the engine printed for one operation (for the secret scan), and its events."""

    lines: list[str] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def event(self, event: Any) -> None:
        """Record one engine event (``on_event``)."""
        self.events.append(event)

    def diagnostics(self, containing: str) -> list[tuple[str, str]]:
        """``(severity, message)`` of every diagnostic whose message contains ``containing``."""
        found = [event.diagnostic_event for event in self.events if event.diagnostic_event is not None]
        return [(d.severity, d.message) for d in found if containing in d.message]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class EngineProject:
    """A throwaway copy of the program with one stack, driven through the Automation API."""

    def __init__(
        self,
        root: Path,
        stack_name: str = "dev",
        *,
        program: Path = REPO / "__main__.py",
        code: Path = REPO,
        backend: StateBackend | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        """``program`` is the ``__main__.py`` to run (the real one by default); ``code`` is the checkout
        whose ``dezky_infra`` is imported (the benchmark measures other revisions with it).
        ``backend`` replaces the temp file backend; ``extra_env`` (e.g. another passphrase) is added
        to the engine's environment last."""
        require_cli()
        self.root = root
        self.work_dir = root / "project"
        self.work_dir.mkdir(parents=True)
        state = root / "state"
        if backend is None:
            state.mkdir()
        self.backend = state if backend is None else backend.files
        shutil.copy(program, self.work_dir / "__main__.py")
        (self.work_dir / "Pulumi.yaml").write_text(
            (REPO / "Pulumi.yaml").read_text().replace("virtualenv: .venv", f"virtualenv: {REPO / '.venv'}")
        )
        self.env = engine_env(state)
        if code != REPO:
            self.env["PYTHONPATH"] = f"{code}:{REPO}"
        if backend is not None:
            self.env.update({"PULUMI_BACKEND_URL": backend.url, **backend.env})
        self.env.update(extra_env or {})
        self.logs: list[OpLog] = []
        self.stack = auto.create_stack(
            stack_name,
            work_dir=str(self.work_dir),
            opts=auto.LocalWorkspaceOptions(env_vars=self.env, secrets_provider="passphrase"),
        )

    # -- config --------------------------------------------------------------------------------
    def configure(self, plain: Mapping[str, str], secret: Mapping[str, str]) -> None:
        values = {f"dezky:{k}": auto.ConfigValue(v) for k, v in plain.items()}
        values.update({f"dezky:{k}": auto.ConfigValue(v, secret=True) for k, v in secret.items()})
        self.stack.set_all_config(values)

    def set_object(self, key: str, value: Any) -> None:
        """Set a structured config value as JSON text (``pulumi.Config.get_object`` parses it)."""
        self.stack.set_config(f"dezky:{key}", auto.ConfigValue(json.dumps(value)))

    # -- operations ----------------------------------------------------------------------------
    def _log(self) -> OpLog:
        log = OpLog()
        self.logs.append(log)
        return log

    def up(self, **kwargs: Any) -> auto.UpResult:
        log = self._log()
        return self.stack.up(on_output=log, on_event=log.event, show_secrets=False, color="never", **kwargs)

    def preview(self, **kwargs: Any) -> auto.PreviewResult:
        return self.stack.preview(on_output=self._log(), color="never", **kwargs)

    def refresh(self, **kwargs: Any) -> auto.RefreshResult:
        return self.stack.refresh(on_output=self._log(), show_secrets=False, color="never", **kwargs)

    def destroy(self) -> auto.DestroyResult:
        return self.stack.destroy(on_output=self._log(), show_secrets=False, color="never")

    def cli(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run the pulumi CLI itself in the project with the same offline environment (plus ``env``,
        e.g. another backend's URL and credentials)."""
        result = subprocess.run(
            ["pulumi", *args, "--stack", self.stack.name, "--non-interactive"],
            cwd=self.work_dir,
            env={**os.environ, **self.env, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"pulumi {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    # -- what is left behind ---------------------------------------------------------------------
    def state_files(self) -> Iterator[Path]:
        yield from (p for p in self.backend.rglob("*") if p.is_file())

    def written_text(self) -> str:
        """State files, stack config files and every engine log so far, as one text to scan."""
        parts = [p.read_text(errors="replace") for p in self.state_files()]
        parts += [p.read_text() for p in self.work_dir.glob("Pulumi.*.yaml")]
        parts += [log.text for log in self.logs]
        return "\n".join(parts)
