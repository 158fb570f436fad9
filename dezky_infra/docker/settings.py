"""Configuration of the docker layer, with defaults that bring up a working dev stack.

Every model is frozen and rejects unknown keys, so a typo in the Pulumi config fails the
preview instead of being silently ignored. Image references are validated to be pinned:
a moving tag makes two developers (or two `pulumi up` runs) get different software.
"""

import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

_DNS_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$"
)
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


def _require_pinned(ref: str, info: ValidationInfo) -> str:
    """Accept `repo:tag` or `repo@sha256:...`; reject a missing tag and the moving `latest`."""
    repository, _, digest = ref.partition("@")
    if digest:
        if not digest.startswith("sha256:"):
            raise ValueError(
                f"image {info.field_name}={ref!r} has a malformed digest; use {repository}@sha256:<digest>"
            )
        return ref
    last_segment = repository.rsplit("/", 1)[-1]
    name, _, tag = last_segment.partition(":")
    base = repository[: len(repository) - len(last_segment)] + name
    if not tag:
        raise ValueError(
            f"image {info.field_name}={ref!r} has no tag; "
            f"pin it as {base}:<version> or {base}@sha256:<digest>"
        )
    if tag == "latest":
        raise ValueError(
            f"image {info.field_name}={ref!r} uses the moving tag 'latest'; "
            f"pin it as {base}:<version> or {base}@sha256:<digest>"
        )
    return ref


def _absolute(path: Path) -> Path:
    """Make a host path absolute without resolving symlinks (Docker needs absolute bind sources)."""
    return Path(os.path.abspath(path.expanduser()))


PinnedImage = Annotated[str, AfterValidator(_require_pinned)]
"""An image reference with a version tag or a digest, never `latest`."""

HostPath = Annotated[Path, AfterValidator(_absolute)]
"""A path on the Docker host, made absolute against the Pulumi program's working directory."""


class _Model(BaseModel):
    """Base of every settings model: immutable, strict about keys, defaults validated too."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class ImageSettings(_Model):
    """The pinned image of every container the layer runs."""

    postgres: PinnedImage = "postgres:16-alpine"
    authentik: PinnedImage = "ghcr.io/goauthentik/server:2025.10.4"
    # v3.6.1+ negotiates the Docker API version; older Traefik fails against Docker Engine 29.
    traefik: PinnedImage = "traefik:v3.6.2"
    ocis: PinnedImage = "owncloud/ocis:7.1.3"
    platform_api: PinnedImage = "ghcr.io/dezky/platform-api:0.1.0"
    portal: PinnedImage = "ghcr.io/dezky/portal:0.1.0"
    node: PinnedImage = "node:22-alpine"
    """Runtime for the Node apps in `dev` mode, where their source comes from a bind mount."""


class AppMode(StrEnum):
    """How a Node app runs: its released image, or its source folder with live reload."""

    IMAGE = "image"
    DEV = "dev"


class NodeAppSettings(_Model):
    """Run mode of one of Dezky's own Node apps.

    In `dev` mode the app's source folder is bind-mounted at /app and its node_modules live in
    a named volume, so the host's (possibly other-OS) node_modules never shadow the container's.
    """

    mode: AppMode = AppMode.IMAGE
    source_dir: HostPath | None = None
    """The app's checkout on the host; required in `dev` mode, unused in `image` mode."""
    dev_command: tuple[str, ...]
    """Command run in `dev` mode; it installs dependencies into the volume, then starts watching."""

    @model_validator(mode="after")
    def _dev_needs_source(self) -> "NodeAppSettings":
        if self.mode is AppMode.DEV and self.source_dir is None:
            raise ValueError(
                "mode 'dev' needs source_dir: the folder with the app's source, bind-mounted at /app"
            )
        return self


class PlatformApiSettings(NodeAppSettings):
    """Run mode of the NestJS platform-api."""

    dev_command: tuple[str, ...] = ("sh", "-c", "npm install && exec npm run start:dev")


class PortalSettings(NodeAppSettings):
    """Run mode of the Nuxt portal (its dev server must listen on all interfaces for Traefik)."""

    dev_command: tuple[str, ...] = ("sh", "-c", "npm install && exec npm run dev -- --host 0.0.0.0")


class OptionalServices(_Model):
    """Services that a developer may leave out of the stack."""

    ocis: bool = True


class HostPorts(_Model):
    """Host ports Traefik publishes; change them when 80/443 are taken on the host."""

    http: int = Field(default=80, ge=1, le=65535)
    https: int = Field(default=443, ge=1, le=65535)


class TlsSettings(_Model):
    """The mkcert certificate Traefik serves for `*.<domain>`, and optionally mkcert's root CA.

    With `ca_file` set, the CA is mounted into the containers that call `https://auth.<domain>`
    so they verify it; without it, ocis has to run with certificate checks off.
    """

    cert_file: HostPath = Path("certs/dezky.local.pem")
    key_file: HostPath = Path("certs/dezky.local-key.pem")
    ca_file: HostPath | None = None
    """mkcert's rootCA.pem (`mkcert -CAROOT`), trusted inside the app containers when set."""


class PostgresSettings(_Model):
    """The database authentik keeps its state in."""

    user: str = "authentik"
    database: str = "authentik"


class DockerSettings(_Model):
    """Everything the docker layer needs besides secrets, which come in as Pulumi Outputs."""

    domain: str = "dezky.local"
    name_prefix: str = "dezky"
    """Prefix of Docker object names: `dezky-<service>` containers, `dezky_<volume>` volumes."""
    images: ImageSettings = ImageSettings()
    platform_api: PlatformApiSettings = PlatformApiSettings()
    portal: PortalSettings = PortalSettings()
    services: OptionalServices = OptionalServices()
    ports: HostPorts = HostPorts()
    tls: TlsSettings = TlsSettings()
    postgres: PostgresSettings = PostgresSettings()
    authentik_bootstrap_email: str = "admin@dezky.local"
    docker_socket: str = "/var/run/docker.sock"
    """The daemon's socket path as the daemon sees it (not resolved on the client side)."""

    @model_validator(mode="after")
    def _check_names(self) -> "DockerSettings":
        if not _DNS_NAME.match(self.domain):
            raise ValueError(f"domain {self.domain!r} is not a lowercase DNS name such as 'dezky.local'")
        if not _NAME_PREFIX.match(self.name_prefix):
            raise ValueError(
                f"name_prefix {self.name_prefix!r} must start with a letter and use only a-z, 0-9 and '-'"
            )
        return self

    @property
    def network_name(self) -> str:
        """Name of the one user-defined network every container joins."""
        return f"{self.name_prefix}-net"

    def host(self, subdomain: str) -> str:
        """Public host name of a routed service, e.g. `auth` -> `auth.dezky.local`."""
        return f"{subdomain}.{self.domain}"
