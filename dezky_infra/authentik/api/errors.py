"""Errors raised by the authentik client, each worded so the reader knows what to do next.

authentik answers every authentication failure with 403 and a DRF ``detail`` string, every validation
failure with 400 and a map of field to messages (nested for list fields), and unknown routes with an
HTML 404. These classes turn those shapes into one-line messages that name the field and the fix.
Messages never contain secret values: the client redacts them before an error is built.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class AuthentikError(Exception):
    """Base class of every error the authentik layer raises."""


class AuthentikConfigError(AuthentikError):
    """The connection settings are unusable (bad URL, missing CA bundle, ...)."""


class AuthentikFieldError(AuthentikError):
    """An input names something authentik does not have or cannot hold; ``field`` is that input."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"field `{field}`: {message}")


class AuthentikUnavailableError(AuthentikError):
    """authentik could not be reached, or kept answering 'not ready', until the deadline passed."""


class AuthentikApiError(AuthentikError):
    """authentik answered with an error status.

    ``status`` is the HTTP status, ``method``/``path`` the call, ``detail`` authentik's own text.
    """

    def __init__(self, method: str, path: str, status: int, detail: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        super().__init__(f"authentik answered {status} to {method} {path}: {detail}")


class AuthentikNotFoundError(AuthentikApiError):
    """404: the object does not exist (or the route is unknown to this authentik version)."""


class AuthentikAuthError(AuthentikApiError):
    """403: authentik refused the credentials or the permission (it never answers 401)."""

    def __init__(self, method: str, path: str, status: int, detail: str, hint: str) -> None:
        super().__init__(method, path, status, detail)
        self.hint = hint
        self.args = (f"authentik refused {method} {path} ({detail}): {hint}",)

    @property
    def token_rejected(self) -> bool:
        """True when authentik said the bearer token itself is unknown or expired."""
        return self.detail == TOKEN_INVALID_DETAIL


class AuthentikValidationError(AuthentikApiError):
    """400: authentik rejected the request body; ``fields`` maps dotted field paths to messages."""

    def __init__(self, method: str, path: str, fields: Mapping[str, list[str]]) -> None:
        self.fields = dict(fields)
        super().__init__(method, path, 400, format_field_errors(self.fields))

    def messages_for(self, field: str) -> list[str]:
        """Messages authentik gave for ``field`` (exact dotted path), empty when none."""
        return self.fields.get(field, [])


TOKEN_INVALID_DETAIL = "Token invalid/expired"
NO_CREDENTIALS_DETAIL = "Authentication credentials were not provided."


def flatten_field_errors(body: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(dotted.field.path, message)`` from any of DRF's nested 400 shapes.

    authentik uses three shapes for list fields (see transcript 10): a dict (``{"non_field_errors": [...]}``),
    a list with one dict per item, and a plain list of strings. Items are addressed as ``field[i]``.
    """
    if isinstance(body, Mapping):
        for key, value in body.items():
            name = str(key)
            if name == "non_field_errors" and prefix:
                yield from flatten_field_errors(value, prefix)
            else:
                yield from flatten_field_errors(value, f"{prefix}.{name}" if prefix else name)
    elif isinstance(body, list):
        if all(isinstance(item, str) for item in body):
            for item in body:
                yield prefix or "non_field_errors", item
        else:
            for index, item in enumerate(body):
                if item:
                    yield from flatten_field_errors(item, f"{prefix}[{index}]")
    elif body is not None:
        yield prefix or "non_field_errors", str(body)


def format_field_errors(fields: Mapping[str, list[str]]) -> str:
    """One line naming every rejected field: ``field `slug`: Enter a valid ...; field `name`: ...``."""
    if not fields:
        return "the request was rejected without a reason (empty 400 body)"
    return "; ".join(f"field `{name}`: {' '.join(messages)}" for name, messages in fields.items())
