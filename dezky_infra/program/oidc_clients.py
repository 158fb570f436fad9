"""The stack's OIDC clients as data: one entry per application that signs users in through authentik.

``dezky:oidcClients`` maps an application slug to its settings. The dev defaults are the old setup
guide's two clients, the portal (confidential) and OCIS's web client (public); an entry with one of
their slugs changes only the fields it gives, and an entry with a new slug adds a client, so adding an
app (say Stalwart, for mail) is one entry::

    dezky:oidcClients:
      stalwart:
        name: Stalwart Mail
        redirect_uris: ["https://mail.{domain}/login/oauth"]

``{domain}`` in a URL stands for ``dezky:domain``. Everything else follows from an entry: the provider
(named like the slug unless ``provider_name`` says otherwise), the application, the stack outputs
``<prefix>_client_id``/``_client_secret``/``_issuer`` and the ``.env`` keys ``<PREFIX>_CLIENT_ID``,
``_CLIENT_SECRET`` (confidential clients only) and ``_ISSUER`` that ``python -m dezky_infra env``
writes, with ``<PREFIX>`` the entry's ``env_prefix``; and ``verify`` logs in to every client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from dezky_infra.authentik.api.validation import check_absolute_url, check_redirect_url
from dezky_infra.contract import TokenAuth

PORTAL: Final = "dezky-portal"
"""Slug of the portal's client: the docker layer's portal container signs in with it."""
OCIS: Final = "ocis"
"""Slug of OCIS's web client: the OCIS container signs in with it (when ``ocisEnabled``)."""
DOMAIN_PLACEHOLDER: Final = "{domain}"
_ENV_PREFIX = re.compile(r"[A-Z][A-Z0-9_]*")


def _env_prefix(value: str) -> str:
    if not _ENV_PREFIX.fullmatch(value):
        raise ValueError(f"{value!r} is not an env key prefix: use A-Z, 0-9 and '_', starting with a letter")
    return value


class OidcClientConfig(BaseModel):
    """One OIDC client: the authentik provider and application its consumer signs users in with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    """The application's name in authentik (what users see), e.g. "Dezky Portal"."""
    client_type: Literal["confidential", "public"] = "confidential"
    """``public`` for a browser app that keeps no secret (it uses PKCE)."""
    client_id: str = Field(default="", max_length=255)
    """The OAuth2 client id; the slug when empty."""
    redirect_uris: tuple[Annotated[str, AfterValidator(check_redirect_url)], ...]
    """Exact (strict) URIs the consumer sends users back to (at least one)."""
    launch_url: Annotated[str, AfterValidator(check_absolute_url)] | None = None
    """Where authentik's app library opens the app."""
    env_prefix: Annotated[str, AfterValidator(_env_prefix)] = ""
    """Prefix of the consumer's ``.env`` keys; ``<SLUG>_OIDC`` when empty."""
    provider_name: str = ""
    """The provider's name in authentik (unique there); the slug when empty."""
    token_auth: TokenAuth | None = None
    """How the consumer authenticates at the token endpoint (``verify`` does the same):
    ``client_secret_basic`` (default) or ``client_secret_post`` for a confidential client, ``none``
    (PKCE only) for a public one."""

    @field_validator("redirect_uris")
    @classmethod
    def _some_redirect(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("a client needs at least one redirect URI to send users back to")
        return value

    @model_validator(mode="after")
    def _auth_fits_the_type(self) -> OidcClientConfig:
        if self.client_type == "public" and self.token_auth not in (None, "none"):
            raise ValueError(
                f"token_auth {self.token_auth!r} needs a client secret, which a public client does not "
                "have: use 'none' (PKCE), or make the client confidential"
            )
        if self.client_type == "confidential" and self.token_auth == "none":
            raise ValueError("token_auth 'none' is for public clients: a confidential one uses its secret")
        return self

    @property
    def public(self) -> bool:
        """True for a public client (no secret, PKCE)."""
        return self.client_type == "public"

    @property
    def auth_method(self) -> TokenAuth:
        """The token endpoint authentication the consumer uses."""
        return self.token_auth or ("none" if self.public else "client_secret_basic")


def default_clients(ocis_enabled: bool) -> dict[str, dict[str, Any]]:
    """The old setup guide's clients, as raw entries (``{domain}`` not yet filled in)."""
    clients: dict[str, dict[str, Any]] = {
        PORTAL: {
            "name": "Dezky Portal",
            "client_type": "confidential",
            "redirect_uris": ["https://app.{domain}/api/auth/callback"],
            "launch_url": "https://app.{domain}/",
            "env_prefix": "PORTAL_OIDC",
        },
    }
    if ocis_enabled:
        clients[OCIS] = {
            "name": "OCIS Files",
            "client_type": "public",
            "client_id": "ocis-web",  # the id OCIS's web frontend is built with
            "redirect_uris": ["https://files.{domain}/", "https://files.{domain}/oidc-callback"],
            "launch_url": "https://files.{domain}/",
            "env_prefix": "OCIS_OIDC",
            "provider_name": "ocis-provider",
        }
    return clients


def merged_entries(user: Any, domain: str, ocis_enabled: bool) -> Any:
    """The defaults with the user's entries over them (by slug, field by field), ``{domain}`` filled in.

    Anything that is not a mapping of mappings is handed on unchanged, for validation to name it.
    """
    if user is not None and not isinstance(user, Mapping):
        return user
    merged: dict[str, Any] = default_clients(ocis_enabled)
    for slug, entry in (user or {}).items():
        merged[slug] = {**merged.get(slug, {}), **entry} if isinstance(entry, Mapping) else entry
    return {slug: _fill_domain(entry, domain) for slug, entry in merged.items()}


def _fill_domain(entry: Any, domain: str) -> Any:
    if not isinstance(entry, Mapping):
        return entry
    filled = dict(entry)
    for key in ("redirect_uris", "launch_url"):
        value = filled.get(key)
        if isinstance(value, str):
            filled[key] = value.replace(DOMAIN_PLACEHOLDER, domain)
        elif isinstance(value, list | tuple):
            filled[key] = [v.replace(DOMAIN_PLACEHOLDER, domain) if isinstance(v, str) else v for v in value]
    return filled


def with_defaults(clients: Mapping[str, OidcClientConfig]) -> dict[str, OidcClientConfig]:
    """Each client with its derived fields filled in (client id, env prefix, provider name)."""
    return {
        slug: client.model_copy(
            update={
                "client_id": client.client_id or slug,
                "env_prefix": client.env_prefix or f"{slug.upper().replace('-', '_')}_OIDC",
                "provider_name": client.provider_name or slug,
            }
        )
        for slug, client in clients.items()
    }


def duplicates(clients: Mapping[str, OidcClientConfig]) -> list[tuple[tuple[str | int, ...], str]]:
    """What two clients may not share (authentik needs unique provider names and client ids; the
    outputs and ``.env`` keys need unique prefixes): ``((slug, field), reason)`` for each clash."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for field in ("name", "client_id", "provider_name", "env_prefix"):
        seen: dict[str, str] = {}
        for slug, client in clients.items():
            value = str(getattr(client, field))
            if value in seen:
                problems.append(
                    ((slug, field), f"{value!r} is also {seen[value]}'s; each client needs its own")
                )
            seen.setdefault(value, slug)
    return problems
