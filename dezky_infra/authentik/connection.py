"""How the dynamic providers reach authentik: URL, credentials, TLS and patience.

The settings come from stack config (``dezky:authentik*`` keys), which Pulumi hands to a dynamic
provider's ``configure()`` in its own process. They are never pickled into state: a provider object
only holds them after ``configure()`` ran. Secret values are ``SecretStr`` so a repr or a log line
cannot show them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from dezky_infra.authentik.errors import AuthentikConfigError

CONFIG_NAMESPACE = "dezky"

# Stack config key (without namespace) for every field; one table so docs, tests and code agree.
CONFIG_KEYS: dict[str, str] = {
    "url": "authentikUrl",
    "token": "authentikToken",
    "bootstrap_password": "authentikBootstrapPassword",
    "ca_bundle": "authentikCaBundle",
    "insecure_skip_tls_verify": "authentikInsecureSkipTlsVerify",
    "timeout_seconds": "authentikTimeoutSeconds",
    "retry_deadline_seconds": "authentikRetryDeadlineSeconds",
}


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
    timeout_seconds: float = Field(default=30.0, gt=0)
    """Timeout of one HTTP call."""
    retry_deadline_seconds: float = Field(default=120.0, ge=0)
    """How long transient failures (refused, 429, 502-504, authentik starting) are retried."""
    username: str = "akadmin"
    """The user whose password is ``bootstrap_password``."""

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle_exists(cls, value: str | None) -> str | None:
        if value is not None and not os.path.isfile(value):
            raise ValueError(f"CA bundle file {value!r} does not exist; give the path of a PEM file")
        return value

    @property
    def api_root(self) -> str:
        """``<url>/api/v3``: the root every API path is relative to."""
        return f"{self.url}/api/v3"

    @classmethod
    def from_stack_config(cls, config: Mapping[str, Any]) -> ConnectionSettings:
        """Build settings from Pulumi stack config as a dynamic provider receives it.

        ``config`` maps ``dezky:authentikUrl``-style keys to strings (secrets arrive decrypted). Errors
        name the config key and never echo a secret.
        """
        values: dict[str, Any] = {}
        for field, key in CONFIG_KEYS.items():
            raw = config.get(f"{CONFIG_NAMESPACE}:{key}")
            if raw not in (None, ""):
                values[field] = raw
        if "url" not in values:
            raise AuthentikConfigError(
                f"stack config `{CONFIG_NAMESPACE}:{CONFIG_KEYS['url']}` is not set: "
                f"run `pulumi config set {CONFIG_KEYS['url']} https://auth.dezky.local`"
            )
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise AuthentikConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    """Name the config key of each invalid setting; pydantic's own text may echo input values."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "?"
        key = CONFIG_KEYS.get(field, field)
        message = error["msg"].removeprefix("Value error, ")
        if field in {"token", "bootstrap_password"}:
            message = "invalid value"
        parts.append(f"stack config `{CONFIG_NAMESPACE}:{key}`: {message}")
    return "; ".join(parts)
