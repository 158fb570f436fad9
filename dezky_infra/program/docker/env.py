"""Container environment lists, with secrets kept secret all the way into the Docker state.

A secret joined into `KEY=value` with plain string formatting would land in the Pulumi state
and diffs in clear text. Every secret entry is built here as an Output marked secret, whether
the caller handed in a secret Output or a plain string.

The entries come sorted by key. The provider holds `envs` as a set, and a preview shows it as a
list: in an order that depended on which values are secret, or on which are not known yet (the
authentik resources' outputs during a preview), the whole list showed as reordered. Sorted by
key alone, a preview lines the entries up one by one.
"""

from collections.abc import Mapping

import pulumi


def container_env(
    plain: Mapping[str, pulumi.Input[str]],
    secret: Mapping[str, pulumi.Input[str]] | None = None,
) -> list[pulumi.Input[str]]:
    """Render `KEY=value` entries sorted by key: `plain` ones as given, `secret` ones as secret Outputs."""
    secret = secret or {}
    clash = plain.keys() & secret.keys()
    if clash:
        raise ValueError(f"environment keys given both plain and secret: {sorted(clash)}")
    entries: dict[str, pulumi.Input[str]] = {key: _entry(key, value) for key, value in plain.items()}
    for key, value in secret.items():
        entries[key] = pulumi.Output.secret(pulumi.Output.concat(key, "=", value))
    return [entries[key] for key in sorted(entries)]


def _entry(key: str, value: pulumi.Input[str]) -> pulumi.Input[str]:
    """A plain entry stays a plain string when it can, so it reads cleanly in diffs."""
    if isinstance(value, str):
        return f"{key}={value}"
    return pulumi.Output.concat(key, "=", value)
