"""What every authentik dynamic provider shares: typed inputs, check, diff, connection, lifecycle.

A resource module declares a ``ResourceSpec`` (its inputs, validated by pydantic) and implements four
small methods against ``AuthentikClient``: create, read, update, delete. This base turns them into the
``pulumi.dynamic.ResourceProvider`` protocol:

- ``check`` validates inputs at preview and returns them normalised (defaults filled, unordered lists
  sorted), so the state and the diff never change because of order. Values still unknown at preview
  (another resource's output) are passed through untouched.
- ``diff`` compares normalised inputs field by field: exactly the changed properties, replacement only
  for fields authentik cannot update in place.
- The connection comes from stack config in ``configure()`` (once per provider process); nothing about
  it is pickled. A rejected API token falls back to akadmin's bootstrap password when it is configured,
  which is how a fresh authentik gets its first token.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN
from pydantic import BaseModel, ConfigDict, ValidationError

from dezky_infra.authentik.api import sessions, versions
from dezky_infra.authentik.api.connection import CONFIG_KEYS, CONFIG_NAMESPACE, SETTING, ConnectionSettings
from dezky_infra.authentik.api.errors import (
    AuthentikAuthError,
    AuthentikConfigError,
    AuthentikFieldError,
    AuthentikUnavailableError,
)
from dezky_infra.authentik.provider import host
from dezky_infra.authentik.provider.adoption import ADOPT_EXISTING_KEY, Adoption

if TYPE_CHECKING:  # the client (and httpx) load with the first connection: the program never needs them
    from dezky_infra.authentik.api.client import AuthentikClient

host.report_user_errors()  # in pulumi's provider host, an AuthentikError shows as its message alone
host.serve_at_once()  # in pulumi's provider host: up to CALLS_AT_ONCE engine calls at a time, not 4
host.trace_start()  # with DEZKY_TRACE set: when the host started and had loaded this (the bench's trace)

T = TypeVar("T")
PREVIEW_PATIENCE_SECONDS = 5.0
"""How long a preview waits for authentik before it reports what it could not check."""
AUTH_SWITCHES = 3
"""Token, then the session, then the token again (made meanwhile), then a new session at the most."""


class ResourceSpec(BaseModel):
    """The declared inputs of one resource. Subclasses add fields and say how to compare them."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True, defer_build=True)
    """Each field's docstring is its description: the reference pages (``docs/resources/``) read it from
    the source (pydantic's ``use_attribute_docstrings`` would parse the source at every import: 30 ms of
    a provider process's start)."""

    replace_on: ClassVar[frozenset[str]] = frozenset()
    """Fields authentik cannot change in place: a change replaces the object."""

    server_chosen: ClassVar[frozenset[str]] = frozenset()
    """Optional inputs that authentik fills when they are left out (e.g. a generated client id): an
    absent input then means "whatever authentik chose", so it never shows as a change."""

    create_only: ClassVar[frozenset[str]] = frozenset()
    """Inputs that matter only when the object is created: never a change afterwards."""

    secrets: ClassVar[frozenset[str]] = frozenset()
    """Inputs and outputs that are secret: kept as Pulumi secrets in state and diffs."""

    def inputs(self) -> dict[str, Any]:
        """The normalised inputs as plain JSON values (what state and diffs show)."""
        return self.model_dump(mode="json")

    @classmethod
    def upgrade(cls, props: Mapping[str, Any]) -> dict[str, Any]:
        """State an earlier release of this resource wrote, in today's input names (a spec whose
        inputs were renamed overrides this; state is only ever read through it)."""
        return dict(props)


class AdoptableSpec(ResourceSpec):
    """The inputs of an object with a natural key, which a create may take over (``adoption``)."""

    create_only: ClassVar[frozenset[str]] = frozenset({"adopt"})

    adopt: bool = False
    """Take over an existing object with the same natural key even when the stack config says
    ``dezky:adoptExisting: false`` (the explicit form of an import; only read on create)."""


