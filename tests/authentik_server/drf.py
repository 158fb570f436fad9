"""Django REST framework behaviour: request validation with DRF's error shapes and messages.

Type checks come from the authentik_client request model (so nothing the schema rejects gets in);
pydantic's errors are rewritten into the exact strings DRF would produce. Where a transcript shows
DRF accepting more than the schema (a brand's numeric domain or ``default: "yes"``, 30-brands), the
field's ``parse`` applies DRF's coercion first. Semantic checks (existing pks, uniqueness,
regexes...) are supplied per resource as field validators, run in DRF's order: ``pre`` (model
validators such as UniqueValidator), then the field's own constraints (max length, slug regex), then
``post`` (the serializer's ``validate_<field>``), then one object-level check. DRF's messages are
i18n.Message values, so a brand's locale can translate them.
"""

from __future__ import annotations

import datetime as dt
import typing
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from tests.authentik_server import contract
from tests.authentik_server.i18n import Message
from tests.authentik_server.versions import AuthentikVersion

REQUIRED = Message("This field is required.")
NOT_NULL = Message("This field may not be null.")
BLANK = Message("This field may not be blank.")
SLUG = Message('Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.')
JSON_DICT = Message("Value must be a dictionary, and not have any duplicate keys.")
DATETIME = Message(
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
_CONSTRAINT_ERRORS = frozenset({"string_too_long", "value_error", "string_pattern_mismatch"})


class ApiError(Exception):
    """An error response (DRF's exception handler turns these into JSON bodies)."""

    def __init__(self, status: int, body: Any = None, *, empty: bool = False) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.empty = empty  # a bare Response(status=...) with no body and no Content-Type


def not_found(detail: str = "Not found.") -> ApiError:
    """404 with DRF's detail body."""
    return ApiError(404, {"detail": detail})


def uuid_pk(raw: str) -> str:
    """A UUID path parameter in canonical form; a malformed one is DRF's bare "Not found."

    (Django's UUIDField raises a ValidationError, which get_object_or_404 turns into Http404.)
    """
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise not_found() from None


def by_uuid(rows: Mapping[str, _Row], raw: str, model: str) -> _Row:
    """get_object_or_404 on a UUID pk: malformed -> "Not found.", missing -> "No <model> matches ..."."""
    row = rows.get(uuid_pk(raw))
    if row is None:
        raise not_found(f"No {model} matches the given query.")
    return row


def invalid(errors: Mapping[str, Any]) -> ApiError:
    """400 with a field -> messages body."""
    return ApiError(400, dict(errors))


def drf_type(value: Any) -> str:
    """The Python type name DRF puts into its messages for a JSON value."""
    return type(value).__name__


def invalid_pk(value: Any) -> str:
    """PrimaryKeyRelatedField's message for a pk that matches no row."""
    return f'Invalid pk "{value}" - object does not exist.'


Validator = Callable[[Any], list[str]]
_Row = typing.TypeVar("_Row")
_TRUE = frozenset({"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1", 1})
_FALSE = frozenset(
    {"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0", 0}
)


@dataclass(frozen=True)
class FieldRules:
    """Semantic validators for one serializer field (each returns error messages, [] when fine).

    ``parse`` is DRF's to_internal_value where it accepts more than the request model's strict type
    (char_input, boolean_input); it runs first, on non-null values. Fields without it keep the
    schema's strictness.
    """

    pre: tuple[Validator, ...] = ()
    post: tuple[Validator, ...] = ()
    parse: Callable[[Any], Any] | None = None


def char_input(value: Any) -> Any:
    """CharField.to_internal_value: numbers become text, surrounding whitespace is trimmed.

    Anything else (a bool, a list ...) is left for the model to refuse ("Not a valid string.").
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value
    return str(value).strip()


def boolean_input(value: Any) -> Any:
    """BooleanField.to_internal_value: "yes", "on", 1 ... are true; unknown values are left to refuse."""
    if isinstance(value, bool):
        return value
    try:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    except TypeError:  # unhashable (a list or an object)
        pass
    return value


_MESSAGES: dict[str, str] = {
    "missing": REQUIRED,
    "string_too_short": BLANK,
    "string_too_long": "Ensure this field has no more than {max_length} characters.",
    "string_type": "Not a valid string.",
    "uuid_parsing": "\u201c{value}\u201d is not a valid UUID.",
    "uuid_type": "Incorrect type. Expected pk value, received {type}.",
    "int_type": "Incorrect type. Expected pk value, received {type}.",
    "int_parsing": "Incorrect type. Expected pk value, received {type}.",
    "int_from_float": "Incorrect type. Expected pk value, received {type}.",
    "enum": '"{value}" is not a valid choice.',
    "bool_type": "Must be a valid boolean.",
    "bool_parsing": "Must be a valid boolean.",
    "list_type": 'Expected a list of items but got type "{type}".',
    "dict_type": "Invalid data. Expected a dictionary, but got {type}.",
    "model_type": "Invalid data. Expected a dictionary, but got {type}.",
}


def _message(error: Mapping[str, Any], annotation: Any) -> str:
    """DRF's wording for one pydantic error on a scalar field."""
    kind = error["type"]
    value = error.get("input")
    if kind in ("dict_type", "model_type") and (annotation is dict or typing.get_origin(annotation) is dict):
        return JSON_DICT
    if kind.startswith("datetime"):
        return DATETIME
    if kind == "value_error" and "regular expression" in str(error.get("msg")):
        return SLUG
    template = _MESSAGES.get(kind, "Invalid value.")
    ctx = error.get("ctx") or {}
    return Message(template.format(value=value, type=drf_type(value), max_length=ctx.get("max_length")))


def _null_problems(cls: type[BaseModel], data: Mapping[str, Any]) -> dict[str, str]:
    nullable = contract.nullable_fields(cls)
    return {k: NOT_NULL for k, v in data.items() if v is None and k not in nullable}


def _nested_list_errors(item_cls: type[BaseModel], value: Any, errors: list[Mapping[str, Any]]) -> Any:
    """Errors of a ``many=True`` nested serializer: a dict when not a list, else one dict per item."""
    for error in errors:
        if len(error["loc"]) == 1:
            return {"non_field_errors": [_message(error, list)]}
    items: list[dict[str, Any]] = [{} for _ in value]
    for error in errors:
        index = error["loc"][1]
        if len(error["loc"]) == 2:
            items[index] = {"non_field_errors": [_message(error, item_cls)]}
        else:
            sub = error["loc"][2]
            annotation = contract.field_type(item_cls, sub)
            items[index].setdefault(sub, [_message(error, annotation)])
    for index, element in enumerate(value):
        if isinstance(element, dict):
            for sub, message in _null_problems(item_cls, element).items():
                items[index][sub] = [message]
    return items if any(items) else None


def _field_errors(cls: type[BaseModel], name: str, value: Any, errors: list[Mapping[str, Any]]) -> Any:
    """DRF's error structure for one top-level field (None when the field is fine)."""
    annotation = contract.field_type(cls, name)
    item = contract.list_item_type(annotation)
    if any(e["type"] == "missing" and len(e["loc"]) == 1 for e in errors):
        return [REQUIRED]
    if isinstance(item, type) and issubclass(item, BaseModel):
        if not errors and isinstance(value, list):
            return _nested_list_errors(item, value, [])
        return _nested_list_errors(item, value, errors) if errors else None
    if not errors:
        return None
    if annotation is dt.datetime and not isinstance(value, str):
        return [DATETIME]
    return [_message(errors[0], item if len(errors[0]["loc"]) > 1 else annotation)]


def validate(
    version: AuthentikVersion,
    model_name: str,
    data: Any,
    rules: Mapping[str, FieldRules] | None = None,
    object_check: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Validate a request body like a DRF serializer would; return the accepted (known) fields.

    ``model_name`` is the authentik_client request model (``XRequest`` for POST/PUT, ``PatchedXRequest``
    for PATCH) of ``version``'s authentik-client (contract.py), the version the server plays
    (``request.version``). Unknown and read-only keys are dropped, as DRF does.
    """
    if data is None:
        raise invalid({"non_field_errors": ["No data provided"]})
    if not isinstance(data, dict):
        message = f"Invalid data. Expected a dictionary, but got {drf_type(data)}."
        raise invalid({"non_field_errors": [message]})
    cls = contract.for_client(version.client).model(model_name)
    rules = rules or {}
    known = {k: _parsed(rules.get(k), v) for k, v in data.items() if k in cls.model_fields}
    by_field: dict[str, list[Mapping[str, Any]]] = {}
    try:
        cls.model_validate(known)
    except PydanticValidationError as exc:
        for error in exc.errors():
            by_field.setdefault(str(error["loc"][0]), []).append(error)
    nulls = _null_problems(cls, known)
    errors: dict[str, Any] = {}
    for name in cls.model_fields:
        if name in nulls:
            errors[name] = [nulls[name]]
            continue
        field_errors = by_field.get(name, [])
        hard = [e for e in field_errors if e["type"] not in _CONSTRAINT_ERRORS or len(e["loc"]) > 1]
        if hard or (name not in known and field_errors):
            shaped = _field_errors(cls, name, known.get(name), field_errors)
            if shaped is not None:
                errors[name] = shaped
            continue
        if name not in known:
            continue
        nested = _field_errors(cls, name, known[name], [])
        if nested is not None:
            errors[name] = nested
            continue
        rule = rules.get(name, FieldRules())
        messages = [m for check in rule.pre for m in check(known[name])]
        annotation = contract.field_type(cls, name)
        messages += [_message(e, annotation) for e in field_errors]
        if not messages:
            messages = [m for check in rule.post for m in check(known[name])]
        if messages:
            errors[name] = messages
    if errors:
        raise invalid(_worded(errors, version))
    for name, value in known.items():
        known[name] = _canonical_uuids(contract.field_type(cls, name), value)
    if object_check is not None:
        object_check(known)
    return known


def _worded(errors: Any, version: AuthentikVersion) -> Any:
    """The version's wording of DRF's messages (2026.2's Django quotes "slug" with curly quotes)."""
    if isinstance(errors, dict):
        return {k: _worded(v, version) for k, v in errors.items()}
    if isinstance(errors, list):
        return [_worded(v, version) for v in errors]
    return Message(version.slug_message) if errors == SLUG else errors


def _parsed(rule: FieldRules | None, value: Any) -> Any:
    if rule is None or rule.parse is None or value is None:
        return value
    return rule.parse(value)


def _canonical_uuids(annotation: Any, value: Any) -> Any:
    """Store UUIDs the way Django renders them (lowercase, hyphenated)."""
    if value is None:
        return None
    if annotation is uuid.UUID:
        return str(uuid.UUID(value))
    if contract.list_item_type(annotation) is uuid.UUID:
        return [str(uuid.UUID(v)) for v in value]
    return value
