"""The authentik objects of the Dezky dev stack, as the old setup guide made them by hand.

- the platform-api ``ApiToken`` ``dezky-bootstrap-token`` (non-expiring, key from stack config);
- ``ocis-provider`` (public, client id ``ocis-web``) with application ``OCIS Files`` / ``ocis``;
- ``dezky-portal`` (confidential, client id ``dezky-portal``) with application ``Dezky Portal``;
- one group per tenant.
Everything waits for ``AuthentikReady``; providers, applications and groups also wait for the token,
so on a fresh authentik the token exists before anything else is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from dezky_infra.authentik import ApiToken, Application, Group, OAuth2Provider
from dezky_infra.authentik.readiness import AuthentikReady
from dezky_infra.config import OCIS_CLIENT_ID, StackConfig

TOKEN_IDENTIFIER = "dezky-bootstrap-token"


@dataclass(frozen=True)
class OidcClient:
    """A provider and its application: what a service needs to log users in."""

    provider: OAuth2Provider
    application: Application
    redirect_uris: tuple[str, ...]
    """The URIs the consumer sends users back to (strict), as declared."""
    public: bool
    """A public client (a browser app) authenticates with PKCE and no secret."""
    env_prefix: str
    """The consumer's ``.env`` keys are ``<prefix>_CLIENT_ID``, ``_CLIENT_SECRET``, ``_ISSUER``."""

    def description(self) -> dict[str, pulumi.Input[Any]]:
        """What ``verify`` needs to log in as this client's consumer (stack output ``oidc_clients``)."""
        return {
            "client_id": self.provider.client_id,
            "issuer": self.application.issuer,
            "redirect_uris": list(self.redirect_uris),
            "public": self.public,
            "env_prefix": self.env_prefix,
        }


@dataclass(frozen=True)
class DevObjects:
    """Handles on the created authentik objects."""

    ready: AuthentikReady
    token: ApiToken
    portal: OidcClient
    ocis: OidcClient | None
    tenant_groups: tuple[Group, ...]


def create_dev_objects(
    cfg: StackConfig,
    token_key: pulumi.Input[str],
    parent: pulumi.Resource,
    *,
    ready_trigger: pulumi.Input[str],
    wait_for: list[pulumi.Resource] | None = None,
) -> DevObjects:
    """Declare the dev stack's authentik objects under ``parent``."""
    ready = AuthentikReady(
        "authentik-ready",
        trigger=ready_trigger,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=wait_for or []),
    )
    token = ApiToken(
        "platform-api-token",
        identifier=TOKEN_IDENTIFIER,
        key=token_key,
        user="akadmin",
        description="platform-api service token (managed by dezky-infra)",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[ready]),
    )
    after_token = pulumi.ResourceOptions(parent=parent, depends_on=[token])
    portal = _oidc_client(
        cfg,
        "dezky-portal",
        provider_name="dezky-portal",
        client_type="confidential",
        client_id=cfg.portal_client_id,
        redirect_urls=(f"https://{cfg.host('app')}/api/auth/callback", *cfg.portal_extra_redirect_uris),
        app_name="Dezky Portal",
        slug="dezky-portal",
        launch_url=f"https://{cfg.host('app')}/",
        env_prefix="PORTAL_OIDC",
        opts=after_token,
    )
    ocis = (
        _oidc_client(
            cfg,
            "ocis",
            provider_name="ocis-provider",
            client_type="public",
            client_id=OCIS_CLIENT_ID,
            redirect_urls=(f"https://{cfg.host('files')}/", f"https://{cfg.host('files')}/oidc-callback"),
            app_name="OCIS Files",
            slug="ocis",
            launch_url=f"https://{cfg.host('files')}/",
            env_prefix="OCIS_OIDC",
            opts=after_token,
        )
        if cfg.ocis_enabled
        else None
    )
    groups = tuple(
        Group(
            tenant.group_name,
            name=tenant.group_name,
            attributes={
                "dezky": {"tenant": tenant.slug, "display_name": tenant.display_name or tenant.slug},
                **tenant.attributes,
            },
            opts=after_token,
        )
        for tenant in cfg.tenants
    )
    return DevObjects(ready=ready, token=token, portal=portal, ocis=ocis, tenant_groups=groups)


def _oidc_client(
    cfg: StackConfig,
    key: str,
    *,
    provider_name: str,
    client_type: str,
    client_id: str,
    redirect_urls: tuple[str, ...],
    app_name: str,
    slug: str,
    launch_url: str,
    env_prefix: str,
    opts: pulumi.ResourceOptions,
) -> OidcClient:
    """A provider with the stack's flows, key and scopes, and the application bound to it."""
    provider = OAuth2Provider(
        f"{key}-provider",
        name=provider_name,
        client_type=client_type,
        client_id=client_id,
        redirect_uris=[{"url": url, "matching_mode": "strict"} for url in redirect_urls],
        authorization_flow=cfg.oidc.authorization_flow,
        invalidation_flow=cfg.oidc.invalidation_flow,
        signing_key=cfg.oidc.signing_key,
        scopes=list(cfg.oidc.scopes),
        opts=opts,
    )
    application = Application(
        f"{key}-app",
        name=app_name,
        slug=slug,
        provider=provider.pk,
        launch_url=launch_url,
        public_url=cfg.public_url,
        opts=opts,
    )
    return OidcClient(provider, application, redirect_urls, client_type == "public", env_prefix)
