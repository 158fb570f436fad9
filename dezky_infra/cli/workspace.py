"""Where a stack's state and secrets live: the user's own choice, or a local default for one developer.

The pulumi CLI needs a backend (where state lives) and, on a self-managed backend, a way to encrypt
the stack's secrets. A fresh machine has neither, and the CLI then stops: ``PULUMI_ACCESS_TOKEN must
be set for login during non-interactive CLI sessions``, or ``passphrase must be set with
PULUMI_CONFIG_PASSPHRASE``. This module fills in what the user left unchosen, and nothing else:

- **Backend.** The user's choice is, as the CLI itself looks for it: ``PULUMI_BACKEND_URL``, the
  project's ``backend.url`` in ``Pulumi.yaml``, a ``pulumi login`` (``current`` in the CLI's
  ``credentials.json``), or ``PULUMI_ACCESS_TOKEN`` (Pulumi Cloud). With none of them the state goes to
  a file backend inside the project, ``.pulumi-local/state`` (git-ignored).
- **Secrets.** The user's choice is ``PULUMI_CONFIG_PASSPHRASE`` or ``PULUMI_CONFIG_PASSPHRASE_FILE``,
  a ``secretsprovider:`` of the stack's own ``Pulumi.<stack>.yaml`` (a cloud KMS, say), or Pulumi
  Cloud, which encrypts for itself. Otherwise the stack's secrets are encrypted with a passphrase
  generated once into ``.pulumi-local/passphrase`` (mode 0600, git-ignored), handed to the CLI as
  ``PULUMI_CONFIG_PASSPHRASE_FILE``. A stack whose config already holds an ``encryptionsalt`` was
  encrypted with some passphrase: a missing file is then an error, never a new passphrase.
- **Stack files.** ``Pulumi.<stack>.yaml`` holds the stack's ``encryptionsalt`` and ``secure:`` values,
  so it belongs with the passphrase that encrypted them: a stack file is each developer's own and
  git-ignored (``Pulumi.dev.yaml`` is made by ``scripts/setup.sh`` from the committed
  ``Pulumi.dev.example.yaml``). A stack the team shares commits its file on purpose (``git add -f``)
  with the team's passphrase or a ``secretsprovider``; so this module never generates a passphrase
  for a stack file that git tracks: that passphrase would be one machine's, and the secrets it
  encrypted would reach every clone that cannot decrypt them.

What was filled in is said in one line each (where, never the passphrase itself).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

LOCAL_DIR: Final = ".pulumi-local"
"""The project folder (git-ignored) for the local default backend and passphrase file."""
STATE_DIR: Final = f"{LOCAL_DIR}/state"
PASSPHRASE_FILE: Final = f"{LOCAL_DIR}/passphrase"
SELF_MANAGED_SCHEMES: Final = frozenset({"file", "s3", "gs", "azblob", "postgres"})
"""Backends that keep state without Pulumi Cloud, and so need the stack to bring its own encryption."""

_PASSPHRASE_VARIABLES: Final = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


class WorkspaceError(Exception):
    """The backend or secrets cannot be set up without losing something; the message says the fix."""


@dataclass(frozen=True)
class PulumiWorkspace:
    """What a pulumi command of this project needs besides the user's own environment."""

    env: dict[str, str] = field(default_factory=dict)
    """Variables to add to the environment of every pulumi command (empty when the user chose all)."""
    notes: tuple[str, ...] = ()
    """One line for each default applied, to say once."""
    backend_url: str = ""
    """The backend the CLI will use (empty: Pulumi Cloud by ``PULUMI_ACCESS_TOKEN``)."""

    def shell_exports(self) -> str:
        """``export NAME=value`` lines that put ``env`` into a POSIX shell (for ``eval``)."""
        return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in sorted(self.env.items()))


