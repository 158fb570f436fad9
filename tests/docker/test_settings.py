"""The settings model: dev defaults, pinned images, app modes, bind address and name validation,
and `load_docker_settings`, which names each bad key the way the stack config spells it."""

import os
import re
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest
from pydantic import ValidationError

from dezky_infra.program.config import ConfigError
from dezky_infra.program.docker.settings import (
    DERIVED,
    FROM_STACK,
    AppMode,
    DockerSettings,
    load_docker_settings,
)
from tests.conftest import Checkout

API_IMAGE = "ghcr.io/dezky/platform-api:1.2.3"


def _only_error(excinfo: pytest.ExceptionInfo[ValidationError]) -> tuple[tuple[str | int, ...], str]:
    errors = excinfo.value.errors()
    assert len(errors) == 1
    return errors[0]["loc"], errors[0]["msg"]


def _load(raw: dict[str, object], domain: str = "dezky.local") -> DockerSettings:
    return load_docker_settings(raw, domain=domain, ocis=True)


def test_defaults_describe_the_dev_stack(checkout: Checkout) -> None:
    settings = DockerSettings()
    assert settings.domain == "dezky.local"
    assert settings.name_prefix == "dezky"
    assert settings.network_name == "dezky-net"
    assert settings.host("auth") == "auth.dezky.local"
    assert settings.images.model_dump() == {
        "postgres": "postgres:16-alpine",
        "authentik": "ghcr.io/goauthentik/server:2026.2.2",
        "authentik_release": "2026.2",
        "traefik": "traefik:v3.6.2",
        "ocis": "owncloud/ocis:7.1.3",
        "node": "node:22-alpine",
    }
    assert settings.platform_api.mode is AppMode.DEV
    assert settings.portal.mode is AppMode.DEV
    assert settings.platform_api.image is None
    assert settings.portal.image is None
    assert settings.platform_api.dev_command == ("sh", "-c", "npm install && exec npm run start:dev")
    assert settings.monorepo_root == checkout.monorepo
    assert settings.source_dir(settings.platform_api) == checkout.monorepo / "services/platform-api"
    assert settings.source_dir(settings.portal) == checkout.monorepo / "services/portal"
    assert settings.services.ocis is True
    assert (settings.ports.http, settings.ports.https) == (80, 443)
    assert settings.ports.bind_address == IPv4Address("127.0.0.1")
    assert settings.postgres.user == settings.postgres.database == "authentik"
    assert settings.tls.ca_file is None
    assert settings.docker_socket == "/var/run/docker.sock"


def test_relative_host_paths_become_absolute_without_resolving_symlinks() -> None:
    settings = DockerSettings()
    assert settings.tls.cert_file == Path(os.getcwd(), "certs/dezky.local.pem")
    assert settings.tls.key_file == Path(os.getcwd(), "certs/dezky.local-key.pem")
    assert (
        DockerSettings.model_validate({"tls": {"ca_file": "~/ca.pem"}}).tls.ca_file == Path.home() / "ca.pem"
    )


@pytest.mark.parametrize(
    "ref",
    [
        "postgres:16.4-alpine",
        "registry.local:5000/dezky/postgres:1.2.3",
        "ghcr.io/dezky/postgres@sha256:" + "a" * 64,
        "ghcr.io/dezky/postgres:1.2.3@sha256:" + "b" * 64,
    ],
)
def test_pinned_images_are_accepted(ref: str) -> None:
    assert DockerSettings.model_validate({"images": {"postgres": ref}}).images.postgres == ref


def test_latest_tag_is_rejected_naming_field_and_fix() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"images": {"traefik": "docker.io/library/traefik:latest"}})
    assert _only_error(excinfo) == (
        ("images", "traefik"),
        "Value error, image traefik='docker.io/library/traefik:latest' uses the moving tag 'latest'; "
        "pin it as docker.io/library/traefik:<version> or docker.io/library/traefik@sha256:<digest>",
    )


def test_missing_tag_is_rejected_naming_field_and_fix() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"images": {"postgres": "registry.local:5000/postgres"}})
    assert _only_error(excinfo) == (
        ("images", "postgres"),
        "Value error, image postgres='registry.local:5000/postgres' has no tag; "
        "pin it as registry.local:5000/postgres:<version> or registry.local:5000/postgres@sha256:<digest>",
    )


