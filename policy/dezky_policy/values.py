"""Resource properties as plain Python data, with unknown and secret values made explicit.

pulumi_policy hands a validation its ``props`` wrapped in proxies that raise ``UnknownValueError``
on reading a value the engine does not know yet (during preview); the whole policy then turns into
a "can't run during preview" note. The policies here look at values one at a time instead:
`plain` unwraps the proxies, an unknown value stays its sentinel string (`is_unknown`), and a secret
stays a `pulumi_policy.Secret` (`engine.install` makes the engine's secret markers reach the
policies that way; see there). `reveal` drops the secret wrappers where only the value matters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import Secret
from pulumi_policy import proxy as _proxy

UNKNOWN_SENTINELS = frozenset(
    {
        _proxy.UNKNOWN_BOOLEAN_VALUE,
        _proxy.UNKNOWN_NUMBER_VALUE,
        _proxy.UNKNOWN_STRING_VALUE,
        _proxy.UNKNOWN_ARRAY_VALUE,
        _proxy.UNKNOWN_ASSET_VALUE,
        _proxy.UNKNOWN_ARCHIVE_VALUE,
        _proxy.UNKNOWN_OBJECT_VALUE,
    }
)
"""The strings pulumi_policy receives in place of a value not known during preview."""


def plain(value: Any) -> Any:
    """`value` as dicts, lists and scalars: proxies unwrapped, unknowns and `Secret`s kept."""
    if isinstance(value, _proxy._DictProxy | _proxy._ListProxy):
        value = value["__target"]  # the proxies' documented way to their unchecked contents
    if isinstance(value, Secret):
        return Secret(plain(value.value))
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [plain(item) for item in value]
    return value


def reveal(value: Any) -> Any:
    """`plain(value)` with every `Secret` replaced by what it wraps."""
    value = plain(value)
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (only during preview)."""
    return isinstance(value, str) and value in UNKNOWN_SENTINELS


def is_secret(value: Any) -> bool:
    """True when `value` (after `plain`) is marked secret as a whole."""
    return isinstance(value, Secret)


def known_str(value: Any) -> str | None:
    """The string in `value` (secret or not), or None when it is unknown or not a string."""
    value = reveal(value)
    if isinstance(value, str) and not is_unknown(value):
        return value
    return None


def string_list(value: Any) -> list[str]:
    """The known strings of a list-valued property (secret or not); unknown entries are skipped."""
    value = reveal(value)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and not is_unknown(item)]