def resolve(
    project_dir: Path, stack: str, environ: Mapping[str, str] | None = None, *, create: bool = True
) -> PulumiWorkspace:
    """Fill in the backend and the secrets passphrase the user left unchosen for ``stack``.

    Creates the local state folder and, for a stack that needs it and when ``create`` is set (a
    command that may make the stack), the passphrase file; a reading command passes ``create=False``
    and gets the file only when it exists. Changes nothing when the user chose both. Raises
    ``WorkspaceError`` when the stack's secrets were encrypted with a passphrase this machine does not
    have.
    """
    environ = os.environ if environ is None else environ
    project_dir = project_dir.resolve()
    env: dict[str, str] = {}
    notes: list[str] = []
    backend_url = _chosen_backend(project_dir, environ)
    if backend_url is None:
        state = project_dir / STATE_DIR
        state.mkdir(parents=True, exist_ok=True)
        backend_url = env["PULUMI_BACKEND_URL"] = state.as_uri()
        notes.append(
            f"pulumi state: local file backend {state} (no `pulumi login`, no PULUMI_BACKEND_URL; "
            "docs/team.md moves it to a shared one)"
        )
    passphrase = project_dir / PASSPHRASE_FILE
    if _needs_passphrase_file(project_dir, stack, backend_url, environ) and (create or passphrase.exists()):
        created = _ensure_passphrase_file(passphrase, project_dir / f"Pulumi.{stack}.yaml")
        env["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(passphrase)
        notes.append(
            f"pulumi secrets: stack {stack!r} is encrypted with the passphrase in {passphrase} "
            f"({'generated now, ' if created else ''}mode 0600; keep it, share it only with whoever "
            "shares the stack)"
        )
    return PulumiWorkspace(env=env, notes=tuple(notes), backend_url=backend_url)


def _chosen_backend(project_dir: Path, environ: Mapping[str, str]) -> str | None:
    """The backend URL the user chose, ``""`` for Pulumi Cloud by access token, ``None`` for no choice."""
    if environ.get("PULUMI_BACKEND_URL"):
        return environ["PULUMI_BACKEND_URL"]
    project_backend = _project_backend_url(project_dir / "Pulumi.yaml")
    if project_backend:
        return project_backend
    current = _logged_in_backend(environ)
    if current is not None:
        return current
    if environ.get("PULUMI_ACCESS_TOKEN"):
        return ""
    return None


def _yaml_mapping(path: Path) -> dict[str, Any]:
    """The top-level mapping of a Pulumi YAML file (``{}`` when it is missing); a file that is not a
    mapping is an error naming it."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise WorkspaceError(f"{path.name} is not valid YAML{where}: fix or restore it") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise WorkspaceError(f"{path.name} is not a YAML mapping of settings: fix or restore it")
    return document


def _project_backend_url(pulumi_yaml: Path) -> str | None:
    """``backend: {url: ...}`` of the project file."""
    backend = _yaml_mapping(pulumi_yaml).get("backend")
    url = backend.get("url") if isinstance(backend, dict) else None
    return str(url) if url else None


def _logged_in_backend(environ: Mapping[str, str]) -> str | None:
    """The backend of the last ``pulumi login``, where the CLI keeps it; ``None`` when logged out.

    A credentials file that cannot be read as JSON counts as a choice (``"?"``): the CLI will speak
    for itself, and its state is never replaced by a local default.
    """
    folder = environ.get("PULUMI_CREDENTIALS_PATH") or environ.get("PULUMI_HOME") or "~/.pulumi"
    path = Path(folder).expanduser() / "credentials.json"
    try:
        credentials = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return "?"
    current = credentials.get("current") if isinstance(credentials, dict) else "?"
    return str(current) if current else None


def _stack_settings(stack_file: Path) -> dict[str, str]:
    """The top-level scalar keys of ``Pulumi.<stack>.yaml`` (``secretsprovider``, ``encryptionsalt``)."""
    return {
        str(key): str(value)
        for key, value in _yaml_mapping(stack_file).items()
        if isinstance(value, str | int | float | bool)
    }


def _needs_passphrase_file(
    project_dir: Path, stack: str, backend_url: str, environ: Mapping[str, str]
) -> bool:
    """True when the stack will encrypt with a passphrase and the user gave none."""
    if any(name in environ for name in _PASSPHRASE_VARIABLES):
        return False
    provider = _stack_settings(project_dir / f"Pulumi.{stack}.yaml").get("secretsprovider", "passphrase")
    if provider != "passphrase":
        return False
    scheme = backend_url.split(":", 1)[0] if ":" in backend_url else ""
    return scheme in SELF_MANAGED_SCHEMES


def _ensure_passphrase_file(path: Path, stack_file: Path) -> bool:
    """Make the passphrase file once (0600, never readable by others); True when it was made now."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return False
    if "encryptionsalt" in _stack_settings(stack_file):
        raise WorkspaceError(
            f"{stack_file.name} holds secrets encrypted with a passphrase, but {path} does not exist: "
            "restore that file, or set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to "
            f"the stack's passphrase ({stack_file.name} is its owner's own: one from someone else's "
            "clone needs their passphrase)"
        )
    if _tracked_by_git(stack_file):
        raise WorkspaceError(
            f"{stack_file.name} is committed, so the stack is shared, and its secrets must be encrypted "
            f"with the team's passphrase, not with one made for this machine alone: put the team's "
            f"passphrase in {path} (mode 0600) or set PULUMI_CONFIG_PASSPHRASE_FILE (or "
            "PULUMI_CONFIG_PASSPHRASE), or give the stack a `secretsprovider:`"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another command made it a moment ago
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(secrets.token_urlsafe(32))
        stream.flush()
        os.fsync(stream.fileno())
    return True


def _tracked_by_git(path: Path) -> bool:
    """True when ``path`` is in the index of the git repository it sits in (False without git)."""
    git = shutil.which("git")
    if git is None:
        return False
    try:
        found = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [git, "ls-files", "--error-unmatch", "--", path.name],
            cwd=path.parent,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return found.returncode == 0


def main(argv: list[str] | None = None) -> int:
    """``python -m dezky_infra workspace --stack S [--cwd DIR]``: print the ``export`` lines for ``eval``.

    The notes go to stderr, the exports to stdout; exit 2 with one ``error:`` line when the stack's
    secrets cannot be decrypted on this machine.
    """
    parser = argparse.ArgumentParser(
        prog="python -m dezky_infra workspace",
        description="Print the environment pulumi needs for a stack (backend, passphrase file) as exports.",
    )
    parser.add_argument("--stack", required=True, help="the stack, e.g. dev")
    parser.add_argument("--cwd", type=Path, default=Path(), help="Pulumi project directory (default: .)")
    args = parser.parse_args(argv)
    try:
        workspace = resolve(args.cwd, args.stack)
    except WorkspaceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for note in workspace.notes:
        print(note, file=sys.stderr)
    sys.stdout.write(workspace.shell_exports())
    return 0
