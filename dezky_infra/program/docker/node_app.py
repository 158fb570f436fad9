"""The container shape shared by Dezky's own Node apps (platform-api and portal).

In `dev` mode (the default) an app runs on the plain Node image with its source folder from the
Dezky monorepo bind-mounted at /app and node_modules in a named volume, so edits on the host
reload inside the container. In `image` mode it runs its released image as built.
"""

from collections.abc import Mapping, Sequence
from datetime import timedelta

import pulumi
import pulumi_docker as docker

from .container import ContainerSpec, Healthcheck
from .env import container_env
from .settings import AppMode, DockerSettings, NodeAppSettings
from .trust import ca_mounts, node_ca_env
from .volumes import bind_mount, volume_mount

APP_DIR = "/app"
IMAGE_START_PERIOD = timedelta(minutes=1)
DEV_START_PERIOD = timedelta(minutes=10)
"""A dev-mode app's first start runs `npm install` into an empty volume, then the first build: minutes
on a slow network. Failed probes in the start period do not count, and the first passing one makes the
container healthy, so the app shows "starting" (not "unhealthy") until then, without waiting longer."""


def node_http_healthcheck(port: int, path: str, start_period: timedelta = IMAGE_START_PERIOD) -> Healthcheck:
    """Healthy when the app answers HTTP below 500; uses Node's fetch, present in every Node image."""
    probe = (
        f"fetch('http://127.0.0.1:{port}{path}',{{redirect:'manual'}})"
        ".then(r=>process.exit(r.status<500?0:1),()=>process.exit(1))"
    )
    return Healthcheck(test=("CMD", "node", "-e", probe), start_period=start_period)


def node_app_spec(
    *,
    service: str,
    app: NodeAppSettings,
    settings: DockerSettings,
    node_modules: docker.Volume | None,
    port: int,
    health_path: str,
    env: Mapping[str, pulumi.Input[str]],
    secret_env: Mapping[str, pulumi.Input[str]],
    labels: Sequence[docker.ContainerLabelArgs] = (),
    browser_url: str | None = None,
) -> ContainerSpec:
    """The app's container in its configured mode, started by `pulumi up` but not waited for.

    `node_modules` is the app's dev volume: required in `dev` mode, refused in `image` mode,
    so a caller cannot create a volume that nothing mounts. `browser_url` is where a routed app opens.
    """
    image: str
    command: Sequence[str]
    working_dir: str | None
    source_mounts: list[docker.ContainerMountArgs]
    if app.mode is AppMode.IMAGE:
        if node_modules is not None:
            raise ValueError(f"{service} runs in image mode; it has no node_modules volume to mount")
        if app.image is None:  # the settings refuse this; checked again for the type checker
            raise ValueError(f"{service} runs in image mode but has no image")
        image, command, working_dir, source_mounts = app.image, (), None, []
        start_period = IMAGE_START_PERIOD
    else:
        if node_modules is None:
            raise ValueError(f"{service} runs in dev mode; it needs its node_modules volume")
        image, command, working_dir = settings.images.node, app.dev_command, APP_DIR
        start_period = DEV_START_PERIOD
        source_mounts = [
            bind_mount(settings.source_dir(app), APP_DIR, read_only=False),
            volume_mount(node_modules, f"{APP_DIR}/node_modules"),
        ]
    return ContainerSpec(
        service=service,
        image=image,
        command=command,
        working_dir=working_dir,
        envs=container_env({"PORT": str(port), **env, **node_ca_env(settings.tls)}, secret_env),
        mounts=[*source_mounts, *ca_mounts(settings.tls)],
        labels=labels,
        healthcheck=node_http_healthcheck(port, health_path, start_period),
        browser_url=browser_url,
    )
