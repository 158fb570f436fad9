"""Read a stack's outputs and config through the pulumi CLI, the way a user's shell would.

``python -m dezky_infra env`` and ``verify`` run after ``pulumi up``, often in a fresh shell: they call
the CLI with the project's workspace defaults (``dezky_infra.cli.workspace``: the local backend and
passphrase file when the user chose none), with stdin closed so a missing passphrase fails instead of
prompting. pulumi's stdout can hold secrets: it is parsed, never echoed, and errors are one line
without values.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from dezky_infra.cli.workspace import WorkspaceError, resolve
from dezky_infra.contract import StackOutputError


def run_pulumi(args: list[str], stack: str, cwd: Path) -> str:
    """Run ``pulumi <args> --stack <stack>`` in the project ``cwd``; its stdout, or ``StackOutputError``."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise StackOutputError("the pulumi CLI is not on PATH; install it or add it to PATH")
    try:
        extra = resolve(cwd, stack, create=False).env
    except WorkspaceError as error:
        raise StackOutputError(str(error)) from None
    command = [pulumi, *args, "--stack", stack, "--non-interactive"]
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command,
            cwd=cwd,
            env={**os.environ, **extra},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as error:
        raise StackOutputError(f"could not run pulumi in {cwd}: {error.strerror or error}") from None
    if result.returncode != 0:
        raise StackOutputError(describe_failure(args, stack, cwd, result.stderr))
    return result.stdout


def read_stack_outputs(stack: str, cwd: Path) -> dict[str, str]:
    """Return the stack's outputs, secrets in plain text (``pulumi stack output --show-secrets``).

    Non-string outputs are returned as their JSON text. Raises ``StackOutputError`` when pulumi is
    not on PATH, the stack does not exist, the command fails, or the stack has no outputs yet.
    """
    stdout = run_pulumi(["stack", "output", "--json", "--show-secrets"], stack, cwd)
    try:
        outputs = json.loads(stdout or "{}")
    except json.JSONDecodeError:
        raise StackOutputError(f"pulumi printed something other than JSON for stack {stack!r}") from None
    if not isinstance(outputs, dict) or not outputs:
        raise StackOutputError(f"stack {stack!r} has no outputs yet; run `pulumi up --stack {stack}` first")
    return {name: value if isinstance(value, str) else json.dumps(value) for name, value in outputs.items()}


def read_stack_config(stack: str, cwd: Path) -> dict[str, str]:
    """The stack's config values by full key (``dezky:authentikUrl``), secrets decrypted.

    Structured values (lists, objects) come back as their JSON text, as ``pulumi config`` stores them.
    """
    stdout = run_pulumi(["config", "--json", "--show-secrets"], stack, cwd)
    try:
        config = json.loads(stdout or "{}")
    except json.JSONDecodeError:
        raise StackOutputError(f"pulumi printed something other than JSON for stack {stack!r}") from None
    values: dict[str, str] = {}
    for key, entry in config.items() if isinstance(config, dict) else ():
        value = entry.get("value") if isinstance(entry, dict) else None
        if value is not None:
            values[key] = value if isinstance(value, str) else json.dumps(value)
    return values


def describe_failure(args: list[str], stack: str, cwd: Path, stderr: str) -> str:
    """Turn a failed pulumi command's stderr into one line (pulumi says ``no stack named``)."""
    if "no stack named" in stderr:
        return f"stack {stack!r} does not exist in the Pulumi project at {cwd} (see `pulumi stack ls`)"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = next((line for line in lines if line.startswith("error:")), lines[-1] if lines else "no message")
    return f"`pulumi {' '.join(args[:2])} --stack {stack}` failed: {detail.removeprefix('error:').strip()}"
