"""platform-api, Dezky's NestJS backend: internal only, reached by the portal on the network."""

from collections.abc import Mapping

import pulumi
import pulumi_docker as docker

from dezky_infra.contract import PLATFORM_API_PORT, PLATFORM_API_SERVICE

from .container import ContainerSpec
from .node_app import node_app_spec
from .settings import DockerSettings


def platform_api_spec(
    settings: DockerSettings,
    *,
    authentik_url: str,
    tenant_urls: Mapping[str, str],
    api_token: pulumi.Input[str],
    node_modules: docker.Volume | None,
) -> ContainerSpec:
    """platform-api, talking to authentik's API at `authentik_url` with `api_token`.

    `tenant_urls` are the tenants' authentik URLs by setting name (`AUTHENTIK_TENANT_<SLUG>_URL`,
    brands mode; none with groups): their hosts are Traefik's aliases on the stack network."""
    return node_app_spec(
        service=PLATFORM_API_SERVICE,
        app=settings.platform_api,
        settings=settings,
        node_modules=node_modules,
        port=PLATFORM_API_PORT,
        health_path="/health",
        env={"AUTHENTIK_URL": authentik_url, **tenant_urls},
        secret_env={"AUTHENTIK_API_TOKEN": api_token},
    )
