"""``python -m dezky_infra env``: write the dev stack's client ids, secrets and URLs into a ``.env`` file.

The services of the Dezky dev stack read these settings from ``.env``; until now people pasted the
OIDC client secrets in by hand. This command reads them from the Pulumi stack's outputs instead and
merges them into the file with ``dezky_infra.envfile`` (other lines are kept, the file stays 0600).
It prints key names and what happened to them, never values; pulumi's output is never echoed.

Exit status: 0 done (or up to date), 1 ``--check`` found the file stale, 2 the outputs could not be
read or written (one ``error:`` line on stderr; the file is left untouched).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Final

from dezky_infra import envfile
from dezky_infra.oidc_clients import CLIENT_ENV_KEYS, env_key, output_name
from dezky_infra.stack_reader import StackOutputError, read_stack_outputs
from dezky_infra.tenancy import tenant_env_key, tenant_urls


@dataclass(frozen=True)
class EnvSetting:
    """One ``.env`` key and the stack output it comes from; ``default`` applies when the output is absent."""

    output: str
    key: str
    default: str | None = None


STACK_SETTINGS: Final[tuple[EnvSetting, ...]] = (
    EnvSetting("authentik_bootstrap_token", "AUTHENTIK_BOOTSTRAP_TOKEN"),
    EnvSetting("authentik_url", "AUTHENTIK_URL"),
    EnvSetting("platform_api_internal_url", "PLATFORM_API_INTERNAL_URL", default="http://platform-api:3001"),
)
"""The keys that are not about one OIDC client."""


def env_settings(outputs: Mapping[str, str]) -> tuple[EnvSetting, ...]:
    """The whole output-to-key mapping for this stack: each OIDC client's keys (from the output
    ``oidc_clients``, in its order), then the stack's; the order is the order keys are appended to a
    new file."""
    try:
        clients = json.loads(outputs["oidc_clients"])
    except (KeyError, ValueError):
        raise StackOutputError("the stack lacks output oidc_clients; run `pulumi up` to create it") from None
    per_client = [
        EnvSetting(output_name(client["env_prefix"], suffix), env_key(client["env_prefix"], suffix))
        for client in clients.values()
        for suffix in CLIENT_ENV_KEYS
        if not (suffix == "CLIENT_SECRET" and client["public"])
    ]
    return (*per_client, *STACK_SETTINGS)


class Mode(Enum):
    """What the command does with the merge it computes."""

    WRITE = "write"
    CHECK = "check"
    DRY_RUN = "dry-run"


def env_values(outputs: Mapping[str, str]) -> dict[str, str]:
    """Map stack outputs to ``.env`` values per ``ENV_SETTINGS``.

    Raises ``StackOutputError`` naming every output that is absent and has no default.
    """
    values: dict[str, str] = {}
    missing: list[str] = []
    for setting in env_settings(outputs):
        value = outputs.get(setting.output, setting.default)
        if value is None:
            missing.append(setting.output)
        else:
            values[setting.key] = value
    if missing:
        names = ", ".join(missing)
        raise StackOutputError(f"the stack lacks output(s) {names}; run `pulumi up` to create them")
    return {**values, **tenant_values(outputs)}


def tenant_values(outputs: Mapping[str, str]) -> dict[str, str]:
    """Each tenant's authentik URL as ``AUTHENTIK_TENANT_<SLUG>_URL`` (brands mode; none with groups)."""
    return {tenant_env_key(slug): url for slug, url in tenant_urls(outputs).items()}


def sync(outputs: Mapping[str, str], path: Path, mode: Mode) -> int:
    """Bring ``path`` up to date with ``outputs`` (or only report, per ``mode``); return the exit status.

    Prints one line per added or changed key and a summary; values are never printed.
    """
    changes = envfile.sync_env_file(path, env_values(outputs), write=mode is Mode.WRITE)
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
