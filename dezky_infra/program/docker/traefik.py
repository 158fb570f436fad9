"""Traefik: the routing labels services carry, and the Traefik container that reads them.

Traefik watches the Docker socket and routes only containers labelled `traefik.enable=true`.
It terminates TLS with the mkcert certificate, loaded through its file provider, and sends
plain HTTP on the `web` entrypoint to HTTPS on the host's published HTTPS port.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pulumi_docker as docker

from .container import ContainerSpec, Healthcheck, PublishedPort
from .settings import DockerSettings
from .volumes import bind_mount

SERVICE = "traefik"
WEB_ENTRYPOINT = "web"
WEBSECURE_ENTRYPOINT = "websecure"
CERT_PATH = "/etc/traefik/certs/dezky.pem"
KEY_PATH = "/etc/traefik/certs/dezky-key.pem"
DYNAMIC_CONFIG_PATH = "/etc/traefik/dynamic/tls.yml"

_ROUTER_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class Route:
    """An HTTPS route from `host` (and the hosts in `also`) to a container's `port`, as Docker labels.

    The router and its service share the name `router`; middlewares (defined elsewhere, e.g.
    `auth@file`) run in the given order.
    """

    router: str
    host: str
    port: int
    middlewares: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    """More hosts served by the same router (the tenants' brand hosts for authentik)."""

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host of the route, `host` first."""
        return (self.host, *self.also)

    def __post_init__(self) -> None:
        if not _ROUTER_NAME.fullmatch(self.router):
            raise ValueError(f"router name {self.router!r} must use only a-z, 0-9 and '-'")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"router {self.router!r}: port {self.port} is not a TCP port")

    def labels(self) -> list[docker.ContainerLabelArgs]:
        """The labels that make Traefik serve this route."""
        router = f"traefik.http.routers.{self.router}"
        pairs = {
            "traefik.enable": "true",
            f"{router}.rule": " || ".join(f"Host(`{host}`)" for host in self.hosts),
            f"{router}.entrypoints": WEBSECURE_ENTRYPOINT,
            f"{router}.tls": "true",
            f"{router}.service": self.router,
            f"traefik.http.services.{self.router}.loadbalancer.server.port": str(self.port),
        }
        if self.middlewares:
            pairs[f"{router}.middlewares"] = ",".join(self.middlewares)
        return [docker.ContainerLabelArgs(label=label, value=value) for label, value in pairs.items()]


def browser_url(settings: DockerSettings, host: str) -> str:
    """`https://<host>` as a browser on this machine reaches it: with the published port, unless 443."""
    port = "" if settings.ports.https == 443 else f":{settings.ports.https}"
    return f"https://{host}{port}"


def tls_dynamic_config() -> str:
    """File-provider config that makes the mkcert certificate Traefik's default certificate."""
    return (
        "tls:\n"
        "  stores:\n"
        "    default:\n"
        "      defaultCertificate:\n"
        f"        certFile: {CERT_PATH}\n"
        f"        keyFile: {KEY_PATH}\n"
    )


def traefik_spec(settings: DockerSettings, public_hosts: Sequence[str]) -> ContainerSpec:
    """The Traefik container, publishing the host's HTTP and HTTPS ports on the bind address.

    `public_hosts` become network aliases of Traefik, so a container that calls
    `https://auth.<domain>` reaches Traefik instead of its own loopback.
    """
    return ContainerSpec(
        service=SERVICE,
        image=settings.images.traefik,
        command=[
            "--global.checkNewVersion=false",
            "--global.sendAnonymousUsage=false",
            "--ping=true",
            f"--entryPoints.{WEB_ENTRYPOINT}.address=:80",
            # `to` takes an entrypoint name or a `:port`; a name redirects to that entrypoint's own port
            # (443 inside the container), whatever the host publishes. `:<published port>` sends the
            # browser where it can connect; for 443 Traefik leaves the port out of the URL
            # (traefik/traefik: pkg/provider/traefik/internal.go getRedirectPort,
            # pkg/middlewares/redirect/redirect_scheme.go).
            f"--entryPoints.{WEB_ENTRYPOINT}.http.redirections.entryPoint.to=:{settings.ports.https}",
            f"--entryPoints.{WEB_ENTRYPOINT}.http.redirections.entryPoint.scheme=https",
            f"--entryPoints.{WEBSECURE_ENTRYPOINT}.address=:443",
            "--providers.docker=true",
            "--providers.docker.endpoint=unix:///var/run/docker.sock",
            "--providers.docker.exposedByDefault=false",
            f"--providers.docker.network={settings.network_name}",
            f"--providers.file.filename={DYNAMIC_CONFIG_PATH}",
        ],
        ports=[
            PublishedPort(internal=80, external=settings.ports.http),
            PublishedPort(internal=443, external=settings.ports.https),
        ],
        mounts=[
            bind_mount(settings.docker_socket, "/var/run/docker.sock", read_only=True),
            bind_mount(settings.tls.cert_file, CERT_PATH, read_only=True),
            bind_mount(settings.tls.key_file, KEY_PATH, read_only=True),
        ],
        uploads=[docker.ContainerUploadArgs(file=DYNAMIC_CONFIG_PATH, content=tls_dynamic_config())],
        extra_aliases=list(public_hosts),
        healthcheck=Healthcheck(
            test=("CMD", "traefik", "healthcheck", "--ping"), start_period=timedelta(seconds=10)
        ),
        wait_healthy=True,
    )
