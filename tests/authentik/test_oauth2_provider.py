"""OAuth2Provider lifecycle against the local authentik-compatible server."""

from __future__ import annotations

import time
from typing import Any

import pytest

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.lookups import AuthentikLookupError, forget_reference_data
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider, OAuth2ProviderSpec
from tests.authentik_server import AuthentikServer
from tests.conftest import configured

PORTAL: dict[str, Any] = {
    "name": "dezky-portal",
    "client_type": "confidential",
    "client_id": "dezky-portal",
    "redirect_uris": [{"url": "https://app.dezky.local/api/auth/callback"}],
}


def checked(provider: OAuth2ProviderProvider, news: dict[str, Any]) -> dict[str, Any]:
    result = provider.check({}, news)
    assert result.failures == []
    return result.inputs


def test_create_read_noop_update_delete(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    inputs = checked(provider, PORTAL)
    created = provider.create(inputs)
    outs = created.outs
    assert outs["client_id"] == "dezky-portal"
    assert len(outs["client_secret"]) == 128
    assert created.id == str(outs["pk"])
    live = admin.get(f"providers/oauth2/{created.id}/")
    assert live["redirect_uris"] == [
        {"matching_mode": "strict", "url": "https://app.dezky.local/api/auth/callback"}
    ]
    assert len(live["property_mappings"]) == 3
    # state shows names, not pks
    assert outs["authorization_flow"] == "default-provider-authorization-implicit-consent"
    assert outs["scopes"] == ["email", "openid", "profile"]

    read = provider.read(created.id, outs)
    assert read.id == created.id
    assert read.inputs == inputs
    assert provider.diff(created.id, read.outs, inputs).changes is False

    fresh_authentik.reset_calls()
    new_inputs = checked(
        provider,
        {**PORTAL, "redirect_uris": [*PORTAL["redirect_uris"], {"url": "https://app.dezky.local/other"}]},
    )
    assert provider.diff(created.id, outs, new_inputs).changes is True
    updated = provider.update(created.id, outs, new_inputs)
    assert updated.outs["client_secret"] == outs["client_secret"]  # update keeps the secret
    assert [c.method for c in fresh_authentik.calls] == ["PATCH"]  # no lookups for unchanged names
    assert len(admin.get(f"providers/oauth2/{created.id}/")["redirect_uris"]) == 2

    provider.delete(created.id, updated.outs)
    assert admin.get_or_none(f"providers/oauth2/{created.id}/") is None
    provider.delete(created.id, updated.outs)  # already gone: fine


def test_refresh_reports_out_of_band_changes_with_names(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    inputs = checked(provider, PORTAL)
    created = provider.create(inputs)
    explicit = admin.list_all(
        "flows/instances/", {"slug": "default-provider-authorization-explicit-consent"}
    )[0]
    admin.patch(
        f"providers/oauth2/{created.id}/",
        {
            "redirect_uris": [{"matching_mode": "strict", "url": "https://evil.example/cb"}],
            "authorization_flow": explicit["pk"],
        },
    )
    read = provider.read(created.id, created.outs)
    assert read.inputs["redirect_uris"] == [{"url": "https://evil.example/cb", "matching_mode": "strict"}]
    assert read.inputs["authorization_flow"] == "default-provider-authorization-explicit-consent"
    diff = provider.diff(created.id, read.outs, inputs)
    assert diff.changes is True
    restored = provider.update(created.id, read.outs, inputs)
    live = admin.get(f"providers/oauth2/{created.id}/")
    assert live["redirect_uris"] == [
        {"matching_mode": "strict", "url": "https://app.dezky.local/api/auth/callback"}
    ]
    assert live["authorization_flow"] == restored.outs["authentik_ids"]["authorization_flow"]


def test_refresh_of_deleted_provider_reports_it_gone(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    created = provider.create(checked(provider, PORTAL))
    admin.delete(f"providers/oauth2/{created.id}/")
    assert provider.read(created.id, created.outs).id is None


def test_create_adopts_a_provider_made_by_hand(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    flow = admin.list_all("flows/instances/", {"slug": "default-provider-authorization-implicit-consent"})[0][
        "pk"
    ]
    inval = admin.list_all("flows/instances/", {"slug": "default-provider-invalidation-flow"})[0]["pk"]
    by_hand = admin.post(
        "providers/oauth2/",
        {
            "name": "dezky-portal",
            "authorization_flow": flow,
            "invalidation_flow": inval,
            "client_id": "dezky-portal",
            "redirect_uris": [{"matching_mode": "strict", "url": "http://old.example/cb"}],
        },
    )
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    created = provider.create(checked(provider, PORTAL))
    assert created.id == str(by_hand["pk"])
    assert created.outs["client_secret"] == by_hand["client_secret"]
    providers = admin.list_all("providers/oauth2/")
    assert [p["name"] for p in providers] == ["dezky-portal"]
    assert providers[0]["redirect_uris"] == [
        {"matching_mode": "strict", "url": "https://app.dezky.local/api/auth/callback"}
    ]


def test_generated_client_id_does_not_diff(fresh_authentik: AuthentikServer) -> None:
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    inputs = checked(provider, {**PORTAL, "client_id": None})
    created = provider.create(inputs)
    assert len(created.outs["client_id"]) == 40
    read = provider.read(created.id, created.outs)
    assert read.inputs["client_id"] == created.outs["client_id"]
    assert provider.diff(created.id, created.outs, inputs).changes is False
    assert provider.diff(created.id, read.outs, inputs).changes is False


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"authorization_flow": "no-such-flow"},
            "field `authorization_flow`: no flow with slug `no-such-flow`; authentik's authorization flows: ",
        ),
        (
            {"signing_key": "dezky Missing Key"},
            "field `signing_key`: no certificate keypair named `dezky Missing Key`; "
            "authentik has: `authentik Self-signed Certificate`",
        ),
        (
            {"scopes": ["openid", "tenant"]},
            "field `scopes`: no scope mapping for scope `tenant`; authentik has: ",
        ),
    ],
)
def test_unknown_names_fail_at_preview_and_at_apply_naming_the_field(
    fresh_authentik: AuthentikServer, override: dict[str, Any], message: str
) -> None:
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    failures = provider.check({}, {**PORTAL, **override}).failures
    assert [(f.property, f.reason[: len(message)]) for f in failures] == [(next(iter(override)), message)]
    static = OAuth2ProviderSpec.model_validate({**PORTAL, **override}).inputs()
    with pytest.raises(AuthentikLookupError) as raised:
        provider.create(static)
    assert str(raised.value).startswith(message)
    assert all(c.method == "GET" for c in fresh_authentik.calls)  # nothing was written


