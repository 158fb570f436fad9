"""authentik, the SSO: a server and a worker from the same image, sharing one configuration.

authentik needs no Redis since 2025.10, only PostgreSQL. The bootstrap variables go to both
containers: authentik applies them from the worker, once, on an empty database, and keeping
the two environments identical avoids guessing which process reads what.

What differs between the authentik releases the layer runs lives in `RELEASES`, one row per
release, and nowhere else; the settings say which release an image is (`images.authentik_release`,
read from the tag). Compared with authentik's own compose files, both containers run as the image's
user (uid 1000) without the Docker socket and `/certs` the compose file gives the worker: the dev stack
uses neither outposts managed through Docker nor certificate discovery, and the socket would give
authentik root on the host.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

import pulumi_docker as docker

from . import postgres
from .container import ContainerSpec, Healthcheck
from .env import container_env
from .inputs import PlatformSecrets
from .settings import AuthentikRelease, DockerSettings
from .traefik import Route
from .volumes import VolumeKey, volume_mount

SERVER_SERVICE = "authentik-server"
WORKER_SERVICE = "authentik-worker"
HTTP_PORT = 9000
"""The server's HTTP port in every release (compose files of 2025.10 and 2026.2 publish 9000 and 9443)."""
SHM_SIZE_MB = 512
"""512 MB of shared memory for both containers, in every release.

authentik's compose file sets it from 2026.2 on (lifecycle/container/compose.yml at 2026.2.2:
`shm_size: 512mb`); the layer gives it to 2025.10 as well, whose image also keeps its temporary
files in /dev/shm (TMPDIR=/dev/shm/ in the image's Dockerfile), where Docker's default 64 MB filled
up (goauthentik/authentik issues 10768 and 16386).
"""
HEALTHCHECK = Healthcheck(test=("CMD", "ak", "healthcheck"), start_period=timedelta(minutes=1))
"""The image's own check command (`HEALTHCHECK ... CMD [ "ak", "healthcheck" ]` in its Dockerfile, the
same from 2025.10 to 2026.2), probed more often so `pulumi up` goes on as soon as authentik answers."""


@dataclass(frozen=True)
class ReleaseLayout:
    """What one authentik release needs of its containers beyond what every release shares."""

    volumes: tuple[tuple[VolumeKey, str], ...]
    """The named volumes both containers mount, with where each goes, in mount order."""


_MEDIA_ROOT = ReleaseLayout(
    volumes=((VolumeKey.AUTHENTIK_MEDIA, "/media"), (VolumeKey.AUTHENTIK_CUSTOM_TEMPLATES, "/templates"))
)
_DATA_ROOT = ReleaseLayout(
    volumes=(
        (VolumeKey.AUTHENTIK_DATA, "/data"),
        (VolumeKey.AUTHENTIK_MEDIA, "/media"),
        (VolumeKey.AUTHENTIK_CUSTOM_TEMPLATES, "/templates"),
    )
)

RELEASES: Mapping[AuthentikRelease, ReleaseLayout] = MappingProxyType(
    {
        # 2025.10 keeps uploaded files (icons, branding) under /media: its docker-compose.yml
        # (version/2025.10.x) mounts ./media:/media and ./custom-templates:/templates.
        AuthentikRelease.V2025_10: _MEDIA_ROOT,
        # 2025.12 moved file storage to /data, media to /data/media (website/docs/releases/2025/
        # v2025.12.md, "Storage mount changes"; docker-compose.yml at 2025.12.x mounts ./data:/data),
        # and 2026.2 kept it (lifecycle/container/compose.yml at 2026.2.2, the file renamed from
        # docker-compose.yml in 2026.2: website/docs/releases/2026/v2026.2.md). The image ships
        # /data/media as a symlink to /media (`ln -s /media /data/media` in the image's Dockerfile:
        # the root Dockerfile of 2025.12, lifecycle/container/Dockerfile later). A new named volume,
        # unlike compose's bind mount, is first filled with what the image has at the mount point
        # (Docker's "populate a volume using a container"), the symlink included, so uploads would
        # land in /media of the container's own layer and vanish with it: the media volume stays
        # mounted at /media (where 2025.10 kept it: nothing to move on upgrade), and /data gets a
        # volume of its own for the rest of the file storage.
        AuthentikRelease.V2025_12: _DATA_ROOT,
        AuthentikRelease.V2026_2: _DATA_ROOT,
    }
)


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
    volume: Callable[[VolumeKey], docker.Volume],
) -> tuple[ContainerSpec, ContainerSpec]:
    """The server and worker containers, in that order, for the release of `images.authentik`.

    `volume` makes the named volume of a key; only the volumes the release mounts are made. Both
    containers are waited on until `ak healthcheck` passes, so whatever configures authentik
    through its API can start once the platform phase is done.
    """
    layout = RELEASES[settings.images.authentik_release]
    db = settings.postgres
    # The same variables in 2025.10 and 2026.2: their compose files set only these PostgreSQL keys
    # and the secret key; the bootstrap keys are documented for both.
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
    mounts = [volume_mount(volume(key), target) for key, target in layout.volumes]

    def spec(service: str, command: str, labels: list[docker.ContainerLabelArgs]) -> ContainerSpec:
        return ContainerSpec(
            service=service,
            image=settings.images.authentik,
            command=[command],
            envs=envs,
            mounts=mounts,
            labels=labels,
            healthcheck=HEALTHCHECK,
            shm_size_mb=SHM_SIZE_MB,
            wait_healthy=True,
        )

    return spec(SERVER_SERVICE, "server", route(settings).labels()), spec(WORKER_SERVICE, "worker", [])
