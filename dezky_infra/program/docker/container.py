"""What every Dezky container has in common, so service modules only state what is theirs.

Each service module describes its container as a `ContainerSpec`; `run_container` adds the
stack-wide rules: the `<prefix>-<service>` name, the one network with the service name as
alias, `unless-stopped` restarts, a mandatory healthcheck, host ports on the bind address, and on
the containers `pulumi up` does not wait for, the labels scripts/up.sh reports their health by.

Values go to the provider in the form it reads back from `docker inspect`, so a refresh finds
nothing to change: healthcheck durations as Go prints them (`durations.py`), ports in the
provider's read order with their address and protocol spelled out.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import IPv4Address, IPv6Address

import pulumi
import pulumi_docker as docker

from .durations import go_duration
from .settings import DockerSettings

RESTART_POLICY = "unless-stopped"
"""Containers come back after a Docker restart, but stay down when a developer stops them."""

STACK_LABEL = "dezky.stack"
"""Label of every container `pulumi up` starts without waiting for it (the apps), set to the Pulumi
stack's name: scripts/up.sh finds them by it and says which are still starting."""
URL_LABEL = "dezky.url"
"""Label of such a container that Traefik routes: the URL a browser on this machine opens."""
WAIT_TIMEOUT_SECONDS = 300
"""How long `pulumi up` waits for a waited container to turn healthy before failing its create."""


@dataclass(frozen=True)
class Healthcheck:
    """A Docker healthcheck; `test` is the exec form, e.g. ("CMD", "pg_isready")."""

    test: tuple[str, ...]
    start_period: timedelta = timedelta(seconds=30)
    interval: timedelta = timedelta(seconds=10)
    timeout: timedelta = timedelta(seconds=5)
    retries: int = 5

    def to_args(self) -> docker.ContainerHealthcheckArgs:
        """The provider's input type for this healthcheck, durations as the provider reads them back."""
        return docker.ContainerHealthcheckArgs(
            tests=list(self.test),
            start_period=go_duration(self.start_period),
            interval=go_duration(self.interval),
            timeout=go_duration(self.timeout),
            retries=self.retries,
        )


@dataclass(frozen=True)
class PublishedPort:
    """A container TCP port published on the host (on the stack's bind address, see `run_container`)."""

    internal: int
    external: int


PORT_PROTOCOL = "tcp"
"""Every published port is TCP; stated explicitly, as the provider reads the protocol back."""


def published_ports(
    ports: Sequence[PublishedPort], bind_address: IPv4Address | IPv6Address
) -> list[docker.ContainerPortArgs]:
    """The provider's port inputs in the shape a refresh reads back.

    `ports` is a list to the provider, which reads it back from `docker inspect` sorted by
    container port (`flattenContainerPorts`), with the host address as Docker prints it: so the
    ports go sorted, with the address in its canonical text form and the protocol spelled out.
    """
    return [
        docker.ContainerPortArgs(
            internal=port.internal, external=port.external, ip=str(bind_address), protocol=PORT_PROTOCOL
        )
        for port in sorted(ports, key=lambda port: port.internal)
    ]


@dataclass(frozen=True)
class ContainerSpec:
    """One service's container, minus the stack-wide rules `run_container` adds.

    `service` names the container (`<prefix>-<service>`) and is its DNS alias on the network.
    `wait_healthy` makes `pulumi up` wait for the healthcheck to pass before dependants start; a
    container not waited for is labelled with the stack (`STACK_LABEL`) and its `browser_url`.
    """

    service: str
    image: str
    healthcheck: Healthcheck
    envs: Sequence[pulumi.Input[str]] = ()
    command: Sequence[str] = ()
    entrypoint: Sequence[str] = ()
    working_dir: str | None = None
    mounts: Sequence[docker.ContainerMountArgs] = ()
    uploads: Sequence[docker.ContainerUploadArgs] = ()
    labels: Sequence[docker.ContainerLabelArgs] = ()
    ports: Sequence[PublishedPort] = ()
    extra_aliases: Sequence[str] = ()
    shm_size_mb: int | None = None
    wait_healthy: bool = False
    browser_url: str | None = None
    """Where a browser on this machine opens the service, when Traefik routes it."""


def _started_labels(spec: ContainerSpec) -> list[docker.ContainerLabelArgs]:
    """The labels that let scripts/up.sh report on a container `pulumi up` does not wait for."""
    if spec.wait_healthy:
        return []
    labels = [docker.ContainerLabelArgs(label=STACK_LABEL, value=pulumi.get_stack())]
    if spec.browser_url:
        labels.append(docker.ContainerLabelArgs(label=URL_LABEL, value=spec.browser_url))
    return labels


def run_container(
    resource_prefix: str,
    spec: ContainerSpec,
    settings: DockerSettings,
    network: docker.Network,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> docker.Container:
    """Create the container for `spec` as a child of `parent`, after `depends_on`."""
    return docker.Container(
        f"{resource_prefix}-{spec.service}",
        name=f"{settings.name_prefix}-{spec.service}",
        image=spec.image,
        envs=list(spec.envs),
        command=list(spec.command) or None,
        entrypoints=list(spec.entrypoint) or None,
        working_dir=spec.working_dir,
        mounts=list(spec.mounts),
        uploads=list(spec.uploads) or None,
        labels=[*spec.labels, *_started_labels(spec)],
        ports=published_ports(spec.ports, settings.ports.bind_address) or None,
        networks_advanced=[
            docker.ContainerNetworksAdvancedArgs(
                name=network.name, aliases=[spec.service, *spec.extra_aliases]
            )
        ],
        healthcheck=spec.healthcheck.to_args(),
        restart=RESTART_POLICY,
        shm_size=spec.shm_size_mb,
        wait=spec.wait_healthy,
        wait_timeout=WAIT_TIMEOUT_SECONDS if spec.wait_healthy else None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )
