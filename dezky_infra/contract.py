"""The stack outputs contract: what the Dezky program exports and what the commands read from it.

The program (``dezky_infra.program``) writes the outputs; ``env`` turns them into ``.env`` keys and
``verify`` logs in with them (``dezky_infra.cli``). Both sides import this module and nothing of each
other, so every name is stated here once: the output names, the description of an OIDC client, the
``.env`` key of every output, and the URLs the services share. ``StackOutputs.parse`` reads outputs as
``pulumi stack output --json`` gives them, once, with one kind of error (``StackOutputError``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

PLATFORM_API_SERVICE: Final = "platform-api"
"""platform-api's container name and network alias."""
PLATFORM_API_PORT: Final = 3001
PLATFORM_API_INTERNAL_URL: Final = f"http://{PLATFORM_API_SERVICE}:{PLATFORM_API_PORT}"
"""Where the other containers reach platform-api on the stack network."""

TokenAuth = Literal["client_secret_basic", "client_secret_post", "none"]
"""How a consumer authenticates at the token endpoint."""


class StackOutputError(Exception):
    """The stack's outputs (or config) cannot be read or do not follow this contract; one line, no values."""


class Output:
    """The names of the stack outputs that are not about one OIDC client."""

    AUTHENTIK_URL: Final = "authentik_url"
    PORTAL_URL: Final = "portal_url"
    FILES_URL: Final = "files_url"
    PLATFORM_API_INTERNAL_URL: Final = "platform_api_internal_url"
    BOOTSTRAP_TOKEN: Final = "authentik_bootstrap_token"
    TENANT_GROUPS: Final = "tenant_groups"
    TENANT_AUTH_URLS: Final = "tenant_auth_urls"
    """Each tenant's authentik URL by slug (brands mode; ``{}`` with groups)."""
    OIDC_CLIENTS: Final = "oidc_clients"
    """Each OIDC client's ``OidcClientInfo`` by application slug."""


class OidcClientInfo(BaseModel):
    """One OIDC client as the stack exports it (output ``oidc_clients``): what its consumer has."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    client_id: str
    issuer: str
    redirect_uris: tuple[str, ...]
    public: bool
    token_auth: TokenAuth = "client_secret_basic"
    env_prefix: str

    @staticmethod
    def export(**values: Any) -> dict[str, Any]:
        """The output entry of a client from ``values`` (Pulumi inputs), which must name every field."""
        fields = set(OidcClientInfo.model_fields)
        if set(values) != fields:
            raise TypeError(f"an oidc_clients entry has the fields {sorted(fields)}, got {sorted(values)}")
        return values


CLIENT_ENV_KEYS: Final = ("CLIENT_ID", "CLIENT_SECRET", "ISSUER")
"""A client's ``.env`` keys after its prefix (``CLIENT_SECRET`` for confidential clients only)."""


def env_key(prefix: str, suffix: str) -> str:
    """The ``.env`` key ``<PREFIX>_<SUFFIX>`` (``PORTAL_OIDC_CLIENT_ID``)."""
    return f"{prefix}_{suffix}"


def output_name(prefix: str, suffix: str) -> str:
    """The stack output that holds the ``.env`` key's value: the same name in lower case."""
    return env_key(prefix, suffix).lower()


def client_keys(info: OidcClientInfo) -> tuple[str, ...]:
    """The ``.env`` key suffixes a client has: no secret for a public one."""
    return tuple(suffix for suffix in CLIENT_ENV_KEYS if not (suffix == "CLIENT_SECRET" and info.public))


def tenant_env_key(slug: str) -> str:
    """The ``.env`` key (and platform-api setting) of a tenant's authentik URL: ``acme-eu`` ->
    ``AUTHENTIK_TENANT_ACME_EU_URL``."""
    return f"AUTHENTIK_TENANT_{slug.upper().replace('-', '_')}_URL"


@dataclass(frozen=True)
class EnvSetting:
    """One ``.env`` key and the stack output it comes from; ``default`` applies when the output is absent."""

    output: str
    key: str
    default: str | None = None


STACK_SETTINGS: Final[tuple[EnvSetting, ...]] = (
    EnvSetting(Output.BOOTSTRAP_TOKEN, "AUTHENTIK_BOOTSTRAP_TOKEN"),
    EnvSetting(Output.AUTHENTIK_URL, "AUTHENTIK_URL"),
    EnvSetting(
        Output.PLATFORM_API_INTERNAL_URL, "PLATFORM_API_INTERNAL_URL", default=PLATFORM_API_INTERNAL_URL
    ),
)
"""The ``.env`` keys that are not about one OIDC client."""


@dataclass(frozen=True)
class StackOutputs:
    """A stack's outputs read through this contract (``parse``), plus the raw values by name."""

    raw: Mapping[str, str]
    clients: dict[str, OidcClientInfo]
    """By application slug, in the order the stack exports them."""
    tenant_urls: dict[str, str]
    """Each tenant's authentik URL by slug (empty in groups mode, or for a stack made before brands)."""

    @classmethod
    def parse(cls, outputs: Mapping[str, str]) -> StackOutputs:
        """Outputs as ``pulumi stack output --json --show-secrets`` gives them (non-strings as JSON)."""
        raw = outputs.get(Output.OIDC_CLIENTS)
        if raw is None:
            raise StackOutputError(
                f"the stack has no output {Output.OIDC_CLIENTS}; run `pulumi up` with this version first"
            )
        try:
            entries = json.loads(raw)
            clients = {name: OidcClientInfo.model_validate(entry) for name, entry in entries.items()}
        except (ValueError, AttributeError, ValidationError):
            raise StackOutputError(
                f"the stack output {Output.OIDC_CLIENTS} is not what this version writes; run `pulumi up`"
            ) from None
        return cls(raw=dict(outputs), clients=clients, tenant_urls=_tenant_urls(outputs))

    def secret(self, info: OidcClientInfo) -> str | None:
        """The client's secret output (None for a public client)."""
        return None if info.public else self.raw.get(output_name(info.env_prefix, "CLIENT_SECRET"))

    def env_values(self) -> dict[str, str]:
        """Every ``.env`` key and its value: each client's keys (in the clients' order), the stack's, and
        each tenant's URL. Raises ``StackOutputError`` naming every output that is absent without a default.
        """
        settings = [
            EnvSetting(output_name(info.env_prefix, suffix), env_key(info.env_prefix, suffix))
            for info in self.clients.values()
            for suffix in client_keys(info)
        ]
        values: dict[str, str] = {}
        missing: list[str] = []
        for setting in (*settings, *STACK_SETTINGS):
            value = self.raw.get(setting.output, setting.default)
            if value is None:
                missing.append(setting.output)
            else:
                values[setting.key] = value
        if missing:
            raise StackOutputError(
                f"the stack lacks output(s) {', '.join(missing)}; run `pulumi up` to create them"
            )
        return {**values, **{tenant_env_key(slug): url for slug, url in self.tenant_urls.items()}}


def _tenant_urls(outputs: Mapping[str, str]) -> dict[str, str]:
    raw = outputs.get(Output.TENANT_AUTH_URLS)
    try:
        urls = json.loads(raw) if raw else {}
    except ValueError:
        urls = None
    if not isinstance(urls, dict):
        raise StackOutputError(f"the stack output {Output.TENANT_AUTH_URLS} is not a JSON object")
    return {str(slug): str(url) for slug, url in urls.items()}
