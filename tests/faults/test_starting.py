"""authentik while it starts or restarts: readiness waits as long as the config says, and a login flow
that is not there yet (authentik applies its default flows on first start, and answers 404 until then)
is "not ready", never a crash: apply waits for it, preview warns that the names went unverified."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from dezky_infra.authentik.api import sessions
from dezky_infra.authentik.api.errors import AuthentikUnavailableError
from dezky_infra.authentik.api.password_login import AUTHENTICATION_FLOW
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.authentik.readiness import ReadinessProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import configured

DEADLINE_KEY = "dezky:authentikRetryDeadlineSeconds"
PORTAL: dict[str, Any] = {
    "name": "dezky-portal",
    "client_id": "dezky-portal",
    "redirect_uris": [{"url": "https://app.dezky.local/api/auth/callback"}],
}


@contextlib.contextmanager
def login_flow_missing(server: AuthentikServer, for_seconds: float | None = None) -> Iterator[None]:
    """The login flow is absent (blueprints not applied yet); back after ``for_seconds`` or at the end."""
    with server.db.lock:
        pk = next(pk for pk, flow in server.db.flows.items() if flow["slug"] == AUTHENTICATION_FLOW)
        flow = server.db.flows.pop(pk)

    def restore() -> None:
        with server.db.lock:
            server.db.flows[pk] = flow

    timer = threading.Timer(for_seconds, restore) if for_seconds is not None else None
    if timer is not None:
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()
        restore()


@pytest.fixture
def tokenless(fresh_authentik: AuthentikServer) -> AuthentikServer:
    """A fresh authentik whose configured API token does not exist yet: a password login is needed."""
    fresh_authentik.wipe(bootstrap_token=None)
    return fresh_authentik


def test_readiness_waits_as_long_as_the_retry_deadline_says(fresh_authentik: AuthentikServer) -> None:
    ready = configured(ReadinessProvider(), fresh_authentik, **{DEADLINE_KEY: "1"})
    inputs = ready.check({}, {"trigger": "t"}).inputs
    assert "timeout_seconds" not in inputs  # no second, hidden setting
    fresh_authentik.stop()
    started = time.monotonic()
    try:
        with pytest.raises(AuthentikUnavailableError) as raised:
            ready.create(inputs)
    finally:
        fresh_authentik.start()
    assert time.monotonic() - started < 4
    assert f"was not ready within 1s (`{DEADLINE_KEY}` sets how long to wait)" in str(raised.value)


def test_readiness_waits_for_the_login_flow_of_a_starting_authentik(tokenless: AuthentikServer) -> None:
    ready = configured(ReadinessProvider(), tokenless, **{DEADLINE_KEY: "10"})
    with login_flow_missing(tokenless, for_seconds=1.0):
        created = ready.create(ready.check({}, {"trigger": "t"}).inputs)
    assert created.outs["user"] == "akadmin"


def test_a_login_flow_missing_past_the_deadline_is_not_ready_in_one_line(tokenless: AuthentikServer) -> None:
    providers = configured(OAuth2ProviderProvider(), tokenless, **{DEADLINE_KEY: "0.5"})
    inputs = providers.check({}, PORTAL).inputs
    sessions.forget()  # the check logged in; a new process (the apply) would have to log in again
    with login_flow_missing(tokenless), pytest.raises(AuthentikUnavailableError) as raised:
        providers.create(inputs)
    message = str(raised.value)
    assert message.startswith(
        f"authentik is not ready to log in: its login flow `{AUTHENTICATION_FLOW}` is not there"
    )
    assert DEADLINE_KEY in message and "\n" not in message


def test_preview_while_authentik_restarts_warns_instead_of_crashing(
    tokenless: AuthentikServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    providers = configured(OAuth2ProviderProvider(), tokenless, **{DEADLINE_KEY: "0.5"})
    warned: list[str] = []
    # pulumi.log goes to stderr or, once pulumi's mocks ran in this process, to logging: catch it here
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: warned.append(message))
    with login_flow_missing(tokenless):
        result = providers.check({}, PORTAL)
    assert result.failures == []
    warnings = [line for line in warned if "could not verify" in line]
    assert len(warnings) == 1
    assert "authentik is not ready to log in" in warnings[0]


def test_an_authentik_url_with_a_wrong_path_says_the_url_may_not_be_authentiks_base(
    fresh_authentik: AuthentikServer,
) -> None:
    """A path under which nothing answers (the HTML 404 of an unknown route, as a proxy without a route
    gives it too): the wait ends naming the setting and the URL that may be wrong."""
    wrong = f"{fresh_authentik.url}/not-authentik"
    ready = configured(
        ReadinessProvider(), fresh_authentik, **{DEADLINE_KEY: "1", "dezky:authentikUrl": wrong}
    )
    with pytest.raises(AuthentikUnavailableError) as raised:
        ready.create(ready.check({}, {"trigger": "t"}).inputs)
    message = str(raised.value)
    assert (
        f"last seen: {wrong}/-/health/ready/ answered HTTP 404 (a proxy that routes nothing there yet"
        in message
    )
    assert f"or `dezky:authentikUrl` ({wrong}) is not authentik's base URL)" in message


@contextlib.contextmanager
def password_applied_late(server: AuthentikServer, after_seconds: float) -> Iterator[None]:
    """akadmin's bootstrap password works only ``after_seconds`` from now (the worker applies it a little
    after the server answers)."""
    with server.db.lock:
        akadmin = server.db.user_by_username("akadmin")
        assert akadmin is not None
        password, akadmin.password = akadmin.password, None
    timer = threading.Timer(after_seconds, lambda: setattr(akadmin, "password", password))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        akadmin.password = password


def test_readiness_waits_for_a_bootstrap_password_applied_late(tokenless: AuthentikServer) -> None:
    ready = configured(ReadinessProvider(), tokenless, **{DEADLINE_KEY: "10"})
    with password_applied_late(tokenless, after_seconds=1.0):
        created = ready.create(ready.check({}, {"trigger": "t"}).inputs)
    assert created.outs["user"] == "akadmin"


def test_both_credentials_refused_past_the_deadline_names_both_keys(tokenless: AuthentikServer) -> None:
    wrong = "not-the-bootstrap-password"
    ready = configured(
        ReadinessProvider(), tokenless, **{DEADLINE_KEY: "1", "dezky:authentikBootstrapPassword": wrong}
    )
    with pytest.raises(AuthentikUnavailableError) as raised:
        ready.create(ready.check({}, {"trigger": "t"}).inputs)
    message = str(raised.value)
    assert "was not ready within 1s" in message
    assert "authentik refused both credentials: the API token in `dezky:authentikToken`" in message
    assert "the password in `dezky:authentikBootstrapPassword`" in message
    assert wrong not in message
