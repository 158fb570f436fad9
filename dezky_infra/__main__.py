"""``python -m dezky_infra <command>``: small helpers around the Pulumi program.

Commands:
  env        write the stack's outputs (client ids, issuers, secrets) into a ``.env`` file
  workspace  print the environment pulumi needs for a stack (backend, passphrase file) as exports
"""

from __future__ import annotations

import sys

from dezky_infra import env_cli, workspace

COMMANDS = {"env": env_cli.main, "workspace": workspace.main}


def main(argv: list[str]) -> int:
    """Dispatch to a command; print usage for anything else."""
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
