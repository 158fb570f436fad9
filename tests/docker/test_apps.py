"""Phase two: platform-api, portal and ocis, in image and dev mode, with ocis on and off."""

import pytest

from dezky_infra.program.docker import AppSecrets, DockerSettings
from tests.conftest import Checkout

from .harness import CONTAINER, OCIS_CLIENT_ID, OCIS_ISSUER, PORTAL_ISSUER, VOLUME, Deployment, run_stack

API_IMAGE = "ghcr.io/dezky/platform-api:1.2.3"
PORTAL_IMAGE = "ghcr.io/dezky/portal:1.2.3"
NODE_PROBE = (
    "fetch('http://127.0.0.1:{port}{path}',{{redirect:'manual'}})"
    ".then(r=>process.exit(r.status<500?0:1),()=>process.exit(1))"
)


def test_platform_api_runs_from_the_monorepo_by_default(dev_stack: Deployment, checkout: Checkout) -> None:
    api = dev_stack.container("platform-api")
    assert api.inputs["image"] == "node:22-alpine"
    assert api.inputs["name"] == "dezky-platform-api"
    assert api.inputs["networksAdvanced"] == [{"name": "dezky-net", "aliases": ["platform-api"]}]
    assert api.inputs["command"] == ["sh", "-c", "npm install && exec npm run start:dev"]
    assert api.inputs["workingDir"] == "/app"
    source = str(checkout.monorepo / "services/platform-api")
    assert api.inputs["mounts"] == [
        {"type": "bind", "source": source, "target": "/app", "readOnly": False},
        {"type": "volume", "source": "dezky_platform_api_node_modules", "target": "/app/node_modules"},
    ]
    assert dev_stack.of_type(VOLUME)["dezky-platform-api-node-modules"].inputs == {
        "name": "dezky_platform_api_node_modules"
    }
    assert "dezky-platform-api-node-modules" in api.dependencies
    assert dev_stack.env("platform-api") == {
        "PORT": "3001",
        "AUTHENTIK_URL": "http://authentik-server:9000",
        "AUTHENTIK_API_TOKEN": "api-token-value",
    }
    probe = NODE_PROBE.format(port=3001, path="/health")
    assert api.inputs["healthcheck"]["tests"] == ["CMD", "node", "-e", probe]
    assert dev_stack.labels("platform-api") == {"dezky.stack": "stack"}, "internal: not routed, no URL"


def test_platform_api_in_image_mode_runs_the_release_without_source_or_volume(checkout: Checkout) -> None:
    (checkout.monorepo / "services/platform-api").rmdir()
    stack = run_stack(DockerSettings.model_validate({"platform_api": {"mode": "image", "image": API_IMAGE}}))
    api = stack.container("platform-api").inputs
    assert api["image"] == API_IMAGE
    assert "command" not in api
    assert "workingDir" not in api
    assert api["mounts"] == []
    assert "dezky-platform-api-node-modules" not in stack.of_type(VOLUME)
    assert "dezky-portal-node-modules" in stack.of_type(VOLUME), "portal stays in dev mode"


def test_an_app_source_dir_overrides_the_monorepo(tmp_path_factory: pytest.TempPathFactory) -> None:
    source = tmp_path_factory.mktemp("portal")
    stack = run_stack(DockerSettings.model_validate({"portal": {"source_dir": str(source)}}))
    assert stack.container("portal").inputs["mounts"][0] == {
        "type": "bind",
        "source": str(source),
        "target": "/app",
        "readOnly": False,
    }


def test_portal_runs_from_the_monorepo_with_its_own_node_modules(
    dev_stack: Deployment, checkout: Checkout
) -> None:
    portal = dev_stack.container("portal")
    assert portal.inputs["image"] == "node:22-alpine"
    assert portal.inputs["command"] == ["sh", "-c", "npm install && exec npm run dev -- --host 0.0.0.0"]
    source = str(checkout.monorepo / "services/portal")
    assert portal.inputs["mounts"] == [
        {"type": "bind", "source": source, "target": "/app", "readOnly": False},
        {"type": "volume", "source": "dezky_portal_node_modules", "target": "/app/node_modules"},
    ]
    assert dev_stack.env("portal") == {
        "PORT": "3000",
        "NUXT_OIDC_CLIENT_ID": "portal",
        "NUXT_OIDC_ISSUER": PORTAL_ISSUER,
        "PLATFORM_API_INTERNAL_URL": "http://platform-api:3001",
        "NUXT_API_BASE": "http://platform-api:3001",
        "NUXT_OIDC_CLIENT_SECRET": "portal-client-secret-value",
    }
    assert dev_stack.labels("portal") == {
        "traefik.enable": "true",
        "traefik.http.routers.portal.rule": "Host(`app.dezky.local`)",
        "traefik.http.routers.portal.entrypoints": "websecure",
        "traefik.http.routers.portal.tls": "true",
        "traefik.http.routers.portal.service": "portal",
        "traefik.http.services.portal.loadbalancer.server.port": "3000",
        "dezky.stack": "stack",
        "dezky.url": "https://app.dezky.local",
    }
    assert portal.inputs["networksAdvanced"] == [{"name": "dezky-net", "aliases": ["portal"]}]