def test_preview_verifies_only_new_or_changed_names(fresh_authentik: AuthentikServer) -> None:
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    inputs = checked(provider, PORTAL)
    fresh_authentik.reset_calls()
    provider.check(inputs, PORTAL)  # unchanged names: no call at all
    assert fresh_authentik.calls == []
    forget_reference_data()
    provider.check(inputs, {**PORTAL, "invalidation_flow": "default-invalidation-flow"})
    assert [c.path for c in fresh_authentik.calls] == ["/api/v3/flows/instances/"]


def test_preview_with_authentik_down_warns_and_keeps_static_checks(
    fresh_authentik: AuthentikServer, capsys: pytest.CaptureFixture[str]
) -> None:
    provider = configured(
        OAuth2ProviderProvider(), fresh_authentik, **{"dezky:authentikRetryDeadlineSeconds": "0.5"}
    )
    fresh_authentik.stop()
    try:
        ok = provider.check({}, PORTAL)
        bad = provider.check({}, {**PORTAL, "client_type": "secret"})
        started = time.monotonic()
        second = provider.check({}, {**PORTAL, "name": "ocis-provider"})
        assert time.monotonic() - started < 0.2  # no second wait for an authentik known to be down
    finally:
        fresh_authentik.start()
    assert ok.failures == [] and second.failures == []
    assert [f.property for f in bad.failures] == ["client_type"]
    # pulumi.log.warn: the engine shows it under the stack's diagnostics
    warning = [line for line in capsys.readouterr().err.splitlines() if "could not verify" in line]
    assert len(warning) == 2 and "OAuth2Provider `ocis-provider`" in warning[1]
    assert warning[0].startswith(
        "warning: OAuth2Provider `dezky-portal`: could not verify authorization_flow, invalidation_flow, "
        f"signing_key, scopes against authentik (authentik at {fresh_authentik.url} did not answer GET"
    )


def test_client_id_taken_by_another_provider_is_a_clear_error(
    fresh_authentik: AuthentikServer,
) -> None:
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    provider.create(checked(provider, PORTAL))
    with pytest.raises(Exception) as raised:
        provider.create(checked(provider, {**PORTAL, "name": "another"}))
    assert str(raised.value) == (
        "authentik answered 400 to POST /api/v3/providers/oauth2/: "
        "field `client_id`: OAuth2/OpenID Provider with this Client ID already exists."
    )