def test_malformed_digest_is_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"images": {"ocis": "owncloud/ocis@md5:abc"}})
    assert _only_error(excinfo) == (
        ("images", "ocis"),
        "Value error, image ocis='owncloud/ocis@md5:abc' has a malformed digest; "
        "use owncloud/ocis@sha256:<digest>",
    )


def test_there_is_no_invented_release_image() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"images": {"portal": "ghcr.io/dezky/portal:0.1.0"}})
    assert _only_error(excinfo)[0] == ("images", "portal")


def test_image_mode_needs_a_pinned_release_image() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"platform_api": {"mode": "image"}})
    assert _only_error(excinfo) == (
        ("platform_api", "image"),
        "Value error, mode 'image' runs the app's released image, and none is given; "
        "set image to a pinned reference such as ghcr.io/<org>/<app>:<version>, or use mode 'dev'",
    )
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"portal": {"mode": "image", "image": "ghcr.io/dezky/portal:latest"}})
    assert _only_error(excinfo) == (
        ("portal", "image"),
        "Value error, image 'ghcr.io/dezky/portal:latest' uses the moving tag 'latest'; "
        "pin it as ghcr.io/dezky/portal:<version> or ghcr.io/dezky/portal@sha256:<digest>",
    )
    image_mode = DockerSettings.model_validate({"platform_api": {"mode": "image", "image": API_IMAGE}})
    assert image_mode.platform_api.image == API_IMAGE


def test_image_mode_needs_no_source_folder(checkout: Checkout) -> None:
    (checkout.monorepo / "services/platform-api").rmdir()
    settings = DockerSettings.model_validate({"platform_api": {"mode": "image", "image": API_IMAGE}})
    assert settings.platform_api.mode is AppMode.IMAGE


def test_a_missing_app_folder_in_the_monorepo_names_the_root_and_the_path(checkout: Checkout) -> None:
    (checkout.monorepo / "services/portal").rmdir()
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings()
    assert _only_error(excinfo) == (
        ("monorepo_root",),
        f"Value error, {checkout.monorepo} is not a Dezky monorepo checkout: dev mode runs portal from "
        f"{checkout.monorepo}/services/portal, which is not a folder; point monorepo_root at the "
        "checkout (relative to the Pulumi project folder), or set portal.source_dir",
    )


def test_a_per_app_source_dir_overrides_the_monorepo(checkout: Checkout, tmp_path: Path) -> None:
    elsewhere = tmp_path / "portal-checkout"
    elsewhere.mkdir()
    (checkout.monorepo / "services/portal").rmdir()
    settings = DockerSettings.model_validate({"portal": {"source_dir": str(elsewhere)}})
    assert settings.source_dir(settings.portal) == elsewhere
    assert settings.source_dir(settings.platform_api) == checkout.monorepo / "services/platform-api"


def test_a_missing_source_dir_names_the_resolved_path() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"platform_api": {"source_dir": "../../nowhere"}})
    loc, message = _only_error(excinfo)
    assert loc == ("platform_api", "source_dir")
    nowhere = Path(os.getcwd()).parent.parent / "nowhere"
    assert message == f"Value error, {nowhere} is not a folder; give the app's checkout, bind-mounted at /app"


@pytest.mark.parametrize(
    ("given", "rendered"),
    [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "0.0.0.0"), ("::1", "::1"), ("0:0:0:0:0:0:0:1", "::1")],  # noqa: S104
)
def test_bind_address_is_an_ip_address(given: str, rendered: str) -> None:
    address = DockerSettings.model_validate({"ports": {"bind_address": given}}).ports.bind_address
    assert isinstance(address, IPv4Address | IPv6Address)
    assert str(address) == rendered


def test_bind_address_must_be_an_ip_address() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"ports": {"bind_address": "localhost"}})
    assert _only_error(excinfo)[0] == ("ports", "bind_address")


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"services": {"ocis": True, "redis": True}})
    assert _only_error(excinfo)[0] == ("services", "redis")


def test_settings_are_frozen() -> None:
    settings = DockerSettings()
    with pytest.raises(ValidationError):
        settings.domain = "other.local"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "loc", "message"),
    [
        (
            {"domain": "Dezky.Local"},
            ("domain",),
            "Value error, domain 'Dezky.Local' is not a lowercase DNS name such as 'dezky.local'",
        ),
        (
            {"name_prefix": "9dezky"},
            ("name_prefix",),
            "Value error, name_prefix '9dezky' must start with a letter and use only a-z, 0-9 and '-'",
        ),
    ],
)
def test_names_are_validated(data: dict[str, str], loc: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate(data)
    assert _only_error(excinfo) == (loc, message)


def test_host_ports_must_be_tcp_ports() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"ports": {"https": 70000}})
    assert _only_error(excinfo)[0] == ("ports", "https")


