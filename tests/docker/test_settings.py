"""The settings model: dev defaults, pinned images, dev-mode and name validation."""

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from dezky_infra.docker.settings import AppMode, DockerSettings


def _only_error(excinfo: pytest.ExceptionInfo[ValidationError]) -> tuple[tuple[str | int, ...], str]:
    errors = excinfo.value.errors()
    assert len(errors) == 1
    return errors[0]["loc"], errors[0]["msg"]


def test_defaults_describe_the_dev_stack() -> None:
    settings = DockerSettings()
    assert settings.domain == "dezky.local"
    assert settings.name_prefix == "dezky"
    assert settings.network_name == "dezky-net"
    assert settings.host("auth") == "auth.dezky.local"
    assert settings.images.model_dump() == {
        "postgres": "postgres:16-alpine",
        "authentik": "ghcr.io/goauthentik/server:2025.10.4",
        "traefik": "traefik:v3.6.2",
        "ocis": "owncloud/ocis:7.1.3",
        "platform_api": "ghcr.io/dezky/platform-api:0.1.0",
        "portal": "ghcr.io/dezky/portal:0.1.0",
        "node": "node:22-alpine",
    }
    assert settings.platform_api.mode is AppMode.IMAGE
    assert settings.platform_api.dev_command == ("sh", "-c", "npm install && exec npm run start:dev")
    assert settings.portal.mode is AppMode.IMAGE
    assert settings.services.ocis is True
    assert (settings.ports.http, settings.ports.https) == (80, 443)
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
        "registry.local:5000/dezky/portal:1.2.3",
        "ghcr.io/dezky/portal@sha256:" + "a" * 64,
        "ghcr.io/dezky/portal:1.2.3@sha256:" + "b" * 64,
    ],
)
def test_pinned_images_are_accepted(ref: str) -> None:
    assert DockerSettings.model_validate({"images": {"portal": ref}}).images.portal == ref


def test_latest_tag_is_rejected_naming_field_and_fix() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"images": {"portal": "ghcr.io/dezky/portal:latest"}})
    assert _only_error(excinfo) == (
        ("images", "portal"),
        "Value error, image portal='ghcr.io/dezky/portal:latest' uses the moving tag 'latest'; "
        "pin it as ghcr.io/dezky/portal:<version> or ghcr.io/dezky/portal@sha256:<digest>",
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


def test_dev_mode_needs_a_source_dir() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"platform_api": {"mode": "dev"}})
    assert _only_error(excinfo) == (
        ("platform_api",),
        "Value error, mode 'dev' needs source_dir: the folder with the app's source, bind-mounted at /app",
    )


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"services": {"ocis": True, "redis": True}})
    assert _only_error(excinfo)[0] == ("services", "redis")


def test_settings_are_frozen() -> None:
    settings = DockerSettings()
    with pytest.raises(ValidationError):
        settings.domain = "other.local"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"domain": "Dezky.Local"},
            "Value error, domain 'Dezky.Local' is not a lowercase DNS name such as 'dezky.local'",
        ),
        (
            {"name_prefix": "9dezky"},
            "Value error, name_prefix '9dezky' must start with a letter and use only a-z, 0-9 and '-'",
        ),
    ],
)
def test_names_are_validated(data: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate(data)
    assert _only_error(excinfo) == ((), message)


def test_host_ports_must_be_tcp_ports() -> None:
    with pytest.raises(ValidationError) as excinfo:
        DockerSettings.model_validate({"ports": {"https": 70000}})
    assert _only_error(excinfo)[0] == ("ports", "https")
