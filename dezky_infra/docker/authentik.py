"""authentik, the SSO: a server and a worker from the same image, sharing one configuration.

authentik 2025.10 needs no Redis, only PostgreSQL. The bootstrap variables go to both
containers: authentik applies them from the worker, once, on an empty database, and keeping
the two environments identical avoids guessing which process reads what.
"""

from datetime import timedelta

import pulumi_docker as docker

from . import postgres
from .container import ContainerSpec, Healthcheck
from .env import container_env
from .inputs import PlatformSecrets
from .settings import DockerSettings
from .traefik import Route
from .volumes import volume_mount

SERVER_SERVICE = "authentik-server"
WORKER_SERVICE = "authentik-worker"
HTTP_PORT = 9000
SHM_SIZE_MB = 512
"""authentik's own compose file gives both containers 512 MB of shared memory."""


def internal_url() -> str:
    """authentik's URL for other containers on the stack network."""
    return f"http://{SERVER_SERVICE}:{HTTP_PORT}"


def public_url(settings: DockerSettings) -> str:
    """authentik's URL through Traefik, for browsers and OIDC issuers."""
    return f"https://{route(settings).host}"


def route(settings: DockerSettings) -> Route:
    """`auth.<domain>`, and the tenants' brand hosts, to the server's HTTP port."""
    return Route(router="authentik", host=settings.host("auth"), port=HTTP_PORT, also=settings.tenant_hosts)


def authentik_specs(
    settings: DockerSettings,
    secrets: PlatformSecrets,
    *,
    media: docker.Volume,
    custom_templates: docker.Volume,
) -> tuple[ContainerSpec, ContainerSpec]:
    """The server and worker containers, in that order.

    Both are waited on until `ak healthcheck` passes, so whatever configures authentik
    through its API can start once the platform phase is done.
    """
    db = settings.postgres
    envs = container_env(
        {
            "AUTHENTIK_POSTGRESQL__HOST": postgres.SERVICE,
            "AUTHENTIK_POSTGRESQL__USER": db.user,
            "AUTHENTIK_POSTGRESQL__NAME": db.database,
            "AUTHENTIK_BOOTSTRAP_EMAIL": settings.authentik_bootstrap_email,
        },
        {
            "AUTHENTIK_SECRET_KEY": secrets.authentik_secret_key,
            "AUTHENTIK_POSTGRESQL__PASSWORD": secrets.postgres_password,
            "AUTHENTIK_BOOTSTRAP_PASSWORD": secrets.bootstrap_password,
            "AUTHENTIK_BOOTSTRAP_TOKEN": secrets.bootstrap_token,
        },
    )
    # 2025.10 keeps media under /data; /templates overrides authentik's HTML templates.
    mounts = [volume_mount(media, "/data"), volume_mount(custom_templates, "/templates")]
    healthcheck = Healthcheck(test=("CMD", "ak", "healthcheck"), start_period=timedelta(minutes=1))

    def spec(service: str, command: str, labels: list[docker.ContainerLabelArgs]) -> ContainerSpec:
        return ContainerSpec(
            service=service,
            image=settings.images.authentik,
            command=[command],
            envs=envs,
            mounts=mounts,
            labels=labels,
            healthcheck=healthcheck,
            shm_size_mb=SHM_SIZE_MB,
            wait_healthy=True,
        )

    return spec(SERVER_SERVICE, "server", route(settings).labels()), spec(WORKER_SERVICE, "worker", [])
