"""Phase one: network, volumes, postgres, authentik and the component's public attributes."""

import pulumi_docker as docker

from .harness import CONTAINER, NETWORK, VOLUME, Deployment

AUTHENTIK_PLAIN_ENV = {
    "AUTHENTIK_POSTGRESQL__HOST": "postgres",
    "AUTHENTIK_POSTGRESQL__USER": "authentik",
    "AUTHENTIK_POSTGRESQL__NAME": "authentik",
    "AUTHENTIK_BOOTSTRAP_EMAIL": "admin@dezky.local",
}
AUTHENTIK_SECRET_ENV = {
    "AUTHENTIK_SECRET_KEY": "ak-secret-key-value",
    "AUTHENTIK_POSTGRESQL__PASSWORD": "pg-secret-value",
    "AUTHENTIK_BOOTSTRAP_PASSWORD": "bootstrap-password-value",
    "AUTHENTIK_BOOTSTRAP_TOKEN": "bootstrap-token-value",
}


def test_the_full_resource_graph(dev_stack: Deployment) -> None:
    assert {(rec.type, rec.name) for rec in dev_stack.registered} == {
        ("dezky:docker:Platform", "dezky"),
        ("dezky:docker:Apps", "dezky"),
        (NETWORK, "dezky-network"),
        (VOLUME, "dezky-postgres-data"),
        (VOLUME, "dezky-authentik-data"),
        (VOLUME, "dezky-authentik-media"),
        (VOLUME, "dezky-authentik-custom-templates"),
        (VOLUME, "dezky-ocis-data"),
        (VOLUME, "dezky-ocis-config"),
        (VOLUME, "dezky-platform-api-node-modules"),
        (VOLUME, "dezky-portal-node-modules"),
        (CONTAINER, "dezky-postgres"),
        (CONTAINER, "dezky-authentik-server"),
        (CONTAINER, "dezky-authentik-worker"),
        (CONTAINER, "dezky-traefik"),
        (CONTAINER, "dezky-platform-api"),
        (CONTAINER, "dezky-portal"),
        (CONTAINER, "dezky-ocis"),
    }


def test_network_and_volume_names(dev_stack: Deployment) -> None:
    assert dev_stack.of_type(NETWORK)["dezky-network"].inputs == {"name": "dezky-net", "driver": "bridge"}
    assert {rec.inputs["name"] for rec in dev_stack.of_type(VOLUME).values()} == {
        "dezky_postgres_data",
        "dezky_authentik_data",
        "dezky_authentik_media",
        "dezky_authentik_custom_templates",
        "dezky_ocis_data",
        "dezky_ocis_config",
        "dezky_platform_api_node_modules",
        "dezky_portal_node_modules",
    }


def test_every_container_shares_the_network_restarts_and_has_a_healthcheck(dev_stack: Deployment) -> None:
    containers = dev_stack.of_type(CONTAINER)
    assert len(containers) == 7
    for name, container in containers.items():
        service = name.removeprefix("dezky-")
        assert container.inputs["name"] == name
        assert container.inputs["restart"] == "unless-stopped"
        assert container.inputs["healthcheck"]["tests"][0] == "CMD"
        assert container.inputs["networksAdvanced"][0]["name"] == "dezky-net"
        assert container.inputs["networksAdvanced"][0]["aliases"][0] == service
        assert "dezky-network" in container.dependencies


def test_postgres(dev_stack: Deployment) -> None:
    postgres = dev_stack.container("postgres").inputs
    assert postgres["image"] == "postgres:16-alpine"
    assert dev_stack.env("postgres") == {
        "POSTGRES_USER": "authentik",
        "POSTGRES_DB": "authentik",
        "POSTGRES_PASSWORD": "pg-secret-value",
    }
    assert postgres["mounts"] == [
        {"type": "volume", "source": "dezky_postgres_data", "target": "/var/lib/postgresql/data"}
    ]
    assert postgres["healthcheck"] == {
        "tests": ["CMD", "pg_isready", "-U", "authentik", "-d", "authentik"],
        "startPeriod": "20s",
        "interval": "10s",
        "timeout": "5s",
        "retries": 5,
    }
    assert postgres["wait"] is True


def test_authentik_server_and_worker_share_image_env_and_volumes(dev_stack: Deployment) -> None:
    """The dev default; every release's containers: test_authentik_releases.py."""
    server = dev_stack.container("authentik-server").inputs
    worker = dev_stack.container("authentik-worker").inputs
    assert server["image"] == worker["image"] == "ghcr.io/goauthentik/server:2026.2.2"
    assert server["command"] == ["server"]
    assert worker["command"] == ["worker"]
    expected_env = AUTHENTIK_PLAIN_ENV | AUTHENTIK_SECRET_ENV
    assert dev_stack.env("authentik-server") == dev_stack.env("authentik-worker") == expected_env
    assert not any("REDIS" in key for key in expected_env)
    mounts = [
        {"type": "volume", "source": "dezky_authentik_data", "target": "/data"},
        {"type": "volume", "source": "dezky_authentik_media", "target": "/media"},
        {"type": "volume", "source": "dezky_authentik_custom_templates", "target": "/templates"},
    ]
    assert server["mounts"] == worker["mounts"] == mounts
    for container in (server, worker):
        assert container["healthcheck"]["tests"] == ["CMD", "ak", "healthcheck"]
        assert container["healthcheck"]["startPeriod"] == "1m0s"
        assert container["wait"] is True
        assert container["shmSize"] == 512


def test_only_the_authentik_server_is_routed(dev_stack: Deployment) -> None:
    assert dev_stack.labels("authentik-server") == {
        "traefik.enable": "true",
        "traefik.http.routers.authentik.rule": "Host(`auth.dezky.local`)",
        "traefik.http.routers.authentik.entrypoints": "websecure",
        "traefik.http.routers.authentik.tls": "true",
        "traefik.http.routers.authentik.service": "authentik",
        "traefik.http.services.authentik.loadbalancer.server.port": "9000",
    }
    assert dev_stack.labels("authentik-worker") == {}
    assert dev_stack.labels("postgres") == {}


def test_platform_dependencies(dev_stack: Deployment) -> None:
    assert dev_stack.container("postgres").dependencies == {"dezky-network", "dezky-postgres-data"}
    for service in ("authentik-server", "authentik-worker"):
        assert dev_stack.container(service).dependencies == {
            "dezky-network",
            "dezky-postgres",
            "dezky-authentik-data",
            "dezky-authentik-media",
            "dezky-authentik-custom-templates",
        }
    assert dev_stack.container("traefik").dependencies == {"dezky-network"}


def test_platform_attributes(dev_stack: Deployment) -> None:
    platform = dev_stack.platform
    assert isinstance(platform.network, docker.Network)
    assert isinstance(platform.authentik_server, docker.Container)
    assert platform.authentik_url_internal == "http://authentik-server:9000"
    assert platform.authentik_url_public == "https://auth.dezky.local"
