"""Configuration of the docker layer, with defaults that bring up a working dev stack.

Every model is frozen and rejects unknown keys, so a typo in the stack config fails the
preview instead of being silently ignored. Image references are validated to be pinned:
a moving tag makes two developers (or two `pulumi up` runs) get different software. Host
folders the stack runs from are checked to exist, so a wrong path fails the preview instead of
Docker creating an empty folder or refusing the bind mount half way through `pulumi up`.

The stack reads these settings with `load_docker_settings`, whose errors name each bad key the
way the stack config spells it (`dezky:docker.<path>`).
"""

import os
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from ipaddress import IPv4Address
from pathlib import Path
from typing import Annotated, Any, ClassVar, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from dezky_infra.authentik.api.validation import HOST_NAME_PATTERN
from dezky_infra.program.config import ConfigError, describe_config_error

_NAME_PREFIX = re.compile(r"[a-z][a-z0-9-]{0,30}")


def _require_pinned(ref: str, info: ValidationInfo) -> str:
    """Accept `repo:tag` or `repo@sha256:...`; reject a missing tag and the moving `latest`."""
    # An app's own `image` field needs no name: the error's location says whose it is.
    subject = f"image {ref!r}" if info.field_name == "image" else f"image {info.field_name}={ref!r}"
    repository, _, digest = ref.partition("@")
    if digest:
        if not digest.startswith("sha256:"):
            raise ValueError(f"{subject} has a malformed digest; use {repository}@sha256:<digest>")
        return ref
    last_segment = repository.rsplit("/", 1)[-1]
    name, _, tag = last_segment.partition(":")
    base = repository[: len(repository) - len(last_segment)] + name
    if not tag:
        raise ValueError(f"{subject} has no tag; pin it as {base}:<version> or {base}@sha256:<digest>")
    if tag == "latest":
        raise ValueError(
            f"{subject} uses the moving tag 'latest'; pin it as {base}:<version> or {base}@sha256:<digest>"
        )
    return ref


def _absolute(path: Path) -> Path:
    """Make a host path absolute without resolving symlinks (Docker needs absolute bind sources)."""
    return Path(os.path.abspath(path.expanduser()))


def _dns_name(value: str) -> str:
    if not HOST_NAME_PATTERN.fullmatch(value):
        raise ValueError(f"domain {value!r} is not a lowercase DNS name such as 'dezky.local'")
    return value


def _name_prefix(value: str) -> str:
    if not _NAME_PREFIX.fullmatch(value):
        raise ValueError(f"name_prefix {value!r} must start with a letter and use only a-z, 0-9 and '-'")
    return value


PinnedImage = Annotated[str, AfterValidator(_require_pinned)]
"""An image reference with a version tag or a digest, never `latest`."""

HostPath = Annotated[Path, AfterValidator(_absolute)]
"""A path on the Docker host, made absolute against the Pulumi program's working directory."""

DnsName = Annotated[str, AfterValidator(_dns_name)]
"""A lowercase DNS name with at least two labels, such as `dezky.local`."""


class _Model(BaseModel):
    """Base of every settings model: immutable, strict about keys, defaults validated too."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class AuthentikRelease(StrEnum):
    """An authentik release line the docker layer knows how to run.

    What a release needs of its containers (mounts, ...) is in `authentik.RELEASES`, one row per
    member: a release is added there and here together.
    """

    V2025_10 = "2025.10"
    V2025_12 = "2025.12"
    """Only as the step between 2025.10 and 2026.2: authentik upgrades must not skip a release."""
    V2026_2 = "2026.2"


_AUTHENTIK_VERSION = re.compile(r"(?P<line>[0-9]{4}\.[0-9]{1,2})(\.[0-9]+)?([-+][0-9A-Za-z.-]+)?")
"""An authentik version tag: `2026.2.2`, `2026.2`, `2026.2.0-rc1`; the release line is `2026.2`."""


def _image_tag(ref: str) -> str | None:
    """The tag of `ref` (`repo:tag`, `repo:tag@sha256:...`), None for a digest-only reference."""
    last_segment = ref.partition("@")[0].rsplit("/", 1)[-1]
    return last_segment.partition(":")[2] or None


def authentik_release_of(ref: str) -> str | None:
    """The authentik release line an image's tag names (`...:2026.2.2` -> `2026.2`), or None."""
    tag = _image_tag(ref)
    match = _AUTHENTIK_VERSION.fullmatch(tag) if tag else None
    return match["line"] if match else None


