"""Traefik: the routing-label builder and the Traefik container of the dev stack."""

import os
import re
from ipaddress import IPv4Address
from urllib.parse import urlsplit

import pytest

from dezky_infra.program.docker import DockerSettings
from dezky_infra.program.docker.container import PublishedPort, published_ports
from dezky_infra.program.docker.traefik import Route, tls_dynamic_config

from .harness import Deployment, run_stack


def _as_dict(route: Route) -> dict[str, str]:
    return {str(label.label): str(label.value) for label in route.labels()}


def test_route_labels_are_exact() -> None:
    assert _as_dict(Route(router="authentik", host="auth.dezky.local", port=9000)) == {
        "traefik.enable": "true",
        "traefik.http.routers.authentik.rule": "Host(`auth.dezky.local`)",
        "traefik.http.routers.authentik.entrypoints": "websecure",
        "traefik.http.routers.authentik.tls": "true",
        "traefik.http.routers.authentik.service": "authentik",
        "traefik.http.services.authentik.loadbalancer.server.port": "9000",
    }


def test_route_middlewares_keep_their_order() -> None:
    labels = _as_dict(Route(router="portal", host="app.dezky.local", port=3000, middlewares=("a@file", "b")))
    assert labels["traefik.http.routers.portal.middlewares"] == "a@file,b"


