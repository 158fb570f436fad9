"""``dezky-infra <command>`` (or ``python -m dezky_infra <command>``): the tools around the Pulumi program.

Commands:
  env        write the stack's outputs (client ids, issuers, secrets) into a ``.env`` file
  verify     log in to every OIDC client of the stack, as a browser and its consumer would
  review     ``pulumi preview --diff`` of a stack with the docker layer on, without a Docker daemon
  workspace  print the environment pulumi needs for a stack (backend, passphrase file) as exports

``dezky-infra <command> --help`` says more about each. The commands read the stack through the pulumi
CLI and the outputs contract (``dezky_infra.contract``); none of them imports the program.
"""

from __future__ import annotations

import importlib
import sys
from typing import Final

from dezky_infra import __version__

COMMANDS: Final = {
    "env": "dezky_infra.cli.env",
    "verify": "dezky_infra.cli.verify",
    "review": "dezky_infra.cli.review",
    "workspace": "dezky_infra.cli.workspace",
}
"""Each command's module, imported only when it runs."""
EXTRAS: Final = {"jwt": "verify", "dotenv": "verify"}
"""Packages a command needs from an optional extra of the ``dezky-infra`` distribution."""
HELP: Final = frozenset({"-h", "--help", "help"})


def usage() -> str:
    """The top-level help."""
    return (__doc__ or "").strip().replace("``", "`")


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` names (``sys.argv[1:]`` by default); the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in HELP:
        print(usage())
        return 0
    if args and args[0] == "--version":
        print(f"dezky-infra {__version__}")
        return 0
    if not args or args[0] not in COMMANDS:
        problem = f"unknown command {args[0]!r}" if args else "no command given"
        print(
            f"dezky-infra: {problem}; the commands are {', '.join(COMMANDS)} (--help says more)",
            file=sys.stderr,
        )
        return 2
    try:
        module = importlib.import_module(COMMANDS[args[0]])
    except ModuleNotFoundError as missing:
        extra = EXTRAS.get((missing.name or "").split(".")[0])
        if extra is None:
            raise
        print(
            f"dezky-infra: `{args[0]}` needs the `{extra}` extra: pip install 'dezky-infra[{extra}]'",
            file=sys.stderr,
        )
        return 2
    status: int = module.main(args[1:])
    return status
