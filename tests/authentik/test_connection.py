"""Where the providers' connection comes from: the stack config, else the environment (the names
terraform-provider-authentik uses), and every message names the setting the way it was given."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from dezky_infra.authentik.api import sessions, versions
from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import SETTINGS, ConnectionSettings
from dezky_infra.authentik.api.errors import AuthentikAuthError, AuthentikConfigError
from dezky_infra.authentik.api.lookups import forget_reference_data
from dezky_infra.authentik.group import GroupProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import ADMIN_TOKEN, AKADMIN_PASSWORD

ENVIRONMENT = {"AUTHENTIK_URL": "https://env.example", "AUTHENTIK_TOKEN": "from-env-0123456789"}


def test_every_setting_has_a_config_key_and_an_environment_variable_of_its_own() -> None:
    assert [s.field for s in SETTINGS] == [
        f for f in ConnectionSettings.model_fields if f in {s.field for s in SETTINGS}
    ]
    assert len({s.env_var for s in SETTINGS}) == len({s.config_key for s in SETTINGS}) == len(SETTINGS)
    assert {s.env_var for s in SETTINGS} >= {"AUTHENTIK_URL", "AUTHENTIK_TOKEN", "AUTHENTIK_INSECURE"}


def test_the_environment_fills_what_the_stack_config_does_not_give() -> None:
    settings = ConnectionSettings.from_stack_config(
        {"dezky:authentikUrl": "https://config.example"}, {**ENVIRONMENT, "AUTHENTIK_INSECURE": "true"}
    )
    assert settings.url == "https://config.example"
    assert settings.token is not None and settings.token.get_secret_value() == "from-env-0123456789"
    assert settings.insecure_skip_tls_verify is True
    assert settings.from_environment == {"token", "insecure_skip_tls_verify"}
    assert settings.name_of("url") == "dezky:authentikUrl"
    assert settings.name_of("token") == "AUTHENTIK_TOKEN"
    assert "from-env" not in repr(settings)


def test_without_an_environment_only_the_stack_config_counts() -> None:
    with pytest.raises(AuthentikConfigError, match=r"^stack config `dezky:authentikUrl` is not set: run"):
        ConnectionSettings.from_stack_config({}, None)
    with pytest.raises(
        AuthentikConfigError, match=r"is not set \(or the environment variable `AUTHENTIK_URL`\)"
    ):
        ConnectionSettings.from_stack_config({}, {})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"AUTHENTIK_URL": "auth.example"},
            "environment variable `AUTHENTIK_URL`: 'auth.example' is not an absolute http(s) URL; write "
            "it like 'https://auth.dezky.local'",
        ),
        (
            {**ENVIRONMENT, "AUTHENTIK_INSECURE": "sometimes"},
            "environment variable `AUTHENTIK_INSECURE`: Input should be a valid boolean",
        ),
        (
            {**ENVIRONMENT, "AUTHENTIK_CA_BUNDLE": "/nonexistent/ca.pem"},
            "environment variable `AUTHENTIK_CA_BUNDLE`: CA bundle file '/nonexistent/ca.pem' does not exist",
        ),
    ],
)
def test_a_bad_value_from_the_environment_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(AuthentikConfigError) as raised:
        ConnectionSettings.from_stack_config({}, environ)
    assert str(raised.value).startswith(message), str(raised.value)


def test_settings_not_given_at_all_are_named_the_way_the_url_was_given() -> None:
    from_env = ConnectionSettings.from_stack_config({}, ENVIRONMENT)
    from_config = ConnectionSettings.from_stack_config({"dezky:authentikUrl": "https://c.example"}, {})
    assert from_env.name_of("bootstrap_password") == "AUTHENTIK_BOOTSTRAP_PASSWORD"
    assert from_env.how_to_set("token", "<key>") == "export AUTHENTIK_TOKEN=<key>"
    assert from_config.name_of("bootstrap_password") == "dezky:authentikBootstrapPassword"
    assert from_config.how_to_set("token", "<key>") == "pulumi config set --secret dezky:authentikToken <key>"


def configured_from(environ: dict[str, str], monkeypatch: pytest.MonkeyPatch, **config: str) -> GroupProvider:
    """A group provider as the engine starts it: stack config ``config``, process environment ``environ``."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.env_var, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    forget_reference_data()
    sessions.forget()
    versions.forget()
    provider = GroupProvider()
    provider.configure(ConfigureRequest(Config(config, "dezky")))
    return provider


def test_a_provider_connects_from_the_environment_alone(
    fresh_authentik: AuthentikServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = configured_from(
        {"AUTHENTIK_URL": fresh_authentik.url, "AUTHENTIK_TOKEN": ADMIN_TOKEN}, monkeypatch
    )
    created = groups.create(groups.check({}, {"name": "from-the-environment"}).inputs)
    assert groups.read(created.id, created.outs).inputs["name"] == "from-the-environment"
    groups.delete(created.id, created.outs)


def test_a_refused_token_from_the_environment_is_named_as_such(
    fresh_authentik: AuthentikServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "not-the-token-0123456789"
    groups = configured_from({"AUTHENTIK_URL": fresh_authentik.url, "AUTHENTIK_TOKEN": wrong}, monkeypatch)
    with pytest.raises(AuthentikAuthError) as raised:
        groups.create(groups.check({}, {"name": "never"}).inputs)
    message = str(raised.value)
    assert "the API token in `AUTHENTIK_TOKEN` is unknown to authentik or expired" in message
    assert "`export AUTHENTIK_TOKEN=<key>`" in message
    assert "`AUTHENTIK_BOOTSTRAP_PASSWORD`" in message
    assert wrong not in message


def test_both_credentials_from_the_environment_refused_names_both_variables(
    fresh_authentik: AuthentikServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {
        "AUTHENTIK_URL": fresh_authentik.url,
        "AUTHENTIK_TOKEN": "not-the-token-0123456789",
        "AUTHENTIK_BOOTSTRAP_PASSWORD": "not-the-password",
    }
    groups = configured_from(environ, monkeypatch, **{"dezky:authentikRetryDeadlineSeconds": "2"})
    with pytest.raises(AuthentikAuthError) as raised:
        groups.create(groups.check({}, {"name": "never"}).inputs)
    message = str(raised.value)
    assert message.startswith("authentik refused both credentials: the API token in `AUTHENTIK_TOKEN`")
    assert "the password in `AUTHENTIK_BOOTSTRAP_PASSWORD`" in message
    assert "not-the-" not in message


def test_the_stack_config_wins_over_the_environment(
    fresh_authentik: AuthentikServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = configured_from(
        {"AUTHENTIK_URL": "http://127.0.0.1:9", "AUTHENTIK_TOKEN": "not-the-token-0123456789"},
        monkeypatch,
        **{"dezky:authentikUrl": fresh_authentik.url, "dezky:authentikToken": ADMIN_TOKEN},
    )
    created = groups.create(groups.check({}, {"name": "config-wins"}).inputs)
    groups.delete(created.id, created.outs)


def test_secrets_from_the_environment_never_reach_a_message(
    fresh_authentik: AuthentikServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ConnectionSettings.from_stack_config(
        {}, {"AUTHENTIK_URL": fresh_authentik.url, "AUTHENTIK_BOOTSTRAP_PASSWORD": AKADMIN_PASSWORD}
    )
    with AuthentikClient(settings) as client:
        seen: list[Any] = [repr(settings), repr(client), client.redact(f"x {AKADMIN_PASSWORD} y")]
    assert all(AKADMIN_PASSWORD not in str(text) for text in seen)
