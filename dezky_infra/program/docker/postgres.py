"""The PostgreSQL container authentik stores its state in."""

from datetime import timedelta

import pulumi
import pulumi_docker as docker

from .container import ContainerSpec, Healthcheck
from .env import container_env
from .settings import DockerSettings
from .volumes import volume_mount

SERVICE = "postgres"
"""Container name suffix and network alias; authentik connects to this host name."""


def postgres_spec(
    settings: DockerSettings, password: pulumi.Input[str], data: docker.Volume
) -> ContainerSpec:
    """Postgres with its data in the `postgres_data` volume.

    It is waited on until `pg_isready` passes, so authentik never starts against a database
    that is still initialising.
    """
    db = settings.postgres
    return ContainerSpec(
        service=SERVICE,
        image=settings.images.postgres,
        envs=container_env(
            {"POSTGRES_USER": db.user, "POSTGRES_DB": db.database},
            {"POSTGRES_PASSWORD": password},
        ),
        mounts=[volume_mount(data, "/var/lib/postgresql/data")],
        healthcheck=Healthcheck(
            test=("CMD", "pg_isready", "-U", db.user, "-d", db.database),
            start_period=timedelta(seconds=20),
        ),
        wait_healthy=True,
    )
