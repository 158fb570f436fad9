"""``DezkyStack``: wires the docker layer, the authentik objects and the stack outputs.

One direction only: config in, resources out, outputs to ``.env``. With the docker layer on, the
authentik objects wait for the authentik server container and the apps start once the secrets they
read exist. With it off (``dezky:dockerEnabled: false``) the same objects are made in an authentik
that already runs at ``dezky:authentikUrl``.
"""

from __future__ import annotations

import pulumi

from dezky_infra.contract import PLATFORM_API_INTERNAL_URL, Output, output_name
from dezky_infra.program.authentik_objects import DevObjects, OidcClient, create_dev_objects
from dezky_infra.program.config import StackConfig, StackSecrets
from dezky_infra.program.generated_secret import GeneratedSecret
from dezky_infra.program.oidc_clients import OCIS, PORTAL


class DezkyStack(pulumi.ComponentResource):
    """The whole Dezky dev environment as one component."""

    objects: DevObjects

    def __init__(
        self,
        name: str,
        cfg: StackConfig,
        secrets: StackSecrets,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dezky:index:DezkyStack", name, None, opts)
        self.cfg = cfg
        self.secrets = secrets
        if cfg.docker_enabled:
            self._with_docker(name)
        else:
            self.objects = create_dev_objects(
                cfg, secrets.authentik_token, self, ready_trigger=cfg.authentik_url
            )
        self.register_outputs({})

    def _with_docker(self, name: str) -> None:
        # Imported here so the docker-off mode (and its engine tests) never loads pulumi_docker.
        from dezky_infra.program.docker import (  # noqa: PLC0415
            AppSecrets,
            DockerApps,
            DockerPlatform,
            PlatformSecrets,
            load_docker_settings,
        )

        cfg, secrets = self.cfg, self.secrets
        urls = tenant_auth_urls(cfg)
        settings = load_docker_settings(
            cfg.docker,
            domain=cfg.domain,
            ocis=cfg.ocis_enabled,
            tenant_hosts=[cfg.tenant_host(tenant) for tenant in cfg.tenants if tenant.slug in urls],
        )
        if secrets.bootstrap_password is None:
            raise ValueError(
                "stack config `dezky:authentikBootstrapPassword` is required with the docker layer on: "
                "authentik applies it to akadmin on its first start "
                "(`pulumi config set --secret authentikBootstrapPassword <password>`)"
            )
        platform = DockerPlatform(
            name,
            settings,
            PlatformSecrets(
                postgres_password=secrets.postgres_password or self._generated("postgres-password"),
                authentik_secret_key=secrets.authentik_secret_key
                or self._generated("authentik-secret-key", 50),
                bootstrap_password=secrets.bootstrap_password,
                bootstrap_token=secrets.authentik_token,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.objects = objects = create_dev_objects(
            cfg,
            secrets.authentik_token,
            self,
            ready_trigger=platform.authentik_server.id,
            wait_for=[platform],
        )
        portal, ocis = objects.clients.get(PORTAL), objects.clients.get(OCIS)
        if portal is None:
            raise ValueError(f"the docker layer runs the portal, which signs in with the client `{PORTAL}`")
        DockerApps(
            name,
            settings,
            platform,
            AppSecrets(
                api_token=objects.token.key,
                portal_client_id=portal.provider.client_id,
                portal_client_secret=portal.provider.client_secret,
                portal_issuer=portal.application.issuer,
                ocis_client_id=ocis.provider.client_id if ocis else None,
                ocis_issuer=ocis.application.issuer if ocis else None,
            ),
            opts=pulumi.ResourceOptions(parent=self),
            tenant_urls={tenant.env_key: urls[tenant.slug] for tenant in cfg.tenants if tenant.slug in urls},
        )

    def _generated(self, name: str, length: int = 32) -> pulumi.Output[str]:
        return GeneratedSecret(name, length=length, opts=pulumi.ResourceOptions(parent=self)).value

    def export_outputs(self) -> None:
        """Export the stack outputs the services and ``.env`` read (secrets stay secret)."""
        cfg, objects = self.cfg, self.objects
        pulumi.export(Output.AUTHENTIK_URL, cfg.public_url)
        pulumi.export(Output.PORTAL_URL, f"https://{cfg.host('app')}")
        pulumi.export(Output.PLATFORM_API_INTERNAL_URL, PLATFORM_API_INTERNAL_URL)
        pulumi.export(Output.BOOTSTRAP_TOKEN, pulumi.Output.secret(objects.token.key))
        pulumi.export(Output.TENANT_GROUPS, [group.pk for group in objects.tenant_groups])
        pulumi.export(Output.TENANT_AUTH_URLS, tenant_auth_urls(cfg))
        for client in objects.clients.values():
            for name, value in client_outputs(client).items():
                pulumi.export(name, value)
        pulumi.export(
            Output.OIDC_CLIENTS, {slug: client.description() for slug, client in objects.clients.items()}
        )
        if OCIS in objects.clients:
            pulumi.export(Output.FILES_URL, f"https://{cfg.host('files')}")


def client_outputs(client: OidcClient) -> dict[str, pulumi.Input[str]]:
    """The client's own stack outputs (``<prefix>_client_id``, ``_client_secret`` if confidential,
    ``_issuer``), which ``python -m dezky_infra env`` writes as the ``.env`` keys of the same names."""
    prefix = client.config.env_prefix
    outputs: dict[str, pulumi.Input[str]] = {output_name(prefix, "CLIENT_ID"): client.provider.client_id}
    if not client.config.public:
        outputs[output_name(prefix, "CLIENT_SECRET")] = pulumi.Output.secret(client.provider.client_secret)
    outputs[output_name(prefix, "ISSUER")] = client.application.issuer
    return outputs


def tenant_auth_urls(cfg: StackConfig) -> dict[str, str]:
    """Each tenant's authentik URL (its brand's host) in brands mode, by slug; empty with groups.
    ``python -m dezky_infra env`` writes them as ``AUTHENTIK_TENANT_<SLUG>_URL`` for platform-api."""
    return {tenant.slug: cfg.tenant_url(tenant) for tenant in cfg.tenants} if cfg.tenancy == "brands" else {}
