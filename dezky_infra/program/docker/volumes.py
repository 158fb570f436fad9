"""Named volumes and the mount arguments that attach volumes and host paths to containers.

Named volumes hold what must survive a container replacement (database, uploads, ocis data)
and the dev-mode node_modules, which must not come from the host's bind-mounted checkout.
"""

from enum import StrEnum
from pathlib import Path

import pulumi
import pulumi_docker as docker

from .settings import DockerSettings


class VolumeKey(StrEnum):
    """The named volumes of the stack; the Docker name is `<prefix>_<key>`."""

    POSTGRES_DATA = "postgres_data"
    AUTHENTIK_DATA = "authentik_data"
    """authentik's file storage root from 2025.12 on (`/data`); see `authentik.RELEASES`."""
    AUTHENTIK_MEDIA = "authentik_media"
    AUTHENTIK_CUSTOM_TEMPLATES = "authentik_custom_templates"
    PLATFORM_API_NODE_MODULES = "platform_api_node_modules"
    PORTAL_NODE_MODULES = "portal_node_modules"
    OCIS_DATA = "ocis_data"
    OCIS_CONFIG = "ocis_config"


def create_volume(
    resource_prefix: str, key: VolumeKey, settings: DockerSettings, parent: pulumi.Resource
) -> docker.Volume:
    """Create the named volume `key` as a child of `parent`."""
    return docker.Volume(
        f"{resource_prefix}-{key.value.replace('_', '-')}",
        name=f"{settings.name_prefix}_{key.value}",
        opts=pulumi.ResourceOptions(parent=parent),
    )


def volume_mount(volume: docker.Volume, target: str) -> docker.ContainerMountArgs:
    """Mount a named volume at `target`."""
    return docker.ContainerMountArgs(type="volume", source=volume.name, target=target)


def bind_mount(source: Path | str, target: str, *, read_only: bool) -> docker.ContainerMountArgs:
    """Mount a host path (absolute, as the settings guarantee) at `target`."""
    return docker.ContainerMountArgs(type="bind", source=str(source), target=target, read_only=read_only)
