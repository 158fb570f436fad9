"""The benchmark workload made of the real ``dezky_infra.authentik`` dynamic resources."""

from __future__ import annotations

import pulumi

from bench.tenants import PUBLIC_URL, TOKEN_IDENTIFIER, Tenant
from bench.workload import HasPk
from dezky_infra.authentik import ApiToken, Application, Group, OAuth2Provider
from dezky_infra.authentik.readiness import AuthentikReady


class AuthentikKit:
    """Makes each object the way ``dezky_infra.dev_objects`` makes the dev stack's."""

    def ready(self) -> pulumi.Resource:
        """Waits for authentik (the trigger never changes, so it runs on a fresh ``up`` only)."""
        return AuthentikReady("authentik-ready", trigger="bench")

    def token(self, key: pulumi.Input[str], opts: pulumi.ResourceOptions) -> pulumi.Resource:
        """The platform-api token."""
        return ApiToken("platform-api-token", identifier=TOKEN_IDENTIFIER, key=key, user="akadmin", opts=opts)

    def group(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> pulumi.Resource:
        """The tenant's group."""
        return Group(tenant.group_name, name=tenant.group_name, attributes=tenant.group_attributes, opts=opts)

    def provider(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> HasPk:
        """The tenant's confidential OAuth2 provider (default flows, key and scopes)."""
        return OAuth2Provider(
            f"{tenant.slug}-provider",
            name=tenant.provider_name,
            client_type="confidential",
            client_id=tenant.client_id,
            redirect_uris=list(tenant.redirect_uris),
            opts=opts,
        )

    def application(
        self, tenant: Tenant, provider_pk: pulumi.Input[int], opts: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        """The tenant's application, bound to its provider."""
        return Application(
            f"{tenant.slug}-app",
            name=tenant.app_name,
            slug=tenant.app_slug,
            provider=provider_pk,
            launch_url=tenant.launch_url,
            public_url=PUBLIC_URL,
            opts=opts,
        )
