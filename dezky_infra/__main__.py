"""``python -m dezky_infra <command>``: small helpers around the Pulumi program.

Commands:
  env        write the stack's outputs (client ids, issuers, secrets) into a ``.env`` file
  verify     log in to every OIDC client of the stack, as a browser and its consumer would
  review     ``pulumi preview --diff`` of a stack with the docker layer on, without a Docker daemon
  workspace  print the environment pulumi needs for a stack (backend, passphrase file) as exports
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "env": "dezky_infra.cli.env",
    "verify": "dezky_infra.cli.verify",
    "review": "dezky_infra.review",
    "workspace": "dezky_infra.workspace",
}
"""Each command's module (imported when used: ``review`` loads pulumi_docker, the others do not)."""


def main(argv: list[str]) -> int:
    """Dispatch to a command; print usage for anything else."""
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    command: int = importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])
    return command


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
