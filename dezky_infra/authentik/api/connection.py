"""How the dynamic providers reach authentik: URL, credentials, TLS and patience.

Each setting comes from the stack config (``dezky:authentikUrl``, ...), which Pulumi hands to a dynamic
provider's ``configure()`` in its own process, or, where the stack config does not give it, from the
environment under the names terraform-provider-authentik uses (``AUTHENTIK_URL``, ``AUTHENTIK_TOKEN``,
``AUTHENTIK_INSECURE``) and names in the same style for the rest (``SETTINGS`` lists both names of
each). So another Pulumi program can use the resources with nothing but those variables. The settings
are never pickled into state: a provider object only holds them after ``configure()`` ran. Secret
values are ``SecretStr`` wherever they came from, so a repr or a log line cannot show them, and every
message names the setting the way the user gave it (``settings.name_of``).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from dezky_infra.authentik.api.errors import AuthentikConfigError
from dezky_infra.authentik.api.validation import check_absolute_url

CONFIG_NAMESPACE: Final = "dezky"


@dataclass(frozen=True)
class Setting:
    """One connection setting: its field, its stack config key and its environment variable."""

    field: str
    config_key: str
    """The stack config key without the namespace (``authentikUrl``)."""
    env_var: str
    secret: bool = False


SETTINGS: Final = (
    Setting("url", "authentikUrl", "AUTHENTIK_URL"),
    Setting("token", "authentikToken", "AUTHENTIK_TOKEN", secret=True),
    Setting("bootstrap_password", "authentikBootstrapPassword", "AUTHENTIK_BOOTSTRAP_PASSWORD", secret=True),
    Setting("ca_bundle", "authentikCaBundle", "AUTHENTIK_CA_BUNDLE"),
    Setting("insecure_skip_tls_verify", "authentikInsecureSkipTlsVerify", "AUTHENTIK_INSECURE"),
    Setting("timeout_seconds", "authentikTimeoutSeconds", "AUTHENTIK_TIMEOUT_SECONDS"),
    Setting("retry_deadline_seconds", "authentikRetryDeadlineSeconds", "AUTHENTIK_RETRY_DEADLINE_SECONDS"),
)
"""Every connection setting once; the tables below are derived from it."""
SETTING: Final = {setting.field: setting for setting in SETTINGS}
CONFIG_KEYS: Final = {setting.field: setting.config_key for setting in SETTINGS}
"""Stack config key (without namespace) of every field."""


def load_failure(exc: OSError) -> str:
    """Why loading a CA bundle failed, in ssl's or the OS's own words (``ssl.SSLError`` is an OSError)."""
    return str(getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc)


class ConnectionSettings(BaseModel):
    """Everything the authentik client needs to talk to one authentik instance."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    url: str
    """Base URL of authentik, optionally with a sub-path (``https://auth.dezky.local`` or ``http://h/ak``)."""
    token: SecretStr | None = None
    """API token sent as ``Authorization: Bearer``."""
    bootstrap_password: SecretStr | None = None
    """akadmin's password, used only to create the first API token on a fresh authentik."""
    ca_bundle: str | None = None
    """PEM file of extra CA roots (e.g. mkcert's rootCA.pem) used to verify authentik's certificate."""
    insecure_skip_tls_verify: bool = False
    """Turn TLS verification off. Loudly named because it lets anyone in the middle read the token."""
    timeout_seconds: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    """Timeout of one HTTP call."""
    retry_deadline_seconds: float = Field(default=120.0, ge=0, allow_inf_nan=False)
    """How long transient failures (refused, 429, 502-504, authentik starting) are retried."""
    username: str = "akadmin"
    """The user whose password is ``bootstrap_password``."""
    from_environment: frozenset[str] = frozenset()
    """The fields whose value came from the environment rather than the stack config."""

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        return check_absolute_url(value, "https://auth.dezky.local").rstrip("/")

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle_is_pem(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not os.path.isfile(value):
            raise ValueError(f"CA bundle file {value!r} does not exist; give the path of a PEM file")
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=value)
        except OSError as exc:  # ssl.SSLError is one
            raise ValueError(
                f"CA bundle file {value!r} holds no PEM certificate ({load_failure(exc)}); give the PEM of "
                "the CA that signs authentik's certificate (e.g. mkcert's rootCA.pem)"
            ) from None
        return value

    @property
    def api_root(self) -> str:
        """``<url>/api/v3``: the root every API path is relative to."""
        return f"{self.url}/api/v3"

    def name_of(self, field: str) -> str:
        """The setting of ``field`` as the user gives it: ``dezky:authentikToken`` or ``AUTHENTIK_TOKEN``
        (a field not given at all is named the way the URL was given)."""
        given_in_environment = field in self.from_environment or (
            field not in self.model_fields_set and "url" in self.from_environment
        )
        return _name(SETTING[field], given_in_environment)

    def where(self, field: str) -> str:
        """``stack config `dezky:authentikCaBundle``` or ``environment variable `AUTHENTIK_CA_BUNDLE```."""
        name = self.name_of(field)
        return (
            f"environment variable `{name}`" if name == SETTING[field].env_var else f"stack config `{name}`"
        )

    def how_to_set(self, field: str, value: str) -> str:
        """The command that sets ``field`` to ``value`` where the user keeps this connection: the config key
        with its namespace, which is ``dezky`` in any project (a program that uses the library has its own
        project name, and a bare key would land in that namespace)."""
        setting = SETTING[field]
        name = self.name_of(field)
        if name == setting.env_var:
            return f"export {name}={value}"
        secret = "--secret " if setting.secret else ""
        return f"pulumi config set {secret}{name} {value}"

    @classmethod
    def from_stack_config(
        cls, config: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> ConnectionSettings:
        """Settings from Pulumi stack config as a dynamic provider receives it, each missing one from
        ``environ`` (``SETTINGS`` names both; pass ``os.environ`` to use the environment).

        ``config`` maps ``dezky:authentikUrl``-style keys to strings (secrets arrive decrypted). Errors
        name the setting as the user gave it and never echo a secret.
        """
        values: dict[str, Any] = {}
        from_environment: set[str] = set()
        for setting in SETTINGS:
            raw = config.get(f"{CONFIG_NAMESPACE}:{setting.config_key}")
            if raw in (None, "") and environ is not None and environ.get(setting.env_var):
                raw = environ[setting.env_var]
                from_environment.add(setting.field)
            if raw not in (None, ""):
                values[setting.field] = raw
        if "url" not in values:
            url = SETTING["url"]
            also = f" (or the environment variable `{url.env_var}`)" if environ is not None else ""
            raise AuthentikConfigError(
                f"stack config `{CONFIG_NAMESPACE}:{url.config_key}` is not set{also}: "
                f"run `pulumi config set {url.config_key} https://auth.dezky.local`"
            )
        try:
            return cls.model_validate({**values, "from_environment": frozenset(from_environment)})
        except ValidationError as exc:
            raise AuthentikConfigError(_describe(exc, from_environment)) from None


def _name(setting: Setting, in_environment: bool) -> str:
    """``dezky:authentikUrl`` for a stack config key, ``AUTHENTIK_URL`` for an environment variable."""
    return setting.env_var if in_environment else f"{CONFIG_NAMESPACE}:{setting.config_key}"


def _describe(exc: ValidationError, from_environment: set[str]) -> str:
    """Name each invalid setting as the user gave it; pydantic's own text may echo input values."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "?"
        setting = SETTING.get(field)
        message = error["msg"].removeprefix("Value error, ")
        if setting is None:
            parts.append(f"{field}: {message}")
            continue
        if setting.secret:
            message = "invalid value"
        in_environment = field in from_environment
        where = "environment variable" if in_environment else "stack config"
        parts.append(f"{where} `{_name(setting, in_environment)}`: {message}")
    return "; ".join(parts)
