"""``python -m dezky_infra review --stack S [preview args]``: review a change without a Docker daemon.

``pulumi preview`` of a stack with the docker layer on needs a Docker daemon that pulumi-docker can
ping: its ``Configure`` pings even for a preview (``failed to connect to any docker daemon``). A
reviewer's laptop or a CI runner often has none. This command runs ``pulumi preview --diff`` with
``DOCKER_HOST`` pointing at a stand-in that answers exactly that ping
(``dezky_infra.cli.review.daemon``); a preview without ``--refresh`` makes no other Docker call,
so the diff is the real engine's, computed from the state and the program. Anything that would read
or change containers (``--refresh``, an ``up``) fails loudly with "needs a real Docker daemon".
authentik is not needed either: an unchanged stack previews without calling it.

It applies the same workspace defaults as the other commands (the project's local backend and
passphrase file when the user chose none). A stack whose config sets ``docker:host`` talks to that
host instead, which is then the reviewer's to provide. The exit status is pulumi's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dezky_infra.cli.review.daemon import serve_review_daemon
from dezky_infra.cli.workspace import WorkspaceError, resolve

REFRESH_FLAGS = ("--refresh", "-r")


def preview_command(pulumi: str, stack: str, extra: list[str]) -> list[str]:
    """The preview a review runs: with the diff, without refresh, never asking on a terminal."""
    return [pulumi, "preview", "--diff", "--refresh=false", "--non-interactive", "--stack", stack, *extra]


def main(argv: list[str] | None = None) -> int:
    """Run the review preview; print one ``review: error:`` line and exit 2 when it cannot run."""
    parser = argparse.ArgumentParser(
        prog="python -m dezky_infra review",
        description="pulumi preview --diff of a stack with the docker layer on, without a Docker daemon. "
        "Other arguments (e.g. --policy-pack policy) go to pulumi preview.",
    )
    parser.add_argument("--stack", required=True, help="the stack, e.g. dev")
    parser.add_argument("--cwd", type=Path, default=Path(), help="Pulumi project directory (default: .)")
    args, extra = parser.parse_known_args(argv)
    if any(flag == arg or arg.startswith(f"{flag}=") for arg in extra for flag in REFRESH_FLAGS):
        print("review: error: --refresh reads the containers and needs a real Docker daemon", file=sys.stderr)
        return 2
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        print("review: error: the pulumi CLI is not on PATH", file=sys.stderr)
        return 2
    try:
        workspace = resolve(args.cwd, args.stack, create=False)
    except WorkspaceError as error:
        print(f"review: error: {error}", file=sys.stderr)
        return 2
    # A short private folder: unix socket paths are limited to about 100 bytes.
    with (
        tempfile.TemporaryDirectory(prefix="dz-review-") as folder,
        serve_review_daemon(Path(folder) / "docker.sock") as daemon,
    ):
        print(f"review: Docker stand-in at {daemon.docker_host} (answers the ping only)", file=sys.stderr)
        env = {**os.environ, **workspace.env, "DOCKER_HOST": daemon.docker_host}
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            preview_command(pulumi, args.stack, extra), cwd=args.cwd, env=env, check=False
        )
    return result.returncode
