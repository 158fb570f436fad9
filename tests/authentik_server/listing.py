"""List endpoints: django-filter style filters, DRF SearchFilter/OrderingFilter and authentik's paginator.

Rows are plain dicts (the API representation) plus a ``seq`` used to break ties like PostgreSQL's
heap order would.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tests.authentik_server.drf import invalid, not_found
from tests.authentik_server.web import Request

_TERM_SPLIT = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class Item:
    """One row to list: its API representation and its heap position."""

    data: dict[str, Any]
    seq: int


def _positive_int(raw: str | None) -> int | None:
    try:
        value = int(raw) if raw is not None else None
    except ValueError:
        return None
    return value if value is not None and value > 0 else None


def page_size(request: Request) -> int:
    """authentik's get_page_size(): ?page_size= if a positive number, else the default; capped on 2026.2.

    2025.10: default 100, no maximum (07 [5]); 2026.2: default 20, at most 100, and nothing in the
    answer says the request was capped (33).
    """
    version = request.version
    wanted = _positive_int(request.param("page_size"))
    if wanted is None:
        return version.default_page_size
    return wanted if version.max_page_size is None else min(wanted, version.max_page_size)


def paginate(request: Request, items: Sequence[Any]) -> tuple[dict[str, int], list[Any]]:
    """authentik's Pagination: next/previous are page numbers (0 = none); bad pages are 404."""
    size = page_size(request)
    raw_page = request.param("page") or "1"
    count = len(items)
    total_pages = max(1, math.ceil(count / size))
    if raw_page == "last":
        raw_page = str(total_pages)
    try:
        page = int(raw_page)
    except ValueError:
        raise not_found("Invalid page.") from None
    if page < 1 or page > total_pages:
        raise not_found("Invalid page.")
    start = (page - 1) * size
    chunk = list(items[start : start + size])
    pagination = {
        "next": page + 1 if page < total_pages else 0,
        "previous": page - 1 if page > 1 else 0,
        "count": count,
        "current": page,
        "total_pages": total_pages,
        "start_index": start + 1 if count else 0,
        "end_index": start + len(chunk),
    }
    return pagination, chunk


def page_body(
    request: Request, items: Sequence[dict[str, Any]], autocomplete: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A paginated list body."""
    pagination, chunk = paginate(request, items)
    return {"pagination": pagination, "results": chunk, "autocomplete": autocomplete or {}}


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (1, "")  # PostgreSQL sorts NULL last in ascending order
    if isinstance(value, bool | int | float):
        return (0, value)
    return (0, str(value))


def _requested(request: Request, allowed: Sequence[str]) -> list[str]:
    requested = [f.strip() for f in (request.param("ordering") or "").split(",") if f.strip()]
    return [f for f in requested if f.lstrip("-") in allowed]


def ordering_requested(request: Request, allowed: Sequence[str]) -> bool:
    """Whether ?ordering= names at least one allowed field (else the viewset's default applies)."""
    return bool(_requested(request, allowed))


def order(request: Request, items: list[Item], default: Sequence[str], allowed: Sequence[str]) -> list[Item]:
    """DRF OrderingFilter: ?ordering=a,-b over allowed fields, else the viewset default; ties by heap."""
    fields = _requested(request, allowed) or list(default)
    result = sorted(items, key=lambda i: i.seq)
    for name in reversed(fields):
        result.sort(key=_by(name.lstrip("-")), reverse=name.startswith("-"))
    return result


def _by(name: str) -> Callable[[Item], tuple[int, Any]]:
    def key(item: Item) -> tuple[int, Any]:
        return _sort_key(item.data.get(name))

    return key


Getter = Callable[[dict[str, Any]], Any]


def keys(*names: str) -> tuple[Getter, ...]:
    """Getters for the named fields (search_fields)."""
    return tuple(operator.itemgetter(name) for name in names)


def search(request: Request, items: list[Item], fields: Sequence[Getter]) -> list[Item]:
    """DRF SearchFilter: every term must icontains-match at least one search field."""
    terms = [t for t in _TERM_SPLIT.split(request.param("search") or "") if t]
    if not terms:
        return items

    def matches(item: Item) -> bool:
        values = [str(get(item.data)).lower() for get in fields if get(item.data) is not None]
        return all(any(term.lower() in value for value in values) for term in terms)

    return [i for i in items if matches(i)]


def exact(request: Request, items: list[Item], names: Sequence[str]) -> list[Item]:
    """Exact-match filters on string fields (django-filter's default lookup)."""
    for name in names:
        value = request.param(name)
        if value is not None and value != "":
            items = [i for i in items if _as_text(i.data.get(name)) == value]
    return items


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def boolean(request: Request, items: list[Item], name: str, get: Getter) -> list[Item]:
    """django-filter BooleanFilter: true/false (any case) or 1/0; anything else does not filter."""
    raw = (request.param(name) or "").lower()
    wanted = {"true": True, "1": True, "false": False, "0": False}.get(raw)
    if wanted is None:
        return items
    return [i for i in items if bool(get(i.data)) is wanted]


def choice(request: Request, items: list[Item], name: str, choices: Sequence[str]) -> list[Item]:
    """ChoiceFilter: an unknown value is a 400, not an empty list."""
    value = request.param(name)
    if value is None or value == "":
        return items
    if value not in choices:
        raise invalid({name: [f"Select a valid choice. {value} is not one of the available choices."]})
    return [i for i in items if i.data.get(name) == value]


def multiple_choice(
    request: Request, items: list[Item], name: str, choices: Sequence[str] | None = None
) -> list[Item]:
    """MultipleChoiceFilter (repeat to OR values); each value must be a choice, by default one of the
    values in the column (AllValuesMultipleFilter)."""
    values = [v for v in request.query.get(name, []) if v != ""]
    if not values:
        return items
    available = set(choices) if choices is not None else {_as_text(i.data.get(name)) for i in items}
    for value in values:
        if value not in available:
            raise invalid({name: [f"Select a valid choice. {value} is not one of the available choices."]})
    return [i for i in items if _as_text(i.data.get(name)) in values]
