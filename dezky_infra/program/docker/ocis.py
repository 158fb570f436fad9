"""ownCloud Infinite Scale, the optional file service at `files.<domain>`.

ocis runs without its built-in IdP and trusts authentik instead. Traefik terminates TLS, so
the ocis proxy speaks plain HTTP. Its first start writes a generated config (with random
internal secrets) into the config volume; later starts reuse it.
"""

from datetime import timedelta

import pulumi
import pulumi_docker as docker

from .container import ContainerSpec, Healthcheck
from .env import container_env
from .settings import DockerSettings
from .traefik import Route, browser_url
from .trust import ca_mounts
from .volumes import volume_mount

SERVICE = "ocis"
PORT = 9200
DEBUG_PORT = 9205
"""The proxy's debug server, which serves /healthz on the container's loopback."""


def route(settings: DockerSettings) -> Route:
    """`files.<domain>` to the ocis proxy."""
    return Route(router="ocis", host=settings.host("files"), port=PORT)


def ocis_spec(
    settings: DockerSettings,
    *,
    client_id: pulumi.Input[str],
    issuer: pulumi.Input[str],
    data: docker.Volume,
    config: docker.Volume,
) -> ContainerSpec:
    """ocis with the authentik application `issuer` and the web client `client_id`.

    Without the mkcert CA in the container ocis cannot verify `https://auth.<domain>`, so only
    then does it run with OCIS_INSECURE=true; `ocis init` gets the same answer, which it would
    otherwise ask for on a terminal the container does not have.
    """
    insecure = settings.tls.ca_file is None
    env: dict[str, pulumi.Input[str]] = {
        "OCIS_URL": f"https://{route(settings).host}",
        "PROXY_TLS": "false",
        "PROXY_HTTP_ADDR": f"0.0.0.0:{PORT}",
        "PROXY_DEBUG_ADDR": f"127.0.0.1:{DEBUG_PORT}",
        "OCIS_EXCLUDE_RUN_SERVICES": "idp",
        "OCIS_OIDC_ISSUER": issuer,
        "WEB_OIDC_CLIENT_ID": client_id,
        "PROXY_OIDC_REWRITE_WELLKNOWN": "true",
        "PROXY_AUTOPROVISION_ACCOUNTS": "true",
        "PROXY_USER_OIDC_CLAIM": "preferred_username",
        "PROXY_USER_CS3_CLAIM": "username",
    }
    if insecure:
        env["OCIS_INSECURE"] = "true"
    return ContainerSpec(
        service=SERVICE,
        image=settings.images.ocis,
        entrypoint=[
            "/bin/sh",
            "-c",
            f"ocis init --insecure {str(insecure).lower()} || true; exec ocis server",
        ],
        envs=container_env(env),
        mounts=[
            volume_mount(data, "/var/lib/ocis"),
            volume_mount(config, "/etc/ocis"),
            *ca_mounts(settings.tls),
        ],
        labels=route(settings).labels(),
        browser_url=browser_url(settings, route(settings).host),
        healthcheck=Healthcheck(
            test=("CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{DEBUG_PORT}/healthz"),
            start_period=timedelta(minutes=1),
        ),
    )
