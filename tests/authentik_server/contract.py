"""The API contract: every body the server accepts or returns is checked against authentik_client models.

The generated client (authentik-client) is the machine-readable form of authentik's OpenAPI schema,
one release per authentik release. A server instance is checked against the client of the authentik
version it plays (``Contract`` for ``AuthentikVersion.client``: 2025.10.4 or 2026.2.2). Responses that
do not fit it are server bugs (raised as ContractViolation); the only exceptions are the recorded
cases in that client's DEVIATIONS, where the real authentik returns what its own schema rejects.

Plain Django views outside the API have no model, except the OIDC discovery document
(OpenIDConnectConfiguration) and the flow executor's challenges: JWKS, token and userinfo bodies are
checked by the replay of 25-28 only.

Where the clients live: the one in the virtualenv's site-packages (requirements-dev.txt), and every
release listed in requirements-contracts.txt, which scripts/setup.sh installs with ``pip install
--no-deps --target <venv>/contracts/authentik-client-<release>``. ``for_client(release)`` finds either;
adding a line to requirements-contracts.txt is all a further release needs (e.g. to check request
bodies against the newest client: ``for_client("2026.8.5").problems("OAuth2ProviderRequest", body)``).

Loading: importing ``authentik_client`` runs its package ``__init__`` which builds every API class and
model (~20 s). A Contract imports single model modules instead (~0.3 s for the usual ones), through
namespace stand-ins for the package and its models package. The generated modules import each other
as ``authentik_client.models.xxx``, so two releases cannot share ``sys.modules``: under one lock, a
Contract swaps every ``authentik_client*`` entry out, its own modules in, imports, and swaps back. No
``authentik_client*`` module of any Contract stays in ``sys.modules``, and the classes of two
releases never mix.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import sys
import threading
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

_PACKAGE = "authentik_client"
_MODELS = f"{_PACKAGE}.models"
DISTRIBUTION = "authentik-client"
CONTRACTS_DIR = Path(sys.prefix) / "contracts"  # where setup.sh installs the extra client releases
_lock = threading.RLock()  # one lock for every Contract: they share sys.modules while importing
_sources: dict[type[BaseModel], Path] = {}  # model class -> the generated file that defines it
_nullable: dict[type[BaseModel], frozenset[str]] = {}
_NULLABLE_RE = re.compile(r"# set to None if (\w+) \(nullable\) is None")
_INDEX_RE = re.compile(rf"^from {re.escape(_MODELS)}\.(\w+) import (\w+)$", re.MULTILINE)


class ContractUnavailable(ImportError):
    """The authentik-client release a contract needs is not installed (run scripts/setup.sh)."""


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

# THE lists of known contract deviations, per authentik-client release (the release of the authentik
# version whose transcripts recorded them). Nothing else is tolerated.
_DEVIATIONS_2025_10: tuple[Deviation, ...] = (
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
_DEVIATIONS_2026_2: tuple[Deviation, ...] = (
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
    Deviation(
        "CurrentBrandFlags",
        ("enterprise_audit_include_expanded_diff",),
        ABSENT,
        "32-version-and-config.json",
        "without an enterprise licence brands/current/ has no enterprise_audit_include_expanded_diff flag",
    ),
)
DEVIATIONS: dict[str, tuple[Deviation, ...]] = {
    "2025.10.4": _DEVIATIONS_2025_10,
    "2026.2.2": _DEVIATIONS_2026_2,
}


def _is_client_module(name: str) -> bool:
    return name == _PACKAGE or name.startswith(f"{_PACKAGE}.")


def package_dir(client: str) -> Path:
    """The ``authentik_client`` package directory of the given release."""
    target = CONTRACTS_DIR / f"{DISTRIBUTION}-{client}" / _PACKAGE
    if (target / "models" / "__init__.py").is_file():
        return target
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        distribution = None
    if distribution is not None and distribution.version == client:
        return Path(str(distribution.locate_file(_PACKAGE)))
    raise ContractUnavailable(
        f"authentik-client {client} is not installed (neither in {target.parent} nor in site-packages):"
        " run scripts/setup.sh (requirements-contracts.txt)"
    )


class Contract:
    """The models of one authentik-client release, loaded in isolation (see the module docstring)."""

    def __init__(self, client: str, root: Path) -> None:
        self.client = client
        self.root = root
        self.deviations: tuple[Deviation, ...] = DEVIATIONS.get(client, ())
        self._modules: dict[str, types.ModuleType] = {}  # this release's sys.modules entries
        self._models: dict[str, type[BaseModel]] = {}
        self._index: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"Contract({self.client!r})"

    @contextmanager
    def _swapped_in(self) -> Iterator[None]:
        """This release's modules in sys.modules (and nobody else's) for the duration (lock held)."""
        foreign = {name: sys.modules.pop(name) for name in list(sys.modules) if _is_client_module(name)}
        if not self._modules:
            package = types.ModuleType(_PACKAGE)
            package.__path__ = [str(self.root)]
            models = types.ModuleType(_MODELS)
            models.__path__ = [str(self.root / "models")]
            self._modules = {_PACKAGE: package, _MODELS: models}
        sys.modules.update(self._modules)
        try:
            yield
        finally:
            for name in [n for n in sys.modules if _is_client_module(n)]:
                self._modules[name] = sys.modules.pop(name)
            sys.modules.update(foreign)

    def _module_name(self, name: str) -> str:
        if not self._index:
            init = self.root / "models" / "__init__.py"
            self._index.update({cls: mod for mod, cls in _INDEX_RE.findall(init.read_text())})
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"authentik-client {self.client} has no model {name!r}") from None

    def model(self, name: str) -> type[BaseModel]:
        """The model class called ``name`` in this release (imported once, lazily)."""
        with _lock:
            if name in self._models:
                return self._models[name]
            module_name = f"{_MODELS}.{self._module_name(name)}"
            with self._swapped_in():
                before = set(sys.modules)
                module = importlib.import_module(module_name)
                for new in set(sys.modules) - before:
                    self._register(sys.modules[new])
            cls = typing.cast(type[BaseModel], getattr(module, name))
            self._models[name] = cls
            return cls

    @staticmethod
    def _register(module: types.ModuleType) -> None:
        """Note where each new model is defined; finish models whose annotations pointed ahead.

        A pydantic model completes deferred annotations on first use through ``sys.modules``, where
        this release's modules will not be; so every model is completed now, while they are.
        """
        source = getattr(module, "__file__", None)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
            ):
                if source is not None:
                    _sources[value] = Path(source)
                if not value.__pydantic_complete__:
                    value.model_rebuild()

    def problems(self, model_name: str, data: Any) -> list[Problem]:
        """Every way ``data`` breaks the model (pydantic errors plus nullability and unknown keys)."""
        cls = self.model(model_name)
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

    def _tolerated(self, problem: Problem) -> bool:
        field = problem.loc[-1] if problem.loc else ""
        return any(
            d.model == problem.owner and d.kind == problem.kind and (field in d.fields or "*" in d.fields)
            for d in self.deviations
        )

    def check_response(self, model_name: str, data: Any) -> None:
        """Raise ContractViolation unless ``data`` fits the model (modulo this release's deviations)."""
        if model_name.startswith("List[") and model_name.endswith("]"):
            if not isinstance(data, list):
                raise ContractViolation(f"{model_name}: expected a list")
            for item in data:
                self.check_response(model_name[5:-1], item)
            return
        bad = [p for p in self.problems(model_name, data) if not self._tolerated(p)]
        if bad:
            details = "; ".join(f"{p.owner}.{'.'.join(map(str, p.loc))}: {p.kind} ({p.message})" for p in bad)
            raise ContractViolation(f"response does not match {model_name} ({self.client}): {details}")


@cache
def for_client(client: str) -> Contract:
    """The Contract of authentik-client ``client`` (one per process; ContractUnavailable if missing)."""
    return Contract(client, package_dir(client))


def extra_clients() -> list[str]:
    """The releases installed under CONTRACTS_DIR (besides the one in site-packages)."""
    prefix = f"{DISTRIBUTION}-"
    if not CONTRACTS_DIR.is_dir():
        return []
    return sorted(p.name.removeprefix(prefix) for p in CONTRACTS_DIR.glob(f"{prefix}*") if p.is_dir())


def nullable_fields(cls: type[BaseModel]) -> frozenset[str]:
    """Fields the OpenAPI schema marks nullable (the generator leaves a marker comment in to_dict)."""
    with _lock:
        if cls not in _nullable:
            _nullable[cls] = frozenset(_NULLABLE_RE.findall(_sources[cls].read_text()))
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
