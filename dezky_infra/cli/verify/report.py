"""What ``verify`` found: one ``Check`` per step, printed as it is made, and the fixes said the CLI's way.

The protocol steps (``oidc``) know what went wrong and which kind of fix it needs (``Fix``); only this
module knows how a user applies it here (the stack's name, the commands), so the steps stay free of the
command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Final, TypeVar

from dezky_infra.authentik.api.connection import CONFIG_NAMESPACE

T = TypeVar("T")
FIX: Final = "{fix}"
"""Where a failure's message puts its fix (``CheckFailed``)."""
ENV_FILE: Final = "{env_file}"
"""Where a failure's message names the consumers' ``.env`` file."""


class Fix(Enum):
    """The fixes a failed check can need."""

    ENV = "env"
    """Write ``.env`` from the stack outputs again."""
    REFRESH = "refresh"
    """Put back what changed in authentik outside pulumi."""
    REFRESH_THEN_ENV = "refresh-then-env"
    """Both: read authentik's state, then write ``.env`` from it."""
    PUBLIC_URL = "public-url"
    """Give the stack the URL browsers use for authentik."""


class CheckFailed(Exception):
    """A check failed: ``message`` says what was seen, with ``{fix}`` where the fix goes (if any)."""

    def __init__(self, message: str, fix: Fix | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class Check:
    """The outcome of one check: what was checked, and on failure what to do."""

    client: str
    what: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        """``ok    portal: discovery ...`` or ``FAIL  portal: ... <what to do>``."""
        text = f"{'ok  ' if self.ok else 'FAIL'}  {self.client}: {self.what}"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass
class Report:
    """The checks of one run, for the stack ``stack``; each is printed when it is made."""

    stack: str
    env_file: Path
    checks: list[Check] = field(default_factory=list)

    def fix_text(self, fix: Fix) -> str:
        """How the user applies ``fix`` to this stack."""
        env = f"`python -m dezky_infra env --stack {self.stack}`"
        return {
            Fix.ENV: f"run {env}",
            Fix.REFRESH: "run `pulumi up --refresh`",
            Fix.REFRESH_THEN_ENV: f"run `pulumi up --refresh`, then {env}",
            Fix.PUBLIC_URL: f"set `{CONFIG_NAMESPACE}:authentikPublicUrl` to the URL browsers use for "
            "authentik (the proxy in front must forward Host and X-Forwarded-Proto)",
        }[fix]

    def describe(self, failed: CheckFailed) -> str:
        """The failure's message with its fix said and the ``.env`` file named."""
        message = failed.message.replace(ENV_FILE, str(self.env_file))
        return message.replace(FIX, self.fix_text(failed.fix)) if failed.fix else message

    def run(self, client: str, what: str, step: Callable[[], T], describe: Callable[[T], str]) -> T | None:
        """Run one step and record it: its result (said by ``describe``), or None when it failed."""
        try:
            result = step()
        except CheckFailed as failed:
            self.add(Check(client, what, ok=False, detail=self.describe(failed)))
            return None
        self.add(Check(client, what, ok=True, detail=describe(result)))
        return result

    def fail(self, client: str, what: str, failed: CheckFailed) -> None:
        """Record a check that failed without a step to run."""
        self.add(Check(client, what, ok=False, detail=self.describe(failed)))

    def add(self, check: Check) -> None:
        """Record ``check`` and print its line."""
        self.checks.append(check)
        print(check.line(), flush=True)

    @property
    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [check for check in self.checks if not check.ok]
