"""The API contract: every body the server accepts or returns is checked against authentik_client models.

The generated client (authentik-client 2025.10.4) is the machine-readable form of authentik's OpenAPI
schema. Responses that do not fit it are server bugs (raised as ContractViolation); the only exceptions
are the recorded cases in DEVIATIONS, where the real authentik returns what its own schema rejects.

Plain Django views outside the API have no model, except the OIDC discovery document
(OpenIDConnectConfiguration) and the flow executor's challenges: JWKS, token and userinfo bodies are
checked by the replay of 25-28 only.

Importing ``authentik_client`` runs its package ``__init__`` which builds every API class and model
(~20 s). The loader below imports single model modules through temporary namespace stubs instead
(~0.3 s), then removes the stubs so a later ordinary ``import authentik_client`` still works and reuses
the very same model classes.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import threading
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

_PACKAGE = "authentik_client"
_MODELS = f"{_PACKAGE}.models"
_lock = threading.RLock()
_models: dict[str, type[BaseModel]] = {}
_module_index: dict[str, str] = {}
_nullable: dict[type[BaseModel], frozenset[str]] = {}
_NULLABLE_RE = re.compile(r"# set to None if (\w+) \(nullable\) is None")
_INDEX_RE = re.compile(rf"^from {re.escape(_MODELS)}\.(\w+) import (\w+)$", re.MULTILINE)


class ContractViolation(Exception):
    """A response body that does not match the authentik schema (a bug in this server)."""


@dataclass(frozen=True)
class Deviation:
    """A recorded case where real authentik returns what its generated model rejects."""

    model: str  # the model that owns the field
    fields: tuple[str, ...]  # "*" means any field of that model
    kind: str  # "null" (field is null), "absent" (required field missing) or "extra" (unknown keys)
    transcript: str
    reason: str


ABSENT = "absent"
NULL = "null"
EXTRA = "extra"

# THE list of known contract deviations. Nothing else is tolerated.
DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "Application",
        ("provider_obj",),
        NULL,
        "14-applications-create-and-errors.json",
        "an application without provider has provider_obj null; the model requires a Provider",
    ),
    Deviation(
        "OAuth2ProviderSetupURLs",
        ("issuer",),
        NULL,
        "13-oauth2-setup-urls.json",
        "issuer_mode=per_provider and no application bound: issuer is null",
    ),
    Deviation(
        "OAuth2ProviderSetupURLs",
        ("provider_info", "logout"),
        NULL,
        "13-oauth2-setup-urls.json",
        "no application bound: provider_info and logout are null",
    ),
    Deviation(
        "OAuth2ProviderSetupURLs",
        ("jwks",),
        ABSENT,
        "13-oauth2-setup-urls.json",
        "no application bound: the jwks key is missing entirely",
    ),
    Deviation(
        "OpenIDConnectConfiguration",
        ("*",),
        EXTRA,
        "13-oauth2-setup-urls.json",
        "the discovery document carries many more keys than the generated model lists",
    ),
    Deviation(
        "AuthenticatedSessionUserAgentUserAgent",
        ("major", "minor", "patch"),
        NULL,
        "21-session-csrf-api-writes.json",
        "ua-parser leaves unknown version parts null",
    ),
    Deviation(
        "AuthenticatedSessionUserAgentOs",
        ("major", "minor", "patch", "patch_minor"),
        NULL,
        "21-session-csrf-api-writes.json",
        "ua-parser leaves unknown version parts null",
    ),
    Deviation(
        "AuthenticatedSessionUserAgentDevice",
        ("brand", "model"),
        NULL,
        "21-session-csrf-api-writes.json",
        "ua-parser leaves unknown device parts null",
    ),
)


def _install_stubs() -> list[str]:
    """Put namespace-only stand-ins for the package and its models package into sys.modules."""
    if _PACKAGE in sys.modules:
        return []
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("authentik-client is not installed (tests need it)")
    root = next(iter(spec.submodule_search_locations))
    package = types.ModuleType(_PACKAGE)
    package.__path__ = [root]
    models = types.ModuleType(_MODELS)
    models.__path__ = [str(Path(root) / "models")]
    sys.modules[_PACKAGE] = package
    sys.modules[_MODELS] = models
    return [_PACKAGE, _MODELS]


def _index() -> dict[str, str]:
    """Map model class name -> module name, read from the models package's import list."""
    if not _module_index:
        spec = importlib.util.find_spec(_PACKAGE)
        assert spec is not None and spec.submodule_search_locations
        init = Path(next(iter(spec.submodule_search_locations))) / "models" / "__init__.py"
        _module_index.update({cls: mod for mod, cls in _INDEX_RE.findall(init.read_text())})
    return _module_index


