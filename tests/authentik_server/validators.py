"""authentik's own field validators (durations, domain-less URLs) and small DRF building blocks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from tests.authentik_server.drf import Validator, invalid_pk

_DURATION_KEYS = frozenset({"milliseconds", "seconds", "minutes", "hours", "days", "weeks"})
_URL_RE = re.compile(
    r"^(?P<scheme>[a-z0-9.+-]*)://"
    r"(?:[^\s:@/]+(?::[^\s:@/]*)?@)?"  # user:pass
    r"(?:[%()a-z0-9\u00a1-\uffff][%()a-z0-9\u00a1-\uffff._-]*|\[[0-9a-f:.]+\])"  # host, formatting allowed
    r"(?::\d{1,5})?"  # port
    r"(?:[/?#]\S*)?\Z",
    re.IGNORECASE,
)
_URL_SCHEMES = frozenset({"http", "https", "blank", "ftp", "ftps"})


def parse_duration(expr: str) -> float:
    """authentik's timedelta_from_string(): "hours=1;minutes=2" -> seconds; ValueError when invalid."""
    factors = {
        "milliseconds": 0.001,
        "seconds": 1,
        "minutes": 60,
        "hours": 3600,
        "days": 86400,
        "weeks": 604800,
    }
    total = 0.0
    used = 0
    for pair in expr.split(";"):
        key, value = pair.split("=")  # raises ValueError unless exactly one "="
        if key.lower() not in _DURATION_KEYS:
            continue
        total += float(value) * factors[key.lower()]
        used += 1
    if used < 1:
        raise ValueError("No valid keys to pass to timedelta")
    return total


def duration(value: Any) -> list[str]:
    """timedelta_string_validator."""
    try:
        parse_duration(value)
    except ValueError:
        return [f"{value} is not in the correct format of 'hours=3;minutes=1'."]
    return []


def domainless_url(value: Any) -> list[str]:
    """DomainlessFormattedURLValidator on a blank=True field: empty is fine."""
    if value == "":
        return []
    match = _URL_RE.match(value)
    if match is None or match.group("scheme").lower() not in _URL_SCHEMES:
        return ["Enter a valid URL."]
    return []


def canonical(value: Any) -> str:
    """A pk as text; UUIDs in their canonical lowercase hyphenated form."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def unique(message: str, taken: Callable[[Any], bool]) -> Validator:
    """UniqueValidator: ``taken(value)`` says whether another row already has the value."""
    return lambda value: [message] if taken(value) else []


def existing(known: Callable[[], Iterable[Any]]) -> Validator:
    """PrimaryKeyRelatedField (single or many=True): every pk must exist; the first miss is reported."""

    def check(value: Any) -> list[str]:
        keys = {canonical(k) for k in known()}
        for item in value if isinstance(value, list) else [value]:
            if item is not None and canonical(item) not in keys:
                return [invalid_pk(item)]
        return []

    return check
