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

import pulumi

from dezky_infra.authentik import ApiToken, Application, Group, OAuth2Provider
from dezky_infra.authentik.readiness import AuthentikReady
from dezky_infra.config import StackConfig

TOKEN_IDENTIFIER = "dezky-bootstrap-token"
OCIS_CLIENT_ID = "ocis-web"
PORTAL_CLIENT_ID = "dezky-portal"


@dataclass(frozen=True)
class OidcClient:
    """A provider and its application: what a service needs to log users in."""

    provider: OAuth2Provider
    application: Application


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

    portal_provider = OAuth2Provider(
        "dezky-portal-provider",
        name="dezky-portal",
        client_type="confidential",
        client_id=PORTAL_CLIENT_ID,
        redirect_uris=[
            {"url": url, "matching_mode": "strict"}
            for url in (f"https://{cfg.host('app')}/api/auth/callback", *cfg.portal_extra_redirect_uris)
        ],
        opts=after_token,
    )
    portal = OidcClient(
        portal_provider,
        Application(
            "dezky-portal-app",
            name="Dezky Portal",
            slug="dezky-portal",
            provider=portal_provider.pk,
            launch_url=f"https://{cfg.host('app')}/",
            public_url=cfg.public_url,
            opts=after_token,
        ),
    )

    ocis: OidcClient | None = None
    if cfg.ocis_enabled:
        ocis_provider = OAuth2Provider(
            "ocis-provider",
            name="ocis-provider",
            client_type="public",
            client_id=OCIS_CLIENT_ID,
            redirect_uris=[
                {"url": f"https://{cfg.host('files')}/", "matching_mode": "strict"},
                {"url": f"https://{cfg.host('files')}/oidc-callback", "matching_mode": "strict"},
            ],
            opts=after_token,
        )
        ocis = OidcClient(
            ocis_provider,
            Application(
                "ocis-app",
                name="OCIS Files",
                slug="ocis",
                provider=ocis_provider.pk,
                launch_url=f"https://{cfg.host('files')}/",
                public_url=cfg.public_url,
                opts=after_token,
            ),
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
