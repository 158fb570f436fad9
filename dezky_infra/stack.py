"""``DezkyStack``: wires the docker layer, the authentik objects and the stack outputs.

One direction only: config in, resources out, outputs to ``.env``. With the docker layer on, the
authentik objects wait for the authentik server container and the apps start once the secrets they
read exist. With it off (``dezky:dockerEnabled: false``) the same objects are made in an authentik
that already runs at ``dezky:authentikUrl``.
"""

from __future__ import annotations

import pulumi

from dezky_infra.config import StackConfig, StackSecrets
from dezky_infra.dev_objects import DevObjects, create_dev_objects
from dezky_infra.generated_secret import GeneratedSecret

PLATFORM_API_INTERNAL_URL = "http://platform-api:3001"


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
        from dezky_infra.docker import (  # noqa: PLC0415
            AppSecrets,
            DockerApps,
            DockerPlatform,
            PlatformSecrets,
            load_docker_settings,
        )

        cfg, secrets = self.cfg, self.secrets
        settings = load_docker_settings(cfg.docker, domain=cfg.domain, ocis=cfg.ocis_enabled)
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
        DockerApps(
            name,
            settings,
            platform,
            AppSecrets(
                api_token=objects.token.key,
                portal_client_id=objects.portal.provider.client_id,
                portal_client_secret=objects.portal.provider.client_secret,
                portal_issuer=objects.portal.application.issuer,
                ocis_client_id=objects.ocis.provider.client_id if objects.ocis else None,
                ocis_issuer=objects.ocis.application.issuer if objects.ocis else None,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _generated(self, name: str, length: int = 32) -> pulumi.Output[str]:
        return GeneratedSecret(name, length=length, opts=pulumi.ResourceOptions(parent=self)).value

    def export_outputs(self) -> None:
        """Export the stack outputs the services and ``.env`` read (secrets stay secret)."""
        cfg, objects = self.cfg, self.objects
        pulumi.export("authentik_url", cfg.public_url)
        pulumi.export("portal_url", f"https://{cfg.host('app')}")
        pulumi.export("platform_api_internal_url", PLATFORM_API_INTERNAL_URL)
        pulumi.export("authentik_bootstrap_token", pulumi.Output.secret(objects.token.key))
        pulumi.export("portal_oidc_client_id", objects.portal.provider.client_id)
        pulumi.export(
            "portal_oidc_client_secret", pulumi.Output.secret(objects.portal.provider.client_secret)
        )
        pulumi.export("portal_oidc_issuer", objects.portal.application.issuer)
        pulumi.export("tenant_groups", [group.pk for group in objects.tenant_groups])
        clients = {"portal": objects.portal, **({"ocis": objects.ocis} if objects.ocis is not None else {})}
        pulumi.export("oidc_clients", {key: client.description() for key, client in clients.items()})
        if objects.ocis is not None:
            pulumi.export("files_url", f"https://{cfg.host('files')}")
            pulumi.export("ocis_oidc_client_id", objects.ocis.provider.client_id)
            pulumi.export("ocis_oidc_issuer", objects.ocis.application.issuer)
