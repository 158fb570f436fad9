"""The one typed view of a stack's configuration (``Pulumi.<stack>.yaml``, namespace ``dezky``).

Plain values are validated once into ``StackConfig``; secrets stay Pulumi secret ``Output``s in
``StackSecrets`` and are never turned into plain strings in the program. Errors name the config key
and the fix. The authentik connection keys (``authentikUrl``, ``authentikToken``, ...) are read a
second time by the dynamic providers' ``configure()``; validating them here as well makes a bad value
fail at ``pulumi preview`` in the program, with the same message.
"""

from __future__ import annotations

import difflib
import re
import typing
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlsplit

import pulumi
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from dezky_infra.authentik.api.connection import CONFIG_KEYS, CONFIG_NAMESPACE, ConnectionSettings
from dezky_infra.authentik.api.validation import (
    HOST_NAME_PATTERN,
    check_absolute_url,
    check_host_name,
    check_slug,
)
from dezky_infra.authentik.api.versions import DIALECTS
from dezky_infra.authentik.oauth2_provider import (
    DEFAULT_AUTHORIZATION_FLOW,
    DEFAULT_INVALIDATION_FLOW,
    DEFAULT_SCOPES,
    DEFAULT_SIGNING_KEY,
)
from dezky_infra.contract import tenant_env_key
from dezky_infra.program.oidc_clients import OidcClientConfig, duplicates, merged_entries, with_defaults

AUTHENTIK_URL_EXAMPLE = "https://auth.dezky.local"
NAME_PREFIX_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")


class ConfigError(pulumi.RunError):
    """The stack configuration is invalid; the message names the key and the fix. A ``RunError``, so
    Pulumi shows the message alone, without a Python traceback (a user error, not a bug)."""


class Tenant(BaseModel):
    """One Dezky tenant: an authentik group, and with ``tenancy: brands`` a brand on its own host."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str
    """Short id (``acme``): the group is named ``tenant-<slug>``, and with ``tenancy: brands`` the brand's
    host is ``<slug>.auth.<domain>``."""
    display_name: str = ""
    """The tenant's name for people: the group's ``dezky.display_name`` attribute and the brand's title
    (the slug when empty)."""
    attributes: dict[str, Any] = Field(default_factory=dict)
    """More attributes of the tenant's group, beside the ``dezky`` attribute the stack sets (tenant and
    display name)."""

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)

    @property
    def group_name(self) -> str:
        """Name of the authentik group for this tenant."""
        return f"tenant-{self.slug}"

    @property
    def env_key(self) -> str:
        """The ``.env`` key (and platform-api setting) with the tenant's authentik URL (brands mode)."""
        return tenant_env_key(self.slug)