def model(name: str) -> type[BaseModel]:
    """Return the authentik_client model class called ``name`` (imported once, lazily)."""
    with _lock:
        if name in _models:
            return _models[name]
        module_name = _index()[name]
        stubs = _install_stubs()
        try:
            module = importlib.import_module(f"{_MODELS}.{module_name}")
        finally:
            for stub in stubs:
                sys.modules.pop(stub, None)
        cls = getattr(module, name)
        _models[name] = cls
        return typing.cast(type[BaseModel], cls)


def nullable_fields(cls: type[BaseModel]) -> frozenset[str]:
    """Fields the OpenAPI schema marks nullable (the generator leaves a marker comment in to_dict)."""
    with _lock:
        if cls not in _nullable:
            source = Path(typing.cast(str, sys.modules[cls.__module__].__file__)).read_text()
            _nullable[cls] = frozenset(_NULLABLE_RE.findall(source))
        return _nullable[cls]


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated wrappers from a field annotation."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Union or isinstance(annotation, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def field_type(cls: type[BaseModel], field: str) -> Any:
    """The unwrapped annotation of ``cls.field``."""
    return _unwrap(cls.model_fields[field].annotation)


def _as_model(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def list_item_type(annotation: Any) -> Any:
    """For List[X] return X, else None."""
    if typing.get_origin(annotation) is list:
        return _unwrap(typing.get_args(annotation)[0])
    return None


@dataclass(frozen=True)
class Problem:
    """One mismatch between a body and a model."""

    owner: str  # model owning the field
    loc: tuple[str | int, ...]
    kind: str  # pydantic error type, or "null" / "absent" / "extra"
    message: str


def _owner_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel]:
    """The model class whose field is the last string element of ``loc``."""
    current: Any = root
    owner = root
    for part in loc[:-1]:
        cls = _as_model(current)
        if isinstance(part, str) and cls is not None and part in cls.model_fields:
            owner = cls
            current = field_type(cls, part)
        elif isinstance(part, int):
            current = list_item_type(current) or current
        if _as_model(current) is not None:
            owner = typing.cast(type[BaseModel], current)
    return owner


def _walk(cls: type[BaseModel], data: dict[str, Any], loc: tuple[str | int, ...]) -> list[Problem]:
    """Schema rules pydantic does not enforce: unknown keys and null in non-nullable fields."""
    problems: list[Problem] = []
    nullable = nullable_fields(cls)
    for key, value in data.items():
        if key not in cls.model_fields:
            problems.append(Problem(cls.__name__, (*loc, key), EXTRA, f"unknown key {key!r}"))
            continue
        if value is None and key not in nullable:
            problems.append(Problem(cls.__name__, (*loc, key), NULL, "null in a non-nullable field"))
            continue
        annotation = field_type(cls, key)
        nested = _as_model(annotation)
        item = _as_model(list_item_type(annotation))
        if nested is not None and isinstance(value, dict) and "actual_instance" not in nested.model_fields:
            problems.extend(_walk(nested, value, (*loc, key)))
        elif item is not None and isinstance(value, list):
            for index, element in enumerate(value):
                if isinstance(element, dict):
                    problems.extend(_walk(item, element, (*loc, key, index)))
    return problems


def problems(model_name: str, data: Any) -> list[Problem]:
    """Every way ``data`` breaks the model (pydantic errors plus nullability and unknown keys)."""
    cls = model(model_name)
    found: list[Problem] = []
    try:
        cls.model_validate(data)
    except PydanticValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            kind = ABSENT if error["type"] == "missing" else error["type"]
            if error["input"] is None and kind != ABSENT:
                kind = NULL
            found.append(Problem(_owner_at(cls, loc).__name__, loc, kind, error["msg"]))
    if isinstance(data, dict):
        seen = {(p.loc, p.kind) for p in found}
        found.extend(p for p in _walk(cls, data, ()) if (p.loc, p.kind) not in seen)
    return found


def _tolerated(problem: Problem) -> bool:
    field = problem.loc[-1] if problem.loc else ""
    return any(
        d.model == problem.owner and d.kind == problem.kind and (field in d.fields or "*" in d.fields)
        for d in DEVIATIONS
    )


def check_response(model_name: str, data: Any) -> None:
    """Raise ContractViolation unless ``data`` fits the model (modulo DEVIATIONS)."""
    if model_name.startswith("List[") and model_name.endswith("]"):
        if not isinstance(data, list):
            raise ContractViolation(f"{model_name}: expected a list")
        for item in data:
            check_response(model_name[5:-1], item)
        return
    bad = [p for p in problems(model_name, data) if not _tolerated(p)]
    if bad:
        details = "; ".join(f"{p.owner}.{'.'.join(map(str, p.loc))}: {p.kind} ({p.message})" for p in bad)
        raise ContractViolation(f"response does not match {model_name}: {details}")
