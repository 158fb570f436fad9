"""Pulumi.dev.yaml stays true to the code: every key it sets is one the program reads and accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from dezky_infra.config import ConfigError, load_stack_config
from dezky_infra.docker import DockerSettings

REPO = Path(__file__).resolve().parents[1]


def dev_config() -> dict[str, Any]:
    document = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())
    return dict(document["config"])


def test_every_key_is_in_the_dezky_namespace_and_read_by_the_program(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the program runs in the project folder, where the developer put the mkcert files
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "rootCA.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.chdir(tmp_path)
    config = dev_config()
    assert all(key.startswith("dezky:") for key in config)
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, []
    )
    stack = load_stack_config(pulumi.Config("dezky"))
    assert stack.docker_enabled is True
    assert stack.public_url == "https://auth.dezky.local"
    settings = DockerSettings.model_validate({"domain": stack.domain, **stack.docker})
    assert settings.platform_api.mode.value == "image"
    assert str(settings.tls.ca_file).endswith("certs/rootCA.pem")


def test_a_missing_mkcert_root_fails_naming_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = dev_config()
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, []
    )
    with pytest.raises(ConfigError) as raised:
        load_stack_config(pulumi.Config("dezky"))
    assert str(raised.value) == (
        "stack config `dezky:authentikCaBundle`: CA bundle file 'certs/rootCA.pem' does not exist; "
        "give the path of a PEM file"
    )
