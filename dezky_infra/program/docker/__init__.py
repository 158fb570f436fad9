"""The docker layer of the Dezky dev stack: containers, volumes and network on one Docker host.

Build it in two phases, with the authentik resources in between::

    settings = load_docker_settings(stack_config.docker, domain=..., ocis=..., tenant_hosts=...)
    platform = DockerPlatform("dezky", settings, PlatformSecrets(...))
    # ... authentik resources, depending on platform, produce the apps' secrets ...
    apps = DockerApps("dezky", settings, platform, AppSecrets(...), tenant_urls=...)
"""

from .inputs import AppSecrets, PlatformSecrets
from .settings import DockerSettings, load_docker_settings
from .stack import DockerApps, DockerPlatform

__all__ = [
    "AppSecrets",
    "DockerApps",
    "DockerPlatform",
    "DockerSettings",
    "PlatformSecrets",
    "load_docker_settings",
]
