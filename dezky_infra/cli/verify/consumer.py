"""What the consumer of one OIDC client has: its ``.env`` values, with the stack outputs as the fallback."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from dezky_infra.contract import OidcClientInfo, env_key


@dataclass
class ConsumerView:
    """The client id, issuer and secret a consumer reads, and which ``.env`` keys are stale."""

    client_id: str
    issuer: str
    secret: str | None
    stale: list[str] = field(default_factory=list)
    """``.env`` keys whose values differ from the stack outputs."""


def consumer_view(
    info: OidcClientInfo, env: Mapping[str, str | None], output_secret: str | None
) -> ConsumerView:
    """The client id, issuer and secret the consumer reads from ``.env``, and which of them are stale."""
    view = ConsumerView(
        client_id=env.get(env_key(info.env_prefix, "CLIENT_ID")) or info.client_id,
        issuer=env.get(env_key(info.env_prefix, "ISSUER")) or info.issuer,
        secret=env.get(env_key(info.env_prefix, "CLIENT_SECRET")) or None,
    )
    for key, value, expected in (
        ("CLIENT_ID", view.client_id, info.client_id),
        ("ISSUER", view.issuer, info.issuer),
        ("CLIENT_SECRET", view.secret, None if info.public else output_secret),
    ):
        if expected is not None and value != expected:
            view.stale.append(env_key(info.env_prefix, key))
    return view


def read_env(path: Path) -> dict[str, str | None]:
    """The ``.env`` values as the consumers read them (python-dotenv); empty when there is no file."""
    return dict(dotenv_values(path)) if path.exists() else {}