# -- load_docker_settings: the stack config's view -------------------------------------------------
def test_load_takes_domain_and_ocis_from_the_stack() -> None:
    settings = load_docker_settings({}, domain="dev.example.org", ocis=False)
    assert settings.domain == "dev.example.org"
    assert settings.host("auth") == "auth.dev.example.org"
    assert settings.services.ocis is False
    assert load_docker_settings({"services": {"ocis": True}}, domain="dezky.local", ocis=False).services.ocis


def test_load_names_each_bad_key_as_the_stack_config_spells_it(checkout: Checkout) -> None:
    (checkout.monorepo / "services/platform-api").rmdir()
    raw = {
        "images": {"postgres": "postgres"},
        "services": {"redis": True},
        "ports": {"bind_address": "localhost"},
        "portal": {"mode": "image"},
    }
    with pytest.raises(ConfigError) as raised:
        _load(raw)
    parts = re.split(r"; (?=stack config `)", str(raised.value))
    assert [re.match(r"stack config `([^`]+)`: ", part)[1] for part in parts] == [  # type: ignore[index]
        "dezky:docker.images.postgres",
        "dezky:docker.portal.image",
        "dezky:docker.services.redis",
        "dezky:docker.ports.bind_address",
        "dezky:docker.monorepo_root",
    ]
    assert parts[0] == (
        "stack config `dezky:docker.images.postgres`: image postgres='postgres' has no tag; "
        "pin it as postgres:<version> or postgres@sha256:<digest>"
    )
    assert parts[1].endswith("such as ghcr.io/<org>/<app>:<version>, or use mode 'dev'")
    assert parts[2] == "stack config `dezky:docker.services.redis`: Extra inputs are not permitted"
    assert str(checkout.monorepo / "services/platform-api") in parts[4]


def test_load_names_a_missing_source_dir_as_written(checkout: Checkout) -> None:
    with pytest.raises(ConfigError) as raised:
        _load({"platform_api": {"source_dir": "/nowhere/platform-api"}})
    assert str(raised.value) == (
        "stack config `dezky:docker.platform_api.source_dir`: /nowhere/platform-api is not a folder; "
        "give the app's checkout, bind-mounted at /app"
    )


def test_load_blames_the_stack_domain_not_the_docker_settings() -> None:
    with pytest.raises(ConfigError) as raised:
        _load({}, domain="Dezky.Local")
    assert str(raised.value) == (
        "stack config `dezky:domain`: domain 'Dezky.Local' is not a lowercase DNS name such as 'dezky.local'"
    )
    with pytest.raises(ConfigError, match=r"^stack config `dezky:docker\.domain`: domain 'X' is not"):
        _load({"domain": "X"})
    assert _load({"domain": "other.local"}).domain == "other.local"


def test_load_routes_the_tenant_hosts_and_refuses_them_as_a_docker_key() -> None:
    hosts = ["acme.auth.dezky.local"]
    assert load_docker_settings({}, domain="dezky.local", ocis=True, tenant_hosts=hosts).tenant_hosts == (
        "acme.auth.dezky.local",
    )
    with pytest.raises(ConfigError, match=r"`dezky:docker.tenant_hosts` is not a setting: .*`dezky:tenants`"):
        load_docker_settings({"tenant_hosts": hosts}, domain="dezky.local", ocis=True)


def test_the_keys_whose_default_is_another_stack_key_get_its_value() -> None:
    # the configuration page shows these defaults as the other key (FROM_STACK): they must be so
    settings = load_docker_settings({}, domain="other.example", ocis=False)
    given = {"domain": "other.example", "services.ocis": False}
    assert FROM_STACK.keys() == given.keys()
    for key, value in given.items():
        found: object = settings
        for part in key.split("."):
            found = getattr(found, part)
        assert found == value, key


def test_every_derived_field_is_refused_as_a_docker_key() -> None:
    for key in DERIVED:
        with pytest.raises(ConfigError, match=rf"^stack config `dezky:docker\.{key}` is not a setting: "):
            load_docker_settings({key: ()}, domain="dezky.local", ocis=True)
