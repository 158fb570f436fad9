"""The one user-defined bridge network all Dezky containers share.

A user-defined network gives containers DNS by alias (`postgres`, `authentik-server`, ...),
which the default bridge does not, and lets Traefik reach every backend on one network.
"""

import pulumi
import pulumi_docker as docker

from .settings import DockerSettings


def create_network(resource_prefix: str, settings: DockerSettings, parent: pulumi.Resource) -> docker.Network:
    """Create the stack's bridge network, named by `settings.network_name`."""
    return docker.Network(
        f"{resource_prefix}-network",
        name=settings.network_name,
        driver="bridge",
        opts=pulumi.ResourceOptions(parent=parent),
    )