SpecT = TypeVar("SpecT", bound=ResourceSpec)


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (preview of a not-yet-created dependency): pulumi's
    wire sentinel string, or the ``Unknown`` the dynamic provider host turns it into."""
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN):
        return True
    if isinstance(value, list):
        return any(is_unknown(item) for item in value)
    if isinstance(value, dict):
        return any(is_unknown(item) for item in value.values())
    return False


def validation_failures(exc: ValidationError) -> list[CheckFailure]:
    """One ``CheckFailure`` per invalid field, with the field path and pydantic's reason.

    Input values are not echoed: pydantic is asked for messages without them.
    """
    failures = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = [str(part) for part in error["loc"]]
        field = loc[0] if loc else "inputs"
        where = ".".join(loc[1:])
        message = error["msg"].removeprefix("Value error, ")
        failures.append(CheckFailure(field, f"{where}: {message}" if where else message))
    return failures


class AuthentikResourceProvider(ResourceProvider, Generic[SpecT]):
    """Base dynamic provider for one authentik object type."""

    spec_type: ClassVar[type[ResourceSpec]]
    """The pydantic model of this resource's inputs."""

    # The pickled provider holds no secret, so its state entry need not be encrypted.
    serialize_as_secret_always = False

    kind: ClassVar[str]
    """The resource type as users see it in messages (``OAuth2Provider``)."""
    label_field: ClassVar[str] = "name"
    """The input that names the object in messages (``name``, ``domain``)."""

    _settings: ConnectionSettings | None = None
    _unreachable: str | None = None
    """Why authentik could not be reached during this process's previews (set at run time only)."""
    _config_error: AuthentikConfigError | None = None
    _adopt_existing: bool = True

    # -- connection ------------------------------------------------------------------------------
    def configure(self, req: ConfigureRequest) -> None:
        """Read the connection settings from stack config, each missing one from the environment
        (``connection.SETTINGS``; called once in the provider process).

        A bad setting is kept and raised by the first call that needs a connection, so it is reported
        against a resource instead of crashing the provider process.
        """
        keys = [f"{CONFIG_NAMESPACE}:{key}" for key in CONFIG_KEYS.values()]
        config = {key: req.config.get(key) for key in keys}
        try:
            self._settings = ConnectionSettings.from_stack_config(config, os.environ)
        except AuthentikConfigError as exc:
            self._config_error = exc
        adopt_existing = req.config.get(f"{CONFIG_NAMESPACE}:{ADOPT_EXISTING_KEY}")
        self._adopt_existing = str(adopt_existing).strip().lower() != "false" if adopt_existing else True

    def adoption(self, spec: AdoptableSpec, key: str) -> Adoption:
        """What this create may do with an existing object holding ``spec``'s natural key ``key``."""
        return Adoption(self.kind, key, str(getattr(spec, key)), self._adopt_existing or spec.adopt)

    def _connect(self, retry_deadline_seconds: float | None = None) -> AuthentikClient:
        if self._config_error is not None:
            raise self._config_error
        if self._settings is None:
            url = SETTING["url"]
            raise AuthentikConfigError(
                f"the authentik connection is not configured: set `{CONFIG_NAMESPACE}:{url.config_key}` "
                f"and the other authentik* keys in the stack config, or `{url.env_var}` and the other "
                "AUTHENTIK_* variables in the environment"
            )
        settings = self._settings
        if retry_deadline_seconds is not None:
            patience = min(settings.retry_deadline_seconds, retry_deadline_seconds)
            settings = settings.model_copy(update={"retry_deadline_seconds": patience})
        from dezky_infra.authentik.api.client import AuthentikClient  # noqa: PLC0415 (see TYPE_CHECKING)

        return AuthentikClient(settings)

    def server(self, client: AuthentikClient) -> versions.Server:
        """The authentik behind ``client`` and its dialect (learned once per process; an untested
        release is warned about once, an unsupported one raises ``UnsupportedVersion``)."""
        return versions.learn(client, host.warn)

    def run(
        self, action: Callable[[AuthentikClient], T], *, retry_deadline_seconds: float | None = None
    ) -> T:
        """Run ``action`` with a fresh client, on this process's password session while there is one;
        if authentik rejects the API token and a bootstrap password is configured, run it again on
        that session (``sessions``: at most one login per process). A session that stopped working
        (``ApiToken`` made the token and logged it out) sends the client back to the token.
        """
        with self._connect(retry_deadline_seconds) as client:
            sessions.resume(client)
            for _ in range(AUTH_SWITCHES):
                try:
                    return action(client)
                except AuthentikAuthError as exc:
                    if client.session_mode:
                        sessions.leave(client)
                    elif exc.token_rejected and client.settings.bootstrap_password is not None:
                        sessions.join(client, exc)
                    else:
                        raise
            return action(client)

    # -- inputs ----------------------------------------------------------------------------------
    def parse(self, props: Mapping[str, Any]) -> SpecT:
        """Validate state or input properties into this resource's spec (outputs are ignored)."""
        fields = self.spec_type.model_fields
        spec = self.spec_type.model_validate({k: v for k, v in props.items() if k in fields})
        return spec  # type: ignore[return-value]

    @host.traced("Check", lambda self, props: self.labelled(props))
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate inputs at preview; unknown values are left for apply time."""
        fields = self.spec_type.model_fields
        known = {k: v for k, v in news.items() if k in fields and not is_unknown(v)}
        unknown = {k: v for k, v in news.items() if k in fields and is_unknown(v)}
        extra = sorted(k for k in news if k not in fields and not k.startswith("__"))
        failures = [CheckFailure(name, "is not an input of this resource") for name in extra]
        try:
            spec = self.spec_type.model_validate({**known, **dict.fromkeys(unknown)})
        except ValidationError as exc:
            failures += [f for f in validation_failures(exc) if f.property not in unknown]
            return CheckResult(news, failures) if failures else CheckResult(self._with_defaults(news), [])
        if failures:
            return CheckResult(news, failures)
        olds = self.spec_type.upgrade(_olds)
        failures = self.verify_references(olds, spec, frozenset(unknown))  # type: ignore[arg-type]
        return CheckResult({**spec.inputs(), **unknown}, failures)

    def verify_references(
        self, olds: Mapping[str, Any], spec: SpecT, unknown: frozenset[str]
    ) -> list[CheckFailure]:
        """Check at preview what only authentik can tell (names of other objects, what its release
        can hold); ``ask_at_preview`` asks it. Inputs in ``unknown`` are not known yet (another
        resource's output): they are checked when the change is applied. The default asks nothing."""
        return []

    def ask_at_preview(
        self,
        spec: SpecT,
        fields: list[str],
        question: Callable[[AuthentikClient], list[CheckFailure]],
    ) -> list[CheckFailure]:
        """Ask authentik ``question`` about ``fields`` of ``spec`` during a check.

        authentik's release is learned first, so one that is too old fails the preview in one line. A
        field error (a name that names nothing) fails that field, refused credentials fail the
        resource; when authentik cannot be reached the preview only warns (once per process: later
        resources do not wait again) and the apply checks for real.
        """
        if self._unreachable is not None:
            self._warn_unverified(spec, fields, self._unreachable)
            return []

        def ask(client: AuthentikClient) -> list[CheckFailure]:
            self.server(client)
            return question(client)

        try:
            return self.run(ask, retry_deadline_seconds=PREVIEW_PATIENCE_SECONDS)
        except AuthentikFieldError as exc:
            return [CheckFailure(exc.field, str(exc))]
        except (AuthentikAuthError, versions.UnsupportedVersion) as exc:
            return [CheckFailure("", str(exc))]
        except (AuthentikUnavailableError, AuthentikConfigError) as exc:
            self._unreachable = str(exc)
            self._warn_unverified(spec, fields, self._unreachable)
        return []

    def labelled(self, props: Mapping[str, Any]) -> str:
        """``OAuth2Provider dezky-portal``: the resource as messages and the trace name it."""
        return f"{self.kind} {props.get(self.label_field, '')}".strip()

    def _warn_unverified(self, spec: SpecT, fields: list[str], reason: str) -> None:
        host.warn(
            f"{self.kind} `{getattr(spec, self.label_field)}`: could not verify {', '.join(fields)} against "
            f"authentik ({reason}); they will be checked when the change is applied"
        )

    def _with_defaults(self, news: dict[str, Any]) -> dict[str, Any]:
        """``news`` plus defaults of absent optional fields (when some inputs are still unknown)."""
        filled = dict(news)
        for name, field in self.spec_type.model_fields.items():
            if name not in filled and not field.is_required():
                default = field.get_default(call_default_factory=True)
                filled[name] = default.model_dump(mode="json") if isinstance(default, BaseModel) else default
        return filled

    @host.traced("Diff", lambda self, props: self.labelled(props))
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Exactly the inputs whose normalised value changed; replacement where authentik needs it."""
        olds = self.spec_type.upgrade(olds)
        server_chosen = self.spec_type.server_chosen
        changed = [
            name
            for name in self.spec_type.model_fields
            if name not in self.spec_type.create_only
            and (
                is_unknown(news.get(name))
                or (
                    olds.get(name) != news.get(name)
                    and not (name in server_chosen and news.get(name) is None)
                )
            )
        ]
        replaces = [name for name in changed if name in self.spec_type.replace_on]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            delete_before_replace=bool(replaces),
        )

    # -- lifecycle -------------------------------------------------------------------------------
    @host.traced("Create", lambda self, props: self.labelled(props))
    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create (or adopt an existing object with the same natural key) and converge it."""
        spec = self.parse(props)
        object_id, outs = self.run(lambda client: self.create_object(client, spec))
        return CreateResult(object_id, {**spec.inputs(), **outs})

    @host.traced("Read", lambda self, props: self.labelled(props))
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Read the live object for refresh/import; an empty id tells the engine it is gone."""
        props = self.spec_type.upgrade(props)
        found = self.run(lambda client: self.read_object(client, id_, props))
        if found is None:
            return ReadResult(None, {})
        inputs, outs = found
        # authentik does not hold the create-only inputs: they stay as they were declared
        inputs.update({name: props[name] for name in self.spec_type.create_only if name in props})
        return ReadResult(self.object_id(outs, id_), {**inputs, **outs}, inputs)

    @host.traced("Update", lambda self, props: self.labelled(props))
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Converge the live object to the new inputs in place."""
        olds = self.spec_type.upgrade(olds)
        spec = self.parse(news)
        outs = self.run(lambda client: self.update_object(client, id_, olds, spec))
        return UpdateResult({**spec.inputs(), **outs})

    @host.traced("Delete", lambda self, props: self.labelled(props))
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the object; one that is already gone is fine."""
        props = self.spec_type.upgrade(props)
        self.run(lambda client: self.delete_object(client, id_, props))

    def object_id(self, outs: Mapping[str, Any], current: str) -> str:
        """The resource id after a read (resources whose id can be renamed override this)."""
        return current

    # -- what each resource implements ---------------------------------------------------------
    @abstractmethod
    def create_object(self, client: AuthentikClient, spec: SpecT) -> tuple[str, dict[str, Any]]:
        """Create or adopt; return the id and the computed outputs."""

    @abstractmethod
    def read_object(
        self, client: AuthentikClient, id_: str, props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Return ``(inputs as authentik holds them, computed outputs)``, or ``None`` when gone."""

    @abstractmethod
    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: SpecT
    ) -> dict[str, Any]:
        """Converge in place; return the computed outputs."""

    @abstractmethod
    def delete_object(self, client: AuthentikClient, id_: str, props: Mapping[str, Any]) -> None:
        """Delete; tolerate an object that is already gone."""


class AuthentikObjectProvider(AuthentikResourceProvider[SpecT]):
    """A provider for one kind of authentik API object, at ``<path><id>/``: read and delete go there."""

    path: ClassVar[str]
    """The API route of the object type (``core/groups/``)."""

    def detail(self, id_: str) -> str:
        """The object's API route."""
        return f"{self.path}{id_}/"

    def read_object(
        self, client: AuthentikClient, id_: str, props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        live = client.get_or_none(self.detail(id_))
        return None if live is None else self.from_live(client, live, props)

    @abstractmethod
    def from_live(
        self, client: AuthentikClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(inputs, outputs)`` from authentik's representation; ``props`` is what state held."""

    def delete_object(self, client: AuthentikClient, id_: str, props: Mapping[str, Any]) -> None:
        client.delete(self.detail(id_))
