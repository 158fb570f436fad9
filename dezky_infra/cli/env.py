"""``python -m dezky_infra env``: write the dev stack's client ids, secrets and URLs into a ``.env`` file.

The services of the Dezky dev stack read these settings from ``.env``; until now people pasted the
OIDC client secrets in by hand. This command reads them from the Pulumi stack's outputs instead and
merges them into the file with ``dezky_infra.cli.envfile`` (other lines are kept, the file stays 0600).
It prints key names and what happened to them, never values; pulumi's output is never echoed.

Exit status: 0 done (or up to date), 1 ``--check`` found the file stale, 2 the outputs could not be
read or written (one ``error:`` line on stderr; the file is left untouched).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path

from dezky_infra.cli import envfile
from dezky_infra.cli.stack_reader import read_stack_outputs
from dezky_infra.contract import StackOutputError, StackOutputs


class Mode(Enum):
    """What the command does with the merge it computes."""

    WRITE = "write"
    CHECK = "check"
    DRY_RUN = "dry-run"


def sync(outputs: Mapping[str, str], path: Path, mode: Mode) -> int:
    """Bring ``path`` up to date with ``outputs`` (or only report, per ``mode``); return the exit status.

    Prints one line per added or changed key and a summary; values are never printed.
    """
    values = StackOutputs.parse(outputs).env_values()
    changes = envfile.sync_env_file(path, values, write=mode is Mode.WRITE)
    pending = {key: change for key, change in changes.items() if change is not envfile.Change.UNCHANGED}
    if not pending:
        print(f"{path} is up to date ({len(changes)} keys)")
        return 0
    for key, change in pending.items():
        print(f"  {change.value:<8} {key}")
    if mode is Mode.CHECK:
        print(f"{path} is stale: {len(pending)} key(s) differ from the stack outputs; nothing written")
        return 1
    if mode is Mode.DRY_RUN:
        print(f"dry run: {path} not written")
        return 0
    print(f"wrote {path} (mode 0600)")
    return 0


def _parser() -> argparse.ArgumentParser:
    """The command line of ``python -m dezky_infra env``."""
    parser = argparse.ArgumentParser(
        prog="python -m dezky_infra env",
        description="Write the Dezky dev stack's settings from Pulumi stack outputs into a .env file.",
    )
    parser.add_argument("--stack", required=True, help="Pulumi stack to read outputs from, e.g. dev")
    parser.add_argument("--file", type=Path, default=Path(".env"), help=".env file to update (default: .env)")
    parser.add_argument("--cwd", type=Path, default=Path(), help="Pulumi project directory (default: .)")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument(
        "--check", action="store_const", dest="mode", const=Mode.CHECK, help="exit 1 if the file is stale"
    )
    modes.add_argument(
        "--dry-run",
        action="store_const",
        dest="mode",
        const=Mode.DRY_RUN,
        help="print the key-level diff only",
    )
    parser.set_defaults(mode=Mode.WRITE)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m dezky_infra env`` with ``argv`` (the words after ``env``); return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return sync(read_stack_outputs(args.stack, args.cwd), args.file, args.mode)
    except (StackOutputError, envfile.UnrepresentableValueError) as error:
        print(f"error: {error}", file=sys.stderr)
    except OSError as error:
        print(f"error: cannot update {args.file}: {error.strerror or error}", file=sys.stderr)
    except UnicodeDecodeError:
        print(f"error: cannot update {args.file}: it is not UTF-8 text", file=sys.stderr)
    return 2
