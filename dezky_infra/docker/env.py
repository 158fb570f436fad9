"""Container environment lists, with secrets kept secret all the way into the Docker state.

A secret joined into `KEY=value` with plain string formatting would land in the Pulumi state
and diffs in clear text. Every secret entry is built here as an Output marked secret, whether
the caller handed in a secret Output or a plain string.
"""

from collections.abc import Mapping

import pulumi


def container_env(
    plain: Mapping[str, pulumi.Input[str]],
    secret: Mapping[str, pulumi.Input[str]] | None = None,
) -> list[pulumi.Input[str]]:
    """Render `KEY=value` entries: `plain` ones as given, `secret` ones as secret Outputs."""
    secret = secret or {}
    clash = plain.keys() & secret.keys()
    if clash:
        raise ValueError(f"environment keys given both plain and secret: {sorted(clash)}")
    entries: list[pulumi.Input[str]] = [_entry(key, value) for key, value in plain.items()]
    entries += [pulumi.Output.secret(pulumi.Output.concat(key, "=", value)) for key, value in secret.items()]
    return entries


def _entry(key: str, value: pulumi.Input[str]) -> pulumi.Input[str]:
    """A plain entry stays a plain string when it can, so it reads cleanly in diffs."""
    if isinstance(value, str):
        return f"{key}={value}"
    return pulumi.Output.concat(key, "=", value)