@pytest.mark.parametrize(
    ("router", "port", "message"),
    [
        ("Auth_Router", 9000, "router name 'Auth_Router' must use only a-z, 0-9 and '-'"),
        ("authentik", 0, "router 'authentik': port 0 is not a TCP port"),
    ],
)
def test_route_rejects_bad_names_and_ports(router: str, port: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Route(router=router, host="auth.dezky.local", port=port)


def test_traefik_container(dev_stack: Deployment) -> None:
    traefik = dev_stack.container("traefik").inputs
    assert traefik["image"] == "traefik:v3.6.2"
    assert traefik["name"] == "dezky-traefik"
    assert traefik["command"] == [
        "--global.checkNewVersion=false",
        "--global.sendAnonymousUsage=false",
        "--ping=true",
        "--entryPoints.web.address=:80",
        "--entryPoints.web.http.redirections.entryPoint.to=:443",
        "--entryPoints.web.http.redirections.entryPoint.scheme=https",
        "--entryPoints.websecure.address=:443",
        "--providers.docker=true",
        "--providers.docker.endpoint=unix:///var/run/docker.sock",
        "--providers.docker.exposedByDefault=false",
        "--providers.docker.network=dezky-net",
        "--providers.file.filename=/etc/traefik/dynamic/tls.yml",
    ]
    assert traefik["ports"] == [
        {"internal": 80, "external": 80, "ip": "127.0.0.1", "protocol": "tcp"},
        {"internal": 443, "external": 443, "ip": "127.0.0.1", "protocol": "tcp"},
    ]
    cert_dir = os.path.join(os.getcwd(), "certs")
    assert traefik["mounts"] == [
        {
            "type": "bind",
            "source": "/var/run/docker.sock",
            "target": "/var/run/docker.sock",
            "readOnly": True,
        },
        {
            "type": "bind",
            "source": f"{cert_dir}/dezky.local.pem",
            "target": "/etc/traefik/certs/dezky.pem",
            "readOnly": True,
        },
        {
            "type": "bind",
            "source": f"{cert_dir}/dezky.local-key.pem",
            "target": "/etc/traefik/certs/dezky-key.pem",
            "readOnly": True,
        },
    ]
    assert traefik["uploads"] == [{"file": "/etc/traefik/dynamic/tls.yml", "content": tls_dynamic_config()}]
    assert traefik["networksAdvanced"] == [
        {
            "name": "dezky-net",
            "aliases": ["traefik", "auth.dezky.local", "app.dezky.local", "files.dezky.local"],
        }
    ]
    assert traefik["healthcheck"]["tests"] == ["CMD", "traefik", "healthcheck", "--ping"]
    assert "labels" not in traefik or traefik["labels"] == []


def _redirect(command: list[str], url: str) -> str:
    """Where Traefik sends `url` (a request on the `web` entrypoint), computed as Traefik does it.

    traefik/traefik pkg/provider/traefik/internal.go (`redirection`, `getRedirectPort`): `to` is either
    `:<port>` or an entrypoint name, whose own listening port is then used; the RedirectScheme
    middleware (pkg/middlewares/redirect/redirect_scheme.go) leaves out 443 for https.
    """
    flags = dict(arg.removeprefix("--").split("=", 1) for arg in command)
    to = flags["entryPoints.web.http.redirections.entryPoint.to"]
    scheme = flags["entryPoints.web.http.redirections.entryPoint.scheme"]
    port = to[1:] if re.fullmatch(r":\d+", to) else flags[f"entryPoints.{to}.address"].rsplit(":", 1)[1]
    parts = urlsplit(url)
    shown = "" if (scheme, port) in {("https", "443"), ("http", "80")} else f":{port}"
    return f"{scheme}://{parts.hostname}{shown}{parts.path}"


def test_http_redirects_to_https_on_the_default_port(dev_stack: Deployment) -> None:
    command = dev_stack.container("traefik").inputs["command"]
    assert _redirect(command, "http://auth.dezky.local/if/admin/") == "https://auth.dezky.local/if/admin/"


def test_http_redirects_to_the_published_https_port() -> None:
    """Traefik listens on 443 in its container; the browser must go to the port the host publishes."""
    settings = DockerSettings.model_validate({"ports": {"http": 8080, "https": 8443}})
    command = run_stack(settings).container("traefik").inputs["command"]
    assert "--entryPoints.web.http.redirections.entryPoint.to=:8443" in command
    assert _redirect(command, "http://auth.dezky.local:8080/") == "https://auth.dezky.local:8443/"
    assert _redirect(command, "http://app.dezky.local:8080/x") == "https://app.dezky.local:8443/x"


def test_dynamic_config_makes_the_mkcert_certificate_the_default() -> None:
    assert tls_dynamic_config() == (
        "tls:\n"
        "  stores:\n"
        "    default:\n"
        "      defaultCertificate:\n"
        "        certFile: /etc/traefik/certs/dezky.pem\n"
        "        keyFile: /etc/traefik/certs/dezky-key.pem\n"
    )


def test_traefik_publishes_on_the_configured_bind_address() -> None:
    settings = DockerSettings.model_validate({"ports": {"bind_address": "0:0:0:0:0:0:0:1", "https": 8443}})
    ports = run_stack(settings).container("traefik").inputs["ports"]
    assert ports == [
        {"internal": 80, "external": 80, "ip": "::1", "protocol": "tcp"},
        {"internal": 443, "external": 8443, "ip": "::1", "protocol": "tcp"},
    ]


def test_published_ports_come_in_the_order_the_provider_reads_them_back() -> None:
    """The provider reads ports back sorted by container port, and `ports` is a list: keep that order."""
    ports = published_ports(
        [PublishedPort(internal=443, external=8443), PublishedPort(internal=80, external=8080)],
        IPv4Address("127.0.0.1"),
    )
    assert [(p.internal, p.external, p.ip, p.protocol) for p in ports] == [
        (80, 8080, "127.0.0.1", "tcp"),
        (443, 8443, "127.0.0.1", "tcp"),
    ]


def test_one_router_serves_every_host_of_a_route() -> None:
    route = Route(router="authentik", host="auth.dezky.local", port=9000, also=("acme.auth.dezky.local",))
    assert _as_dict(route)["traefik.http.routers.authentik.rule"] == (
        "Host(`auth.dezky.local`) || Host(`acme.auth.dezky.local`)"
    )


def test_tenant_hosts_route_to_authentik_and_are_reachable_on_the_network() -> None:
    hosts = ("acme.auth.dezky.local", "globex.auth.dezky.local")
    stack = run_stack(DockerSettings.model_validate({"tenant_hosts": hosts}), tenant_urls={})
    assert stack.labels("authentik-server")["traefik.http.routers.authentik.rule"] == (
        "Host(`auth.dezky.local`) || Host(`acme.auth.dezky.local`) || Host(`globex.auth.dezky.local`)"
    )
    # a container calling a tenant's host reaches Traefik, as it reaches auth.dezky.local
    aliases = stack.container("traefik").inputs["networksAdvanced"][0]["aliases"]
    assert aliases[:4] == ["traefik", "auth.dezky.local", *hosts]
