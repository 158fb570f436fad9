"""Stack config a person could mistype: each value is refused when the program loads the config (so at
``pulumi preview``, before anything is written), naming the key as ``pulumi config`` spells it and the
fix. The real engine's view of the same rows is tests/faults/test_bad_input.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.errors import AuthentikConfigError
from dezky_infra.program.config import ConfigError, load_stack_config
from tests.conftest import ca_certificate_pem

BASE = {"dezky:authentikUrl": "https://auth.dezky.local", "dezky:dockerEnabled": "false"}


def load(**config: Any) -> None:
    """Load the stack config ``BASE`` + ``config`` (structured values as JSON, as pulumi stores them)."""
    values = {**BASE, **{k.replace("__", ":"): v for k, v in config.items()}}
    pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()})
    load_stack_config(pulumi.Config("dezky"))


def refused(**config: Any) -> str:
    with pytest.raises(ConfigError) as raised:
        load(**config)
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        (
            "dezky__tenants",
            [{"slug": "acme\n"}],
            "stack config `dezky:tenants[0].slug`: slug 'acme\\n' may only",
        ),
        (
            "dezky__namePrefix",
            "alice-\n",
            "stack config `dezky:namePrefix`: 'alice-\\n' is not a name prefix",
        ),
        (
            "dezky__oidcClients",
            {"mail": {"name": "Mail", "redirect_uris": ["https://m.dezky.local/cb"], "env_prefix": "MAIL\n"}},
            "stack config `dezky:oidcClients.mail.env_prefix`: 'MAIL\\n' is not an env key prefix",
        ),
    ],
    ids=["tenant slug", "name prefix", "env prefix"],
)
def test_a_trailing_newline_matches_no_name_pattern(key: str, value: Any, shown: str) -> None:
    assert refused(**{key: value}).startswith(shown)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("namePrefx", "namePrefix"), ("authentikURL", "authentikUrl"), ("tenant", "tenants")],
)
def test_an_unknown_key_is_refused_with_the_closest_known_one(typo: str, meant: str) -> None:
    assert refused(**{f"dezky__{typo}": "x"}) == (
        f"stack config `dezky:{typo}` is not a setting of dezky-infra; did you mean `dezky:{meant}`? "
        f"(remove it with `pulumi config rm {typo}`)"
    )


def test_every_key_the_program_and_its_providers_read_is_known() -> None:
    load(
        dezky__namePrefix="alice-",
        dezky__authentikToken="t",
        dezky__authentikBootstrapPassword="p",
        dezky__authentikTimeoutSeconds="10",
        dezky__authentikRetryDeadlineSeconds="60",
        dezky__authentikInsecureSkipTlsVerify="false",
        dezky__postgresPassword="pg",
        dezky__authentikSecretKey="sk",
        dezky__adoptExisting="true",
        dezky__adopt={"alice-ops": True},
    )


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("https://app.dezky.local/cb#x", "has a fragment ('#...'), which a redirect URI must not have"),
        ("https://*.dezky.local/cb", "has a wildcard, but a strict redirect URI is compared exactly"),
        ("https://app.dezky.local/*", "has a wildcard, but a strict redirect URI is compared exactly"),
        ("https://app.dezky.local:99999/cb", "has no valid port after ':' (1-65535)"),
        ("https://user:pw@app.dezky.local/cb", "carries a user name or password before '@'"),
    ],
    ids=["fragment", "wildcard host", "wildcard path", "port", "userinfo"],
)
def test_a_redirect_uri_a_strict_match_cannot_serve_is_refused(uri: str, reason: str) -> None:
    message = refused(dezky__oidcClients={"dezky-portal": {"redirect_uris": [uri]}})
    assert message.startswith("stack config `dezky:oidcClients.dezky-portal.redirect_uris[0]`: "), message
    assert reason in message
    assert "pw" not in message  # a password in a URL is not echoed


def test_scopes_without_openid_are_refused() -> None:
    for scopes in ([], ["profile", "email"]):
        assert refused(dezky__oidc={"scopes": scopes}).startswith(
            "stack config `dezky:oidc.scopes`: the OIDC clients need the scope 'openid'"
        )


def test_a_bad_key_of_a_mapping_names_the_mapping_not_a_key_path() -> None:
    message = refused(dezky__oidcClients={"Mail Server": {"name": "M", "redirect_uris": ["https://m.x/cb"]}})
    assert message.startswith("stack config `dezky:oidcClients` (its key 'Mail Server'): slug 'Mail Server'")
    assert ".[" not in message


def test_authentik_url_errors_show_an_authentik_url_as_the_example() -> None:
    assert "write it like 'https://auth.dezky.local'" in refused(dezky__authentikUrl="auth.dezky.local")


def test_a_ca_bundle_that_is_not_pem_is_refused(tmp_path: Path) -> None:
    assert "holds no PEM certificate" in refused(dezky__authentikCaBundle="/etc/hostname")
    bundle = tmp_path / "rootCA.pem"
    bundle.write_bytes(ca_certificate_pem())
    load(dezky__authentikCaBundle=str(bundle))


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
@pytest.mark.parametrize("key", ["authentikTimeoutSeconds", "authentikRetryDeadlineSeconds"])
def test_an_endless_timeout_is_refused(key: str, value: str) -> None:
    assert refused(**{f"dezky__{key}": value}).startswith(f"stack config `dezky:{key}`: ")
    with pytest.raises(AuthentikConfigError):
        ConnectionSettings.from_stack_config(
            {"dezky:authentikUrl": "https://a.example", f"dezky:{key}": value}
        )
