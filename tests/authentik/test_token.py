"""ApiToken lifecycle, including the first token on a fresh authentik via the password login."""

from __future__ import annotations

import pytest

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.errors import AuthentikAuthError
from dezky_infra.authentik.token import KEY_CHANGED_OUT_OF_BAND, ApiTokenProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import AKADMIN_PASSWORD, configured

SERVICE_KEY = "platform-api-service-key-0f3b9d2c7a6e4b18"


def token_inputs(key: str = SERVICE_KEY) -> dict[str, object]:
    return ApiTokenProvider().check({}, {"identifier": "dezky-bootstrap-token", "key": key}).inputs


def bearer(server: AuthentikServer, key: str) -> AuthentikClient:
    return AuthentikClient(ConnectionSettings(url=server.url, token=key, retry_deadline_seconds=1))


def test_token_lifecycle(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    tokens = configured(ApiTokenProvider(), fresh_authentik)
    created = tokens.create(token_inputs())
    assert created.id == "dezky-bootstrap-token"
    live = admin.get("core/tokens/dezky-bootstrap-token/")
    assert (live["intent"], live["expiring"], live["user_obj"]["username"]) == ("api", False, "akadmin")
    with bearer(fresh_authentik, SERVICE_KEY) as client:
        assert client.get("core/users/me/")["user"]["username"] == "akadmin"

    read = tokens.read(created.id, created.outs)
    assert read.inputs == token_inputs()
    assert tokens.diff(created.id, read.outs, token_inputs()).changes is False  # `expires` moved: no diff

    rotated = token_inputs("rotated-service-key-9a8b7c6d5e4f")
    tokens.update(created.id, created.outs, rotated)
    with bearer(fresh_authentik, "rotated-service-key-9a8b7c6d5e4f") as client:
        assert client.get("core/users/me/")["user"]["username"] == "akadmin"

    tokens.delete(created.id, {**created.outs, **rotated})
    assert admin.get_or_none("core/tokens/dezky-bootstrap-token/") is None
    tokens.delete(created.id, created.outs)


def test_key_changed_out_of_band_is_drift_without_copying_the_key(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    tokens = configured(ApiTokenProvider(), fresh_authentik)
    created = tokens.create(token_inputs())
    admin.post("core/tokens/dezky-bootstrap-token/set_key/", {"key": "someone-elses-key-123456"})
    read = tokens.read(created.id, created.outs)
    assert read.inputs["key"] == KEY_CHANGED_OUT_OF_BAND
    assert "someone-elses-key-123456" not in repr(read.outs)
    assert tokens.diff(created.id, read.outs, token_inputs()).changes is True
    tokens.update(created.id, read.outs, token_inputs())
    assert admin.get("core/tokens/dezky-bootstrap-token/view_key/")["key"] == SERVICE_KEY


def test_first_token_on_a_fresh_authentik_uses_the_bootstrap_password(authentik: AuthentikServer) -> None:
    """No API token exists: the configured key is refused, so the provider logs in as akadmin."""
    authentik.wipe(bootstrap_token=None)
    try:
        tokens = configured(ApiTokenProvider(), authentik, **{"dezky:authentikToken": SERVICE_KEY})
        tokens.create(token_inputs())
        with bearer(authentik, SERVICE_KEY) as client:
            assert client.get("core/tokens/dezky-bootstrap-token/")["expiring"] is False
        writes = [c for c in authentik.calls if c.method != "GET"]
        assert writes[-2].path.endswith("/core/tokens/") and writes[-1].path.endswith("/set_key/")
    finally:
        authentik.wipe()


def test_wrong_bootstrap_password_is_a_clear_error_without_the_password(authentik: AuthentikServer) -> None:
    authentik.wipe(bootstrap_token=None)
    try:
        wrong = "not-the-akadmin-password"
        tokens = configured(
            ApiTokenProvider(),
            authentik,
            **{"dezky:authentikToken": SERVICE_KEY, "dezky:authentikBootstrapPassword": wrong},
        )
        with pytest.raises(AuthentikAuthError) as raised:
            tokens.create(token_inputs())
        message = str(raised.value)
        assert "login stage ak-stage-password rejected password" in message
        assert "dezky:authentikBootstrapPassword" in message
        assert wrong not in message and SERVICE_KEY not in message and AKADMIN_PASSWORD not in message
    finally:
        authentik.wipe()


def test_adoption_of_an_expiring_token_made_by_hand(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    admin.post(
        "core/tokens/", {"identifier": "dezky-bootstrap-token", "intent": "api"}
    )  # expiring by default
    tokens = configured(ApiTokenProvider(), fresh_authentik)
    tokens.create(token_inputs())
    assert admin.get("core/tokens/dezky-bootstrap-token/")["expiring"] is False
    assert admin.get("core/tokens/dezky-bootstrap-token/view_key/")["key"] == SERVICE_KEY


def test_wiped_database_is_seen_by_refresh(fresh_authentik: AuthentikServer) -> None:
    tokens = configured(ApiTokenProvider(), fresh_authentik)
    created = tokens.create(token_inputs())
    fresh_authentik.wipe()
    assert tokens.read(created.id, created.outs).id is None
