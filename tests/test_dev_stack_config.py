"""Pulumi.dev.example.yaml (the template of every developer's Pulumi.dev.yaml) stays true to the code:
every key it sets is one the program reads and accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from dezky_infra.program.config import ConfigError, StackConfig, load_stack_config
from dezky_infra.program.docker.settings import AppMode, DockerSettings, load_docker_settings
from tests.conftest import monorepo_checkout

REPO = Path(__file__).resolve().parents[1]


def dev_config() -> dict[str, Any]:
    document = yaml.safe_load((REPO / "Pulumi.dev.example.yaml").read_text())
    return dict(document["config"])


def use_dev_config() -> None:
    config = dev_config()
    assert all(key.startswith("dezky:") for key in config)
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, []
    )


def docker_settings(stack: StackConfig) -> DockerSettings:
    """The docker layer's settings the way `DezkyStack` loads them."""
    return load_docker_settings(stack.docker, domain=stack.domain, ocis=stack.ocis_enabled)


def test_every_key_is_in_the_dezky_namespace_and_read_by_the_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(monorepo_checkout(tmp_path).project)
    use_dev_config()
    stack = load_stack_config(pulumi.Config("dezky"))
    assert stack.docker_enabled is True
    assert stack.public_url == "https://auth.dezky.local"
    settings = docker_settings(stack)
    assert settings.platform_api.mode is settings.portal.mode is AppMode.DEV
    assert settings.source_dir(settings.platform_api) == tmp_path / "services" / "platform-api"
    assert settings.source_dir(settings.portal) == tmp_path / "services" / "portal"
    assert str(settings.tls.ca_file).endswith("certs/rootCA.pem")


def test_outside_the_monorepo_the_preview_fails_naming_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(monorepo_checkout(tmp_path, with_apps=False).project)
    use_dev_config()
    stack = load_stack_config(pulumi.Config("dezky"))
    with pytest.raises(ConfigError) as raised:
        docker_settings(stack)
    message = str(raised.value)
    assert message.startswith(f"stack config `dezky:docker.monorepo_root`: {tmp_path} is not a Dezky")
    assert (
        f"dev mode runs platform_api from {tmp_path}/services/platform-api and portal from "
        f"{tmp_path}/services/portal, which are not folders;"
    ) in message
    assert message.endswith("or set platform_api.source_dir and portal.source_dir")


def test_a_missing_mkcert_root_fails_naming_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    use_dev_config()
    with pytest.raises(ConfigError) as raised:
        load_stack_config(pulumi.Config("dezky"))
    assert str(raised.value) == (
        "stack config `dezky:authentikCaBundle`: CA bundle file 'certs/rootCA.pem' does not exist; "
        "give the path of a PEM file"
    )
