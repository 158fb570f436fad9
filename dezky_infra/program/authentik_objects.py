"""The authentik objects of the Dezky dev stack, as the old setup guide made them by hand.

- the platform-api ``ApiToken`` ``dezky-bootstrap-token`` (non-expiring, key from stack config);
- for every OIDC client of the config (``dezky_infra.program.oidc_clients``; by default the portal,
  confidential, and OCIS's public web client) an OAuth2 provider and the application bound to it;
- one group per tenant, and with ``tenancy: brands`` one brand per tenant on ``{slug}.auth.<domain>``.
Every name authentik sees carries the stack's ``namePrefix``. Everything waits for ``AuthentikReady``;
providers, applications and groups also wait for the token, so on a fresh authentik the token exists
before anything else is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from dezky_infra.authentik import ApiToken, Application, Brand, Group, OAuth2Provider
from dezky_infra.authentik.readiness import AuthentikReady
from dezky_infra.contract import OidcClientInfo
from dezky_infra.program.config import StackConfig, Tenant
from dezky_infra.program.oidc_clients import OidcClientConfig

TOKEN_IDENTIFIER = "dezky-bootstrap-token"


@dataclass(frozen=True)
class OidcClient:
    """A provider and its application: what a service needs to log users in."""

    config: OidcClientConfig
    provider: OAuth2Provider
    application: Application

    def description(self) -> dict[str, pulumi.Input[Any]]:
        """What ``verify`` and ``env`` need to act as this client's consumer (output ``oidc_clients``)."""
        return OidcClientInfo.export(
            client_id=self.provider.client_id,
            issuer=self.application.issuer,
            redirect_uris=list(self.config.redirect_uris),
            public=self.config.public,
            token_auth=self.config.auth_method,
            env_prefix=self.config.env_prefix,
        )


@dataclass(frozen=True)
class DevObjects:
    """Handles on the created authentik objects."""

    ready: AuthentikReady
    token: ApiToken
    clients: dict[str, OidcClient]
    """By application slug (without the stack's name prefix)."""
    tenant_groups: tuple[Group, ...]
    tenant_brands: dict[str, Brand]
    """By tenant slug; empty unless ``tenancy`` is ``brands``."""


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
    identifier = cfg.named(TOKEN_IDENTIFIER)
    token = ApiToken(
        "platform-api-token",
        identifier=identifier,
        adopt=cfg.adopts(identifier),
        key=token_key,
        user="akadmin",
        description="platform-api service token (managed by dezky-infra)",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[ready]),
    )
    after_token = pulumi.ResourceOptions(parent=parent, depends_on=[token])
    clients = {
        slug: _oidc_client(cfg, slug, client, after_token) for slug, client in cfg.oidc_clients.items()
    }
    groups = tuple(
        Group(
            tenant.group_name,
            name=cfg.named(tenant.group_name),
            adopt=cfg.adopts(cfg.named(tenant.group_name)),
            attributes={
                "dezky": {"tenant": tenant.slug, "display_name": tenant.display_name or tenant.slug},
                **tenant.attributes,
            },
            opts=after_token,
        )
        for tenant in cfg.tenants
    )
    brands = (
        {tenant.slug: _brand(cfg, tenant, after_token) for tenant in cfg.tenants}
        if cfg.tenancy == "brands"
        else {}
    )
    return DevObjects(ready=ready, token=token, clients=clients, tenant_groups=groups, tenant_brands=brands)


def _brand(cfg: StackConfig, tenant: Tenant, opts: pulumi.ResourceOptions) -> Brand:
    """The tenant's brand on its own host, with the default flows (a new brand gets none otherwise)."""
    domain = cfg.brand_domain(tenant)
    return Brand(
        f"tenant-{tenant.slug}-brand",
        domain=domain,
        adopt=cfg.adopts(domain),
        title=tenant.display_name or tenant.slug,
        attributes={"dezky": {"tenant": tenant.slug}},
        opts=opts,
    )


def _oidc_client(
    cfg: StackConfig, slug: str, client: OidcClientConfig, opts: pulumi.ResourceOptions
) -> OidcClient:
    """A provider with the stack's flows, key and scopes, and the application bound to it.

    The Pulumi resource names come from the slug without the prefix, so changing the prefix renames
    the objects in authentik instead of making new Pulumi resources.
    """
    provider_name = cfg.named(client.provider_name)
    provider = OAuth2Provider(
        f"{slug}-provider",
        name=provider_name,
        adopt=cfg.adopts(provider_name),
        client_type=client.client_type,
        client_id=cfg.named(client.client_id),
        redirect_uris=[{"url": url, "matching_mode": "strict"} for url in client.redirect_uris],
        authorization_flow=cfg.oidc.authorization_flow,
        invalidation_flow=cfg.oidc.invalidation_flow,
        signing_key=cfg.oidc.signing_key,
        scopes=list(cfg.oidc.scopes),
        opts=opts,
    )
    application = Application(
        f"{slug}-app",
        name=client.name,
        slug=cfg.named(slug),
        adopt=cfg.adopts(cfg.named(slug)),
        provider=provider.pk,
        launch_url=client.launch_url,
        public_url=cfg.public_url,
        opts=opts,
    )
    return OidcClient(client, provider, application)