def test_portal_in_image_mode() -> None:
    stack = run_stack(DockerSettings.model_validate({"portal": {"mode": "image", "image": PORTAL_IMAGE}}))
    portal = stack.container("portal").inputs
    assert portal["image"] == PORTAL_IMAGE
    assert portal["mounts"] == []
    assert "dezky-portal-node-modules" not in stack.of_type(VOLUME)


def test_ocis(dev_stack: Deployment) -> None:
    ocis = dev_stack.container("ocis").inputs
    assert ocis["image"] == "owncloud/ocis:7.1.3"
    assert ocis["entrypoints"] == ["/bin/sh", "-c", "ocis init --insecure true || true; exec ocis server"]
    assert dev_stack.env("ocis") == {
        "OCIS_URL": "https://files.dezky.local",
        "PROXY_TLS": "false",
        "PROXY_HTTP_ADDR": "0.0.0.0:9200",
        "PROXY_DEBUG_ADDR": "127.0.0.1:9205",
        "OCIS_EXCLUDE_RUN_SERVICES": "idp",
        "OCIS_OIDC_ISSUER": OCIS_ISSUER,
        "WEB_OIDC_CLIENT_ID": OCIS_CLIENT_ID,
        "PROXY_OIDC_REWRITE_WELLKNOWN": "true",
        "PROXY_AUTOPROVISION_ACCOUNTS": "true",
        "PROXY_USER_OIDC_CLAIM": "preferred_username",
        "PROXY_USER_CS3_CLAIM": "username",
        "OCIS_INSECURE": "true",
    }
    assert ocis["mounts"] == [
        {"type": "volume", "source": "dezky_ocis_data", "target": "/var/lib/ocis"},
        {"type": "volume", "source": "dezky_ocis_config", "target": "/etc/ocis"},
    ]
    assert dev_stack.labels("ocis") == {
        "traefik.enable": "true",
        "traefik.http.routers.ocis.rule": "Host(`files.dezky.local`)",
        "traefik.http.routers.ocis.entrypoints": "websecure",
        "traefik.http.routers.ocis.tls": "true",
        "traefik.http.routers.ocis.service": "ocis",
        "traefik.http.services.ocis.loadbalancer.server.port": "9200",
        "dezky.stack": "stack",
        "dezky.url": "https://files.dezky.local",
    }
    assert ocis["healthcheck"]["tests"] == [
        "CMD",
        "wget",
        "-q",
        "-O",
        "/dev/null",
        "http://127.0.0.1:9205/healthz",
    ]


def test_mkcert_ca_is_trusted_and_ocis_stays_secure(tmp_path_factory: pytest.TempPathFactory) -> None:
    ca = tmp_path_factory.mktemp("mkcert") / "rootCA.pem"
    stack = run_stack(DockerSettings.model_validate({"tls": {"ca_file": str(ca)}}))
    ca_mount = {
        "type": "bind",
        "source": str(ca),
        "target": "/etc/ssl/certs/dezky-dev-ca.pem",
        "readOnly": True,
    }
    for service in ("platform-api", "portal", "ocis"):
        assert ca_mount in stack.container(service).inputs["mounts"]
    for service in ("platform-api", "portal"):
        assert stack.env(service)["NODE_EXTRA_CA_CERTS"] == "/etc/ssl/certs/dezky-dev-ca.pem"
    assert "OCIS_INSECURE" not in stack.env("ocis")
    assert (
        stack.container("ocis").inputs["entrypoints"][2]
        == "ocis init --insecure false || true; exec ocis server"
    )