class OidcDefaults(BaseModel):
    """What every OIDC client (``dezky:oidcClients``) uses: flows by slug, key by name, scopes by name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    authorization_flow: str = Field(default=DEFAULT_AUTHORIZATION_FLOW, min_length=1)
    """Slug of the flow that authorizes a login (the consent step)."""
    invalidation_flow: str = Field(default=DEFAULT_INVALIDATION_FLOW, min_length=1)
    """Slug of the flow that ends a session (logout)."""
    signing_key: str = Field(default=DEFAULT_SIGNING_KEY, min_length=1)
    """Name of the certificate keypair that signs the id_tokens (RS256)."""
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    """The scopes every OIDC client may ask for; ``openid`` must be one (OIDC needs it for an id_token)."""

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in value:
            raise ValueError(
                f"the OIDC clients need the scope 'openid' (without it there is no id_token and no "
                f"userinfo): add it, e.g. {list(DEFAULT_SCOPES)}"
            )
        return value


def _name_prefix(value: str) -> str:
    if value and not NAME_PREFIX_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a name prefix: use a-z, 0-9 and '-', starting with a letter or digit "
            "(e.g. 'alice-'); it goes in front of slugs, client ids and names"
        )
    return value


def located_errors(problems: list[tuple[tuple[str | int, ...], str]]) -> ValidationError:
    """A pydantic error for each ``(location, message)``, so ``describe_config_error`` names the exact
    config path (a validator raises it; pydantic puts the field's own location in front)."""
    return ValidationError.from_exception_data(
        "config",
        [
            InitErrorDetails(type=PydanticCustomError("config", message), loc=loc, input=None)
            for loc, message in problems
        ],
    )


class StackConfig(BaseModel):
    """Non-secret stack settings with working dev defaults; each field is the stack config key of its
    name in camel case (``name_prefix`` is ``dezky:namePrefix``)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
    )

    domain: str = "dezky.local"
    """The services live at ``auth.``, ``app.`` and ``files.<domain>``."""
    docker_enabled: bool = True
    """Run the docker layer; off to configure an authentik that already runs elsewhere."""
    ocis_enabled: bool = True
    """Create OCIS's authentik client (and its container when the docker layer is on)."""
    authentik_url: str
    """URL the dynamic providers call (from this machine)."""
    authentik_public_url: str = ""
    """URL browsers and the services use; the OIDC issuers are built from it. Empty: ``https://auth.<domain>``."""
    tenants: tuple[Tenant, ...] = (Tenant(slug="demo", display_name="Demo tenant"),)
    """The Dezky tenants: an authentik group ``tenant-<slug>`` each (and a brand with ``tenancy: brands``)."""
    tenancy: Literal["groups", "brands"] = "groups"
    """How tenants are modelled (the setup guide's options): ``groups`` (A, the dev default: a group per
    tenant) or ``brands`` (B: also an authentik brand per tenant on ``{slug}.auth.<domain>``)."""
    name_prefix: Annotated[str, AfterValidator(_name_prefix)] = ""
    """Put before every name this stack gives an authentik object (provider names, client ids,
    application slugs and so issuers, group names, the API token's identifier), so several stacks can
    share one authentik; empty keeps the setup guide's names."""
    oidc_clients: dict[Annotated[str, AfterValidator(check_slug)], OidcClientConfig] = Field(
        default_factory=dict
    )
    """The OIDC clients by application slug. The defaults stay unless ``ocisEnabled`` is false (then
    ``ocis`` goes); an entry with a default's slug changes only the keys it gives, an entry with a new
    slug adds a client (``name`` and ``redirect_uris`` required)."""
    adopt_existing: bool = True
    """A create may take over an object authentik already holds under the same natural key (warning
    that it did); false makes that an error naming the object, except for the names in ``adopt``."""
    adopt: dict[str, bool] = Field(default_factory=dict)
    """``{<name>: true}`` for each object to take over even when ``adoptExisting`` is false, by its name
    as authentik sees it (provider name, slug, group name, token identifier, brand domain, with the
    ``namePrefix``): the explicit form of an import."""
    oidc: OidcDefaults = OidcDefaults()
    """The flows, signing key and scopes of every OIDC client."""
    docker: dict[str, Any] = Field(default_factory=dict)
    """The docker layer's settings (images, app modes, ports, TLS files): the ``dezky:docker.*`` keys,
    snake_case, validated by ``program.docker.settings``."""

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        return check_host_name(value)

    @field_validator("authentik_url", "authentik_public_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_absolute_url(value, AUTHENTIK_URL_EXAMPLE).rstrip("/") if value else value

    @field_validator("tenants")
    @classmethod
    def _unique_tenants(cls, value: tuple[Tenant, ...]) -> tuple[Tenant, ...]:
        slugs = [tenant.slug for tenant in value]
        duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicates:
            raise ValueError(f"tenant slugs must be unique; repeated: {', '.join(duplicates)}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _merge_clients(cls, data: Any) -> Any:
        """The user's client entries over the defaults, with ``{domain}`` filled in, before validation.

        A domain that is no host name is reported on ``domain`` alone: the clients' URLs are then filled
        with the default one, so their checks do not blame the clients for it."""
        if not isinstance(data, dict):
            return data
        domain = _given(data, "domain")
        if not isinstance(domain, str) or not HOST_NAME_PATTERN.fullmatch(domain):
            domain = cls.model_fields["domain"].default
        ocis = _given(data, "ocis_enabled") is not False
        clients = {"oidc_clients": merged_entries(_given(data, "oidc_clients"), domain, ocis)}
        return {k: v for k, v in data.items() if k not in {"oidc_clients", "oidcClients"}} | clients

    @field_validator("oidc_clients")
    @classmethod
    def _complete_and_distinct(cls, value: dict[str, OidcClientConfig]) -> dict[str, OidcClientConfig]:
        clients = with_defaults(value)
        problems = duplicates(clients)
        if problems:
            raise located_errors(problems)
        return clients

    @model_validator(mode="after")
    def _tenant_hosts(self) -> StackConfig:
        """In brands mode every tenant's host must be a host name, and tell the others apart: authentik
        matches Host case-insensitively, so slugs that differ only in case would share a brand host."""
        if self.tenancy != "brands":
            return self
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for index, tenant in enumerate(self.tenants):
            try:
                check_host_name(self.tenant_host(tenant))
            except ValueError as exc:
                problems.append((("tenants", index, "slug"), f"the tenant's brand host: {exc}"))
        hosts = [self.tenant_host(tenant) for tenant in self.tenants]
        problems += self._main_host_keeps_its_brand()
        repeated = sorted({host for host in hosts if hosts.count(host) > 1})
        if repeated:
            problems.append(
                (
                    ("tenants",),
                    "tenants whose slugs differ only in case would share the brand host "
                    f"{', '.join(repeated)}; rename one",
                )
            )
        if problems:
            raise located_errors(problems)
        return self

    def _main_host_keeps_its_brand(self) -> list[tuple[tuple[str | int, ...], str]]:
        """authentik's own host must get the default brand, not a tenant's, on every release: how Host
        picks a brand changed in 2025.12 (``versions.Dialect.brand_match``)."""
        main = urlsplit(self.public_url).netloc.lower()
        domains = {self.brand_domain(tenant): tenant for tenant in self.tenants}
        caught = {dialect.releases: dialect.brand_for(domains, main) for dialect in DIALECTS}
        wrong = {releases: domain for releases, domain in caught.items() if domain is not None}
        if not wrong:
            return []
        domain = next(iter(wrong.values()))
        where = "every release" if len(wrong) == len(DIALECTS) else " and ".join(wrong)
        return [
            (
                ("authentik_public_url",),
                f"on {where} authentik's own host {main} would be served by tenant {domains[domain].slug}'s "
                f"brand ({domain}), whose login flow and locale would then apply to every login; give "
                "authentik a host outside the tenants' hosts",
            )
        ]

    def named(self, name: str) -> str:
        """``name`` as this stack gives it to authentik (with ``name_prefix``)."""
        return f"{self.name_prefix}{name}"

    def tenant_host(self, tenant: Tenant) -> str:
        """The host of the tenant's brand: ``{slug}.auth.<domain>`` (with the name prefix), lowercase as
        host names are compared (the slug ``Acme`` gets ``acme.auth.dezky.local``)."""
        return f"{self.named(tenant.slug)}.auth.{self.domain}".lower()

    def brand_domain(self, tenant: Tenant) -> str:
        """The domain of the tenant's brand: the Host browsers send for it, so with the public URL's port
        (authentik matches the Host header port included, transcript 31)."""
        port = urlsplit(self.public_url).port
        return f"{self.tenant_host(tenant)}:{port}" if port else self.tenant_host(tenant)

    def tenant_url(self, tenant: Tenant) -> str:
        """The tenant's authentik URL: the public URL's scheme with the brand's domain as its host."""
        return f"{urlsplit(self.public_url).scheme}://{self.brand_domain(tenant)}"

    def adopts(self, name: str) -> bool:
        """Whether the object authentik knows as ``name`` was asked for explicitly (``adopt``)."""
        return self.adopt.get(name, False)

    @property
    def public_url(self) -> str:
        """authentik's public base URL."""
        return self.authentik_public_url or f"https://auth.{self.domain}"

    def host(self, prefix: str) -> str:
        """``<prefix>.<domain>``."""
        return f"{prefix}.{self.domain}"


def _is_text(annotation: Any) -> bool:
    """Whether a field holds text (read with ``config.get``), not JSON (``config.get_object``)."""
    if typing.get_origin(annotation) is Literal:
        return all(isinstance(value, str) for value in typing.get_args(annotation))
    return annotation is str


def _given(data: dict[str, Any], field: str) -> Any:
    """The raw value of ``field`` in ``data``, given by its stack config key or its name (None if not)."""
    alias = to_camel(field)
    return data.get(alias, data.get(field))


class StackSecrets:
    """Secret config values as Pulumi secret Outputs (``None`` when not set).

    The program needs ``dezky:authentikUrl`` (a ``StackConfig`` field) and ``dezky:authentikToken`` in
    the stack config (their environment variables serve programs that use the library on its own), and
    ``dezky:authentikBootstrapPassword`` with the docker layer on, which gives it to authentik as
    akadmin's first password."""

    authentik_token: pulumi.Output[str]
    bootstrap_password: pulumi.Output[str] | None
    postgres_password: pulumi.Output[str] | None
    """The password of authentik's database user (docker layer); when not set, the stack generates one
    and keeps it in its state, encrypted."""
    authentik_secret_key: pulumi.Output[str] | None
    """authentik's ``AUTHENTIK_SECRET_KEY`` (docker layer: it signs sessions and tokens); when not set, the
    stack generates one and keeps it in its state, encrypted."""

    def __init__(self, config: pulumi.Config) -> None:
        self.authentik_token = config.require_secret(CONFIG_KEYS["token"])
        self.bootstrap_password = config.get_secret(CONFIG_KEYS["bootstrap_password"])
        self.postgres_password = config.get_secret("postgresPassword")
        self.authentik_secret_key = config.get_secret("authentikSecretKey")


SECRET_KEYS: Final = ("postgresPassword", "authentikSecretKey")
"""Secret stack config keys the program reads besides the connection's: each the camel case of a
``StackSecrets`` attribute."""


def key_of(field: str) -> str:
    """The stack config key of a ``StackConfig`` field (its alias), without the namespace."""
    alias = StackConfig.model_fields[field].alias
    return alias or field


def known_keys() -> frozenset[str]:
    """Every ``dezky:`` key the program or its providers read."""
    return (
        frozenset(key_of(field) for field in StackConfig.model_fields)
        | set(CONFIG_KEYS.values())
        | {*SECRET_KEYS}
    )


def given_keys() -> set[str]:
    """The ``dezky:`` keys the stack config sets (without the namespace)."""
    given = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    prefix = f"{CONFIG_NAMESPACE}:"
    return {key.removeprefix(prefix) for key in given if key.startswith(prefix)}


def unknown_keys(given: set[str]) -> list[str]:
    """One problem per key the stack config sets that nothing reads, with the closest known key: a
    mistyped key is ignored otherwise (``namePrefx`` would take over another stack's objects)."""
    known = known_keys()
    problems = []
    for key in sorted(given - known):
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f"did you mean `{CONFIG_NAMESPACE}:{close[0]}`? " if close else ""
        problems.append(
            f"stack config `{CONFIG_NAMESPACE}:{key}` is not a setting of dezky-infra; {hint}"
            f"(remove it with `pulumi config rm {key}`)"
        )
    return problems


def load_stack_config(config: pulumi.Config | None = None) -> StackConfig:
    """Read and validate the ``dezky:*`` keys; raise ``ConfigError`` naming the key on a bad value or a
    key nothing reads."""
    config = config or pulumi.Config(CONFIG_NAMESPACE)
    problems = unknown_keys(given_keys())
    if problems:
        raise ConfigError("; ".join(problems))
    raw: dict[str, Any] = {}
    for field, info in StackConfig.model_fields.items():
        key = key_of(field)
        value = config.get(key) if _is_text(info.annotation) else config.get_object(key)
        if value is not None:
            raw[key] = value
    try:
        stack = StackConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_config_error(exc)) from None
    _check_connection(config)
    return stack


def _check_connection(config: pulumi.Config) -> None:
    """Validate the authentik connection keys the way the providers will (CA bundle exists, ...)."""
    values = {}
    for key in ("url", "ca_bundle", "insecure_skip_tls_verify", "timeout_seconds", "retry_deadline_seconds"):
        value = config.get(CONFIG_KEYS[key])
        if value is not None:
            values[f"{CONFIG_NAMESPACE}:{CONFIG_KEYS[key]}"] = value
    try:
        ConnectionSettings.from_stack_config(values)
    except Exception as exc:
        raise ConfigError(str(exc)) from None


def describe_config_error(exc: ValidationError) -> str:
    """One line naming each invalid stack config key as the user writes it (``dezky:docker.ports.http``,
    ``dezky:tenants[0].slug``); a bad mapping key is named by its mapping and itself."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = [str(part) for part in error["loc"]]
        head = loc[0] if loc else ""
        field = next((f for f, info in StackConfig.model_fields.items() if head in {f, info.alias}), head)
        key = f"{CONFIG_NAMESPACE}:{key_of(field) if field in StackConfig.model_fields else head}"
        rest, whose = loc[1:], ""
        if "[key]" in rest:  # pydantic's location of a bad mapping key: (..., <the key>, "[key]")
            at = rest.index("[key]")
            rest, whose = rest[: at - 1], f" (its key {rest[at - 1]!r})"
        where = "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in rest)
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"stack config `{key}{where}`{whose}: {message}")
    return "; ".join(parts)
