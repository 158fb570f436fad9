"""The docker layer as two Pulumi components, one per phase of `pulumi up`.

`DockerPlatform` brings up what authentik needs to answer API calls (network, database,
authentik, Traefik). The authentik resources, made elsewhere, configure authentik once it is
up and produce the apps' secrets; `DockerApps` then runs the apps with them. Splitting the
stack lets Pulumi order that hand-over through ordinary resource dependencies.
"""

from collections.abc import Mapping

import pulumi
import pulumi_docker as docker

from . import authentik, ocis, platform_api, portal
from .container import ContainerSpec, run_container
from .inputs import AppSecrets, PlatformSecrets
from .network import create_network
from .postgres import postgres_spec
from .settings import AppMode, DockerSettings
from .traefik import traefik_spec
from .volumes import VolumeKey, create_volume


class DockerPlatform(pulumi.ComponentResource):
    """Phase one: network, postgres, authentik server and worker, and Traefik.

    Each container is waited on until healthy, so a resource that depends on this component
    (or on `authentik_server`) starts only once authentik answers at `authentik_url_public`.
    """

    network: docker.Network
    postgres: docker.Container
    authentik_server: docker.Container
    authentik_worker: docker.Container
    traefik: docker.Container
    authentik_url_internal: str
    authentik_url_public: str

    def __init__(
        self,
        name: str,
        settings: DockerSettings,
        secrets: PlatformSecrets,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dezky:docker:Platform", name, None, opts)
        self.network = create_network(name, settings, self)

        def volume(key: VolumeKey) -> docker.Volume:
            return create_volume(name, key, settings, self)

        def run(spec: ContainerSpec, depends_on: list[pulumi.Resource] | None = None) -> docker.Container:
            return run_container(name, spec, settings, self.network, self, depends_on or [])

        self.postgres = run(
            postgres_spec(settings, secrets.postgres_password, volume(VolumeKey.POSTGRES_DATA))
        )
        server, worker = authentik.authentik_specs(settings, secrets, volume=volume)
        self.authentik_server = run(server, [self.postgres])
        self.authentik_worker = run(worker, [self.postgres])
        self.traefik = run(traefik_spec(settings, public_hosts(settings)))
        self.authentik_url_internal = authentik.internal_url()
        self.authentik_url_public = authentik.public_url(settings)
        self.register_outputs(
            {
                "authentik_url_internal": self.authentik_url_internal,
                "authentik_url_public": self.authentik_url_public,
            }
        )


class DockerApps(pulumi.ComponentResource):
    """Phase two: platform-api, portal and, when enabled, ocis.

    `tenant_urls` are the tenants' authentik URLs platform-api addresses their brands by, keyed by
    its setting names (brands mode; empty with groups).

    The apps depend on the authentik resources through the Outputs in `secrets`, and
    explicitly on the authentik server and Traefik, which they call while starting.
    """

    platform_api: docker.Container
    portal: docker.Container
    ocis: docker.Container | None

    def __init__(
        self,
        name: str,
        settings: DockerSettings,
        platform: DockerPlatform,
        secrets: AppSecrets,
        opts: pulumi.ResourceOptions | None = None,
        *,
        tenant_urls: Mapping[str, str],
    ) -> None:
        ocis_oidc = _ocis_oidc(settings, secrets)
        super().__init__("dezky:docker:Apps", name, None, opts)

        def dev_volume(mode: AppMode, key: VolumeKey) -> docker.Volume | None:
            return create_volume(name, key, settings, self) if mode is AppMode.DEV else None

        def run(spec: ContainerSpec, depends_on: list[pulumi.Resource]) -> docker.Container:
            return run_container(name, spec, settings, platform.network, self, depends_on)

        self.platform_api = run(
            platform_api.platform_api_spec(
                settings,
                authentik_url=platform.authentik_url_internal,
                tenant_urls=tenant_urls,
                api_token=secrets.api_token,
                node_modules=dev_volume(settings.platform_api.mode, VolumeKey.PLATFORM_API_NODE_MODULES),
            ),
            [platform.authentik_server],
        )
        self.portal = run(
            portal.portal_spec(
                settings,
                client_id=secrets.portal_client_id,
                client_secret=secrets.portal_client_secret,
                issuer=secrets.portal_issuer,
                node_modules=dev_volume(settings.portal.mode, VolumeKey.PORTAL_NODE_MODULES),
            ),
            [self.platform_api, platform.authentik_server, platform.traefik],
        )
        self.ocis = None
        if ocis_oidc is not None:
            client_id, issuer = ocis_oidc
            self.ocis = run(
                ocis.ocis_spec(
                    settings,
                    client_id=client_id,
                    issuer=issuer,
                    data=create_volume(name, VolumeKey.OCIS_DATA, settings, self),
                    config=create_volume(name, VolumeKey.OCIS_CONFIG, settings, self),
                ),
                [platform.authentik_server, platform.traefik],
            )
        self.register_outputs({})


def public_hosts(settings: DockerSettings) -> list[str]:
    """The host names Traefik serves, given which optional services run."""
    routes = [authentik.route(settings), portal.route(settings)]
    if settings.services.ocis:
        routes.append(ocis.route(settings))
    return [host for route in routes for host in route.hosts]


def _ocis_oidc(
    settings: DockerSettings, secrets: AppSecrets
) -> tuple[pulumi.Input[str], pulumi.Input[str]] | None:
    """ocis's OIDC client id and issuer when ocis runs; fails early when they are missing."""
    if not settings.services.ocis:
        return None
    if secrets.ocis_client_id is None or secrets.ocis_issuer is None:
        raise ValueError("services.ocis is on, so AppSecrets needs ocis_client_id and ocis_issuer")
    return secrets.ocis_client_id, secrets.ocis_issuer