class ImageSettings(_Model):
    """The pinned image of every third-party container the layer runs.

    Dezky's own apps have no entry here: they run from source by default, and a released image
    is given with the app (`platform_api.image`, `portal.image`).
    """

    postgres: PinnedImage = "postgres:16-alpine"
    """The database authentik keeps its state in."""
    authentik: PinnedImage = "ghcr.io/goauthentik/server:2026.2.2"
    """authentik's server and worker (one image for both). The dev default is the 2026.2 the teams run
    (docs/docker.md says why); 2025.10.4 still runs too."""
    authentik_release: AuthentikRelease = Field(default=None, validate_default=True)
    """The release `authentik` was built from: read from its tag, so set it only for an image pinned
    by digest alone (or to state it: it must then agree with the tag). Always set once validated."""
    # v3.6.1+ negotiates the Docker API version; older Traefik fails against Docker Engine 29.
    traefik: PinnedImage = "traefik:v3.6.2"
    """The reverse proxy in front of the services; it serves the TLS certificate (``tls``)."""
    ocis: PinnedImage = "owncloud/ocis:7.1.3"
    """ownCloud Infinite Scale, the files service (when ``services.ocis``)."""
    node: PinnedImage = "node:22-alpine"
    """Runtime for the Node apps in `dev` mode, where their source comes from a bind mount."""

    @field_validator("authentik_release", mode="before")
    @classmethod
    def _authentik_release(cls, given: object, info: ValidationInfo) -> AuthentikRelease:
        image = info.data.get("authentik")
        if not isinstance(image, str):
            # The image was refused, and so is the whole model: one error (the image's) says it all,
            # and this value is never seen.
            return AuthentikRelease.V2026_2
        known = ", ".join(release.value for release in AuthentikRelease)
        tagged = authentik_release_of(image)
        if given is not None and not isinstance(given, str):
            raise ValueError(
                f"images.authentik_release must be a string such as '2026.2', not {given!r} (in YAML, "
                "quote it: an unquoted 2025.10 reads as the number 2025.1)"
            )
        if given is None:
            if tagged is None:
                tag = _image_tag(image)
                why = (
                    f"its tag {tag!r} is not an authentik version such as 2026.2.2"
                    if tag
                    else "it is pinned by digest alone"
                )
                raise ValueError(
                    f"cannot tell which authentik release image {image!r} is: {why}; set "
                    f"images.authentik_release to the release it was built from ({known})"
                )
            release, source = tagged, "the tag"
        else:
            release, source = given, "images.authentik_release"
        if release not in {member.value for member in AuthentikRelease}:
            raise ValueError(
                f"authentik {release} ({source} of image {image!r}) is not a release the docker layer "
                f"knows how to run ({known}): its containers may need other mounts or settings; pin a "
                "known release, or add this one to the release table in "
                "dezky_infra/program/docker/authentik.py"
            )
        if tagged is not None and tagged != release:
            raise ValueError(
                f"images.authentik_release is {release} but the tag of image {image!r} says {tagged}; "
                "drop images.authentik_release (the tag decides) or pin the image you mean"
            )
        return AuthentikRelease(release)


class AppMode(StrEnum):
    """How a Node app runs: its source folder with live reload, or a released image."""

    DEV = "dev"
    IMAGE = "image"