def test_ocis_off_leaves_no_ocis_container_volume_route_or_alias() -> None:
    stack = run_stack(DockerSettings.model_validate({"services": {"ocis": False}}))
    assert stack.apps.ocis is None
    assert "dezky-ocis" not in stack.of_type(CONTAINER)
    assert not [name for name in stack.of_type(VOLUME) if "ocis" in name]
    all_labels = [
        label for name in stack.of_type(CONTAINER) for label in stack.labels(name.removeprefix("dezky-"))
    ]
    assert not [label for label in all_labels if "routers.ocis" in label]
    assert "files.dezky.local" not in stack.container("traefik").inputs["networksAdvanced"][0]["aliases"]


def test_ocis_off_needs_no_ocis_inputs() -> None:
    stack = run_stack(
        DockerSettings.model_validate({"services": {"ocis": False}}),
        app_secrets=AppSecrets(
            api_token="t", portal_client_id="portal", portal_client_secret="s", portal_issuer=PORTAL_ISSUER
        ),
    )
    assert stack.apps.ocis is None


def test_ocis_on_without_its_inputs_fails_early() -> None:
    secrets = AppSecrets(api_token="t", portal_client_id="p", portal_client_secret="s", portal_issuer="i")
    with pytest.raises(
        ValueError, match=r"^services\.ocis is on, so AppSecrets needs ocis_client_id and ocis_issuer$"
    ):
        run_stack(app_secrets=secrets)


def test_apps_wait_for_the_platform(dev_stack: Deployment) -> None:
    assert dev_stack.container("platform-api").dependencies == {
        "dezky-network",
        "dezky-authentik-server",
        "dezky-platform-api-node-modules",
    }
    assert dev_stack.container("portal").dependencies == {
        "dezky-network",
        "dezky-portal-node-modules",
        "dezky-platform-api",
        "dezky-authentik-server",
        "dezky-traefik",
    }
    assert dev_stack.container("ocis").dependencies == {
        "dezky-network",
        "dezky-authentik-server",
        "dezky-traefik",
        "dezky-ocis-data",
        "dezky-ocis-config",
    }


def test_up_starts_the_apps_without_waiting_and_labels_them_for_up_sh(dev_stack: Deployment) -> None:
    """`pulumi up` waits for the platform only; scripts/up.sh finds the apps by `dezky.stack` (the Pulumi
    stack, "stack" under the mocks) and reports their health (test_up_script.py)."""
    for service in ("platform-api", "portal", "ocis"):
        container = dev_stack.container(service).inputs
        assert not container.get("wait"), f"{service} is started, not waited for"
        assert "waitTimeout" not in container
        assert dev_stack.labels(service)["dezky.stack"] == "stack"
    for service in ("postgres", "authentik-server", "authentik-worker", "traefik"):
        assert dev_stack.container(service).inputs["wait"] is True
        assert "dezky.stack" not in dev_stack.labels(service), "waited for: up.sh need not report it"


def test_a_dev_mode_app_starts_for_up_to_ten_minutes() -> None:
    """A first `npm install` takes minutes: the app stays "starting" through it, not "unhealthy"."""
    stack = run_stack(DockerSettings.model_validate({"portal": {"mode": "image", "image": PORTAL_IMAGE}}))
    assert stack.container("platform-api").inputs["healthcheck"]["startPeriod"] == "10m0s"
    assert stack.container("portal").inputs["healthcheck"]["startPeriod"] == "1m0s", "a built image"


def test_the_app_urls_carry_the_published_https_port() -> None:
    stack = run_stack(DockerSettings.model_validate({"ports": {"https": 8443}}))
    assert stack.labels("portal")["dezky.url"] == "https://app.dezky.local:8443"
    assert stack.labels("ocis")["dezky.url"] == "https://files.dezky.local:8443"


def test_apps_attributes(dev_stack: Deployment) -> None:
    apps = dev_stack.apps
    assert apps.platform_api is not None
    assert apps.portal is not None
    assert apps.ocis is not None


def test_platform_api_gets_each_tenants_authentik_url() -> None:
    urls = {"AUTHENTIK_TENANT_ACME_URL": "https://acme.auth.dezky.local"}
    env = run_stack(tenant_urls=urls).env("platform-api")
    assert env["AUTHENTIK_TENANT_ACME_URL"] == "https://acme.auth.dezky.local"
    assert not [key for key in run_stack().env("platform-api") if key.startswith("AUTHENTIK_TENANT_")]
