"""The portal, Dezky's Nuxt front end at `app.<domain>`, signing users in through authentik."""

import pulumi
import pulumi_docker as docker

from dezky_infra.contract import PLATFORM_API_INTERNAL_URL

from .container import ContainerSpec
from .node_app import node_app_spec
from .settings import DockerSettings
from .traefik import Route, browser_url

SERVICE = "portal"
PORT = 3000


def route(settings: DockerSettings) -> Route:
    """`app.<domain>` to the Nuxt server."""
    return Route(router="portal", host=settings.host("app"), port=PORT)


def portal_spec(
    settings: DockerSettings,
    *,
    client_id: pulumi.Input[str],
    client_secret: pulumi.Input[str],
    issuer: pulumi.Input[str],
    node_modules: docker.Volume | None,
) -> ContainerSpec:
    """The portal as OIDC client `client_id` of `issuer`.

    `NUXT_API_BASE` overrides the server-side (private) `runtimeConfig.apiBase`, so the Nuxt
    server calls platform-api directly on the network, like `PLATFORM_API_INTERNAL_URL`.
    """
    return node_app_spec(
        service=SERVICE,
        app=settings.portal,
        settings=settings,
        node_modules=node_modules,
        port=PORT,
        health_path="/",
        env={
            "NUXT_OIDC_CLIENT_ID": client_id,
            "NUXT_OIDC_ISSUER": issuer,
            "PLATFORM_API_INTERNAL_URL": PLATFORM_API_INTERNAL_URL,
            "NUXT_API_BASE": PLATFORM_API_INTERNAL_URL,
        },
        secret_env={"NUXT_OIDC_CLIENT_SECRET": client_secret},
        labels=route(settings).labels(),
        browser_url=browser_url(settings, route(settings).host),
    )