class NodeAppSettings(_Model):
    """Run mode of one of Dezky's own Node apps.

    In `dev` mode (the default) the app's source folder is bind-mounted at /app and its
    node_modules live in a named volume, so the host's (possibly other-OS) node_modules never
    shadow the container's. The folder is `monorepo_path` in the Dezky monorepo unless
    `source_dir` says otherwise. In `image` mode the app runs `image`, which has no default:
    there is no released image to assume.
    """

    monorepo_path: ClassVar[str]
    """Where the Dezky monorepo keeps the app's source, relative to its root."""

    mode: AppMode = AppMode.DEV
    """``dev``: the app's source folder, bind-mounted, with live reload; ``image``: its released ``image``."""
    image: PinnedImage | None = None
    """The released image `image` mode runs; required there, unused in `dev` mode."""
    source_dir: HostPath | None = None
    """The app's checkout on the host, when not the one in the monorepo (`dev` mode only)."""
    dev_command: tuple[str, ...]
    """Command run in `dev` mode; it installs dependencies into the volume, then starts watching."""

    @field_validator("image")
    @classmethod
    def _image_mode_needs_image(cls, image: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("mode") is AppMode.IMAGE and image is None:
            raise ValueError(
                "mode 'image' runs the app's released image, and none is given; set image to a pinned "
                "reference such as ghcr.io/<org>/<app>:<version>, or use mode 'dev'"
            )
        return image

    @field_validator("source_dir")
    @classmethod
    def _source_dir_exists(cls, source_dir: Path | None, info: ValidationInfo) -> Path | None:
        if info.data.get("mode") is AppMode.DEV and source_dir is not None and not source_dir.is_dir():
            raise ValueError(f"{source_dir} is not a folder; give the app's checkout, bind-mounted at /app")
        return source_dir


class PlatformApiSettings(NodeAppSettings):
    """Run mode of the NestJS platform-api."""

    monorepo_path: ClassVar[str] = "services/platform-api"
    dev_command: tuple[str, ...] = ("sh", "-c", "npm install && exec npm run start:dev")


class PortalSettings(NodeAppSettings):
    """Run mode of the Nuxt portal (its dev server must listen on all interfaces for Traefik)."""

    monorepo_path: ClassVar[str] = "services/portal"
    dev_command: tuple[str, ...] = ("sh", "-c", "npm install && exec npm run dev -- --host 0.0.0.0")


class OptionalServices(_Model):
    """Services that a developer may leave out of the stack."""

    ocis: bool = True
    """Run ownCloud Infinite Scale (``files.<domain>``)."""


class HostPorts(_Model):
    """Where Traefik listens on the host: change the ports when 80/443 are taken."""

    http: int = Field(default=80, ge=1, le=65535)
    """The host port of plain HTTP, which redirects to HTTPS on ``https``."""
    https: int = Field(default=443, ge=1, le=65535)
    """The host port of HTTPS, where browsers reach every service."""
    bind_address: IPvAnyAddress = IPv4Address("127.0.0.1")
    """The host address the ports are published on. The loopback default keeps the dev stack (with its
    well-known dev secrets) on this machine; Docker's own default, every interface (``0.0.0.0``), would
    open it to the whole network (the policy pack reports it). Set a LAN address, or ``0.0.0.0``
    deliberately, to reach the stack from other devices."""


class TlsSettings(_Model):
    """The mkcert certificate Traefik serves for `*.<domain>`, and optionally mkcert's root CA.

    With `ca_file` set, the CA is mounted into the containers that call `https://auth.<domain>`
    so they verify it; without it, ocis has to run with certificate checks off.
    """

    cert_file: HostPath = Path("certs/dezky.local.pem")
    """The certificate (PEM) Traefik serves, for ``*.<domain>`` and ``*.auth.<domain>``
    (``scripts/certs.sh`` makes it)."""
    key_file: HostPath = Path("certs/dezky.local-key.pem")
    """The certificate's private key (PEM)."""
    ca_file: HostPath | None = None
    """mkcert's rootCA.pem (`mkcert -CAROOT`), trusted inside the app containers when set."""


class PostgresSettings(_Model):
    """The database authentik keeps its state in."""

    user: str = "authentik"
    """The database user authentik connects as."""
    database: str = "authentik"
    """The database authentik uses."""


class DockerSettings(_Model):
    """Everything the docker layer needs besides secrets, which come in as Pulumi Outputs.

    Nested defaults are built when the settings are, not at import, so their host paths resolve
    against the working directory of the program that validates them.
    """

    domain: DnsName = "dezky.local"
    """The domain Traefik routes (``auth.``, ``app.``, ``files.<domain>``)."""
    name_prefix: Annotated[str, AfterValidator(_name_prefix)] = "dezky"
    """Prefix of Docker object names: `dezky-<service>` containers, `dezky_<volume>` volumes."""
    images: ImageSettings = Field(default_factory=ImageSettings)
    """The pinned image of each third-party container."""
    platform_api: PlatformApiSettings = Field(default_factory=PlatformApiSettings)
    """How platform-api (NestJS) runs."""
    portal: PortalSettings = Field(default_factory=PortalSettings)
    """How the portal (Nuxt) runs."""
    services: OptionalServices = Field(default_factory=OptionalServices)
    """The services that may be left out."""
    ports: HostPorts = Field(default_factory=HostPorts)
    """Where Traefik listens on the host."""
    tls: TlsSettings = Field(default_factory=TlsSettings)
    """The TLS files Traefik serves and the app containers trust."""
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    """authentik's database."""
    authentik_bootstrap_email: str = "admin@dezky.local"
    """akadmin's e-mail address, applied by authentik on its first start (``AUTHENTIK_BOOTSTRAP_EMAIL``)."""
    tenant_hosts: tuple[DnsName, ...] = ()
    """More host names routed to authentik: the tenants' brand hosts (``dezky:tenancy: brands``). Set by
    ``load_docker_settings`` from the stack's tenants, not a ``dezky:docker`` key."""
    docker_socket: str = "/var/run/docker.sock"
    """The Docker socket Traefik reads the containers' routing labels from: a path on the Docker host, as
    the daemon sees it (not resolved on this machine)."""
    # Declared after the apps: its check needs to know which of them run from it.
    monorepo_root: HostPath = Path("../..")
    """The Dezky monorepo checkout, where the apps' sources live (`services/platform-api`, ...).

    This project is the monorepo's `infrastructure/pulumi` folder and Pulumi runs the program
    there, so the default `../..` is the monorepo's root.
    """

    @field_validator("monorepo_root")
    @classmethod
    def _dev_sources_exist(cls, root: Path, info: ValidationInfo) -> Path:
        missing = {
            name: root / app.monorepo_path
            for name in ("platform_api", "portal")
            if isinstance(app := info.data.get(name), NodeAppSettings)
            and app.mode is AppMode.DEV
            and app.source_dir is None
            and not (root / app.monorepo_path).is_dir()
        }
        if missing:
            runs = " and ".join(f"{name} from {folder}" for name, folder in missing.items())
            which = "which is not a folder" if len(missing) == 1 else "which are not folders"
            overrides = " and ".join(f"{name}.source_dir" for name in missing)
            raise ValueError(
                f"{root} is not a Dezky monorepo checkout: dev mode runs {runs}, {which}; point "
                f"monorepo_root at the checkout (relative to the Pulumi project folder), or set {overrides}"
            )
        return root

    @property
    def network_name(self) -> str:
        """Name of the one user-defined network every container joins."""
        return f"{self.name_prefix}-net"

    def host(self, subdomain: str) -> str:
        """Public host name of a routed service, e.g. `auth` -> `auth.dezky.local`."""
        return f"{subdomain}.{self.domain}"

    def source_dir(self, app: NodeAppSettings) -> Path:
        """The folder `app` runs from in `dev` mode: its own `source_dir`, else its monorepo folder."""
        return app.source_dir or self.monorepo_root / app.monorepo_path


DERIVED: Final = {
    "tenant_hosts": "the tenants' hosts follow from `dezky:tenants` with `dezky:tenancy: brands`",
}
"""``DockerSettings`` fields that follow from other stack config keys, each with why: not ``dezky:docker``
keys, and refused as such."""
FROM_STACK: Final = {"domain": "domain", "services.ocis": "ocisEnabled"}
"""``dezky:docker`` keys whose default is the value of another stack config key (``dezky:domain``,
``dezky:ocisEnabled``): ``load_docker_settings`` is given those values."""


class _StackView(BaseModel):
    """The docker settings at their place in the stack config, beside the stack's own domain.

    Validating through this model puts `docker` (and `domain`) in front of each error's location,
    so `describe_config_error` names a key exactly as the stack config spells it:
    `dezky:docker.platform_api.source_dir`, or `dezky:domain` for the stack's domain.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    domain: DnsName
    docker: DockerSettings


def load_docker_settings(
    raw: Mapping[str, Any], *, domain: str, ocis: bool, tenant_hosts: Sequence[str] = ()
) -> DockerSettings:
    """The docker layer's settings from the stack config's `dezky:docker` object.

    The layer serves the stack's `domain` and runs ocis when the stack enables it, unless
    `raw` says otherwise (`domain`, `services.ocis`); it routes `tenant_hosts` to authentik.
    Raises `ConfigError` naming every bad key as `stack config \\`dezky:docker.<path>\\`: <reason>`;
    the checks touch only the local file system, so they fail the preview before any resource is
    registered.
    """
    derived = sorted(DERIVED.keys() & raw.keys())
    if derived:
        key = derived[0]
        raise ConfigError(
            f"stack config `dezky:docker.{key}` is not a setting: {DERIVED[key]}; remove the key"
        )
    services = raw.get("services", {})
    docker = {
        **raw,
        "services": {"ocis": ocis, **services} if isinstance(services, Mapping) else services,
        "tenant_hosts": tuple(tenant_hosts),
    }
    try:
        view = _StackView.model_validate({"domain": domain, "docker": docker})
    except ValidationError as exc:
        raise ConfigError(describe_config_error(exc)) from None
    if "domain" in view.docker.model_fields_set:
        return view.docker
    # Validated above as the stack's domain; the copy only carries it into the docker settings.
    return view.docker.model_copy(update={"domain": view.domain})
