"""AuthentikClient on its own: URLs under a sub-path, pagination, errors people can act on, retries,
Retry-After, the deadline message, and secrets kept out of every message, repr and log record."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from email.utils import format_datetime

import httpx
import pytest

from dezky_infra.authentik.api import client as client_module
from dezky_infra.authentik.api.client import AuthentikClient, retry_after_seconds
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.errors import (
    AuthentikApiError,
    AuthentikAuthError,
    AuthentikError,
    AuthentikNotFoundError,
    AuthentikUnavailableError,
    AuthentikValidationError,
)
from dezky_infra.authentik.api.password_login import login_with_password
from dezky_infra.authentik.group import GroupProvider
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.authentik.token import ApiTokenProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import ADMIN_TOKEN, AKADMIN_PASSWORD, configured
from tests.faults.support import FakeTime, SubPathProxy, restored, secret_leaks

TOKEN_KEY = "client-test-service-token-key-8c1d2e3f4a5b"


def client_for(
    url: str, *, token: str = ADMIN_TOKEN, deadline: float = 3, **extra: object
) -> AuthentikClient:
    """A client for ``url`` with a short retry deadline."""
    settings = ConnectionSettings.model_validate(
        {"url": url, "token": token, "retry_deadline_seconds": deadline, **extra}
    )
    return AuthentikClient(settings)


def timed_client(server: AuthentikServer, time: FakeTime, deadline: float = 3) -> AuthentikClient:
    """A client whose sleeps and clock are ``time``'s, so retry timing is exact."""
    settings = ConnectionSettings(url=server.url, token=ADMIN_TOKEN, retry_deadline_seconds=deadline)
    return AuthentikClient(settings, sleep=time.sleep, clock=time.clock)


@pytest.fixture
def proxy(fresh_authentik: AuthentikServer) -> Iterator[SubPathProxy]:
    """The session server published at ``http://127.0.0.1:P/ak`` by a reverse proxy."""
    with SubPathProxy(fresh_authentik.url, "/ak") as published:
        yield published


# -- URLs ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://auth.dezky.local", "https://auth.dezky.local/api/v3/core/users/me/"),
        ("https://auth.dezky.local/", "https://auth.dezky.local/api/v3/core/users/me/"),
        ("http://host:9000/ak", "http://host:9000/ak/api/v3/core/users/me/"),
        ("http://host:9000/ak/", "http://host:9000/ak/api/v3/core/users/me/"),
        ("http://host/a/b", "http://host/a/b/api/v3/core/users/me/"),
    ],
)
def test_api_urls_keep_the_sub_path(base: str, expected: str) -> None:
    with client_for(base) as client:
        for path in ("core/users/me/", "/core/users/me/"):
            assert str(client.http.build_request("GET", path.lstrip("/")).url) == expected


def test_sub_path_base_url_works_through_a_reverse_proxy(
    proxy: SubPathProxy, fresh_authentik: AuthentikServer
) -> None:
    with client_for(proxy.url) as client:
        assert client.get("core/users/me/")["user"]["username"] == "akadmin"
        made = client.post("core/groups/", {"name": "via-sub-path"})
        assert client.get(f"core/groups/{made['pk']}/")["name"] == "via-sub-path"
    assert "/ak/api/v3/core/users/me/" in proxy.seen
    assert "/api/v3/core/users/me/" in [c.path for c in fresh_authentik.calls]


def test_password_login_works_under_a_sub_path(proxy: SubPathProxy) -> None:
    with client_for(proxy.url, token="t" * 40, bootstrap_password=AKADMIN_PASSWORD) as client:
        login_with_password(client)
        assert client.get("core/users/me/")["user"]["username"] == "akadmin"
        assert client.post("core/groups/", {"name": "session-write-via-sub-path"})["name"]


def test_wrong_sub_path_is_an_html_404_naming_the_url_key(proxy: SubPathProxy) -> None:
    with client_for(proxy.root) as client, pytest.raises(AuthentikNotFoundError) as raised:
        client.get("core/users/me/")
    assert str(raised.value) == (
        "authentik answered 404 to GET /api/v3/core/users/me/: no such API route (HTML 404): this "
        "authentik version does not serve it, or `dezky:authentikUrl` "
        f"({proxy.root}) is not authentik's base URL"
    )


def test_unknown_route_on_authentik_itself_is_a_clear_404(fresh_authentik: AuthentikServer) -> None:
    with client_for(fresh_authentik.url) as client, pytest.raises(AuthentikNotFoundError) as raised:
        client.get("no/such/route/")
    message = str(raised.value)
    assert message.startswith("authentik answered 404 to GET /api/v3/no/such/route/: no such API route")
    assert "<" not in message and "\n" not in message


def test_json_404_of_a_missing_object_is_not_found(fresh_authentik: AuthentikServer) -> None:
    with client_for(fresh_authentik.url) as client:
        assert client.get_or_none("core/groups/00000000-0000-0000-0000-000000000000/") is None
        assert client.delete("core/groups/00000000-0000-0000-0000-000000000000/") is False


# -- pagination -----------------------------------------------------------------------------------------
def test_list_all_follows_pagination_across_pages(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    seeded = {g["name"] for g in admin.list_all("core/groups/")}
    made = {f"page-test-{i:03d}" for i in range(230)}
    for name in sorted(made):
        admin.post("core/groups/", {"name": name})
    fresh_authentik.reset_calls()
    listed = [g["name"] for g in admin.list_all("core/groups/")]
    assert len(listed) == len(set(listed)) == len(made | seeded)
    assert set(listed) == made | seeded
    pages = [c.query["page"] for c in fresh_authentik.calls]
    assert pages == [["1"], ["2"], ["3"]]
    assert admin.list_all("core/groups/", {"name": "page-test-007"})[0]["name"] == "page-test-007"
    assert admin.list_all("core/groups/", {"name": "nothing-like-this"}) == []


# -- errors people can act on ------------------------------------------------------------------------------
def test_400_names_every_field_in_each_nested_shape(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    flows = admin.list_all("flows/instances/", {"slug": "default-provider-invalidation-flow"})
    body = {
        "name": "bad-provider",
        "authorization_flow": "not-a-uuid",
        "invalidation_flow": flows[0]["pk"],
        "redirect_uris": [{"matching_mode": "strict", "url": "https://ok.example/"}, {"url": "x"}],
    }
    with pytest.raises(AuthentikValidationError) as raised:
        admin.post("providers/oauth2/", body)
    error = raised.value
    assert error.fields == {
        "authorization_flow": ["“not-a-uuid” is not a valid UUID."],
        "redirect_uris[1].matching_mode": ["This field is required."],
    }
    assert str(error) == (
        "authentik answered 400 to POST /api/v3/providers/oauth2/: "
        "field `authorization_flow`: “not-a-uuid” is not a valid UUID.; "
        "field `redirect_uris[1].matching_mode`: This field is required."
    )
    with pytest.raises(AuthentikValidationError) as raised:
        admin.post("providers/oauth2/", {"name": "x", "redirect_uris": "x"})
    assert raised.value.messages_for("redirect_uris") == ['Expected a list of items but got type "str".']
    assert "field `redirect_uris`: Expected a list of items" in str(raised.value)


def test_a_400_is_never_retried(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    fresh_authentik.reset_calls()
    with pytest.raises(AuthentikValidationError, match=re.escape("field `name`: This field is required.")):
        admin.post("core/groups/", {})
    assert [(c.method, c.path, c.status) for c in fresh_authentik.calls] == [
        ("POST", "/api/v3/core/groups/", 400)
    ]


def test_403_for_an_unknown_token_says_exactly_how_to_fix_it(fresh_authentik: AuthentikServer) -> None:
    fresh_authentik.reset_calls()
    with (
        client_for(fresh_authentik.url, token="unknown-token-" + "0" * 30) as client,
        pytest.raises(AuthentikAuthError) as raised,
    ):
        client.get("core/users/me/")
    assert raised.value.token_rejected
    assert str(raised.value) == (
        "authentik refused GET /api/v3/core/users/me/ (Token invalid/expired): the API token in "
        "`dezky:authentikToken` is unknown to authentik or expired; set a valid one with "
        "`pulumi config set --secret dezky:authentikToken <key>`, or set `dezky:authentikBootstrapPassword` "
        "so dezky-infra can create it on a fresh authentik"
    )
    assert len(fresh_authentik.calls) == 1  # a 403 is not retried either


def test_403_without_credentials_names_the_keys(fresh_authentik: AuthentikServer) -> None:
    settings = ConnectionSettings(url=fresh_authentik.url, retry_deadline_seconds=1)
    with AuthentikClient(settings) as client, pytest.raises(AuthentikAuthError) as raised:
        client.get("core/users/me/")
    assert str(raised.value) == (
        "authentik refused GET /api/v3/core/users/me/ (Authentication credentials were not provided.): "
        "no credentials were sent; set `dezky:authentikToken` (or `dezky:authentikBootstrapPassword` "
        "on a fresh authentik)"
    )


def test_a_200_that_is_not_json_is_a_clear_error(fresh_authentik: AuthentikServer) -> None:
    """A URL that reaches a web app's catch-all page (HTML, 200) is not mistaken for an empty answer."""
    with (
        SubPathProxy(fresh_authentik.url, "/ak", spa_outside=True) as spa,
        client_for(spa.root) as client,
        pytest.raises(AuthentikApiError) as raised,
    ):
        client.get("core/users/me/")
    assert str(raised.value) == (
        "authentik answered 200 to GET /api/v3/core/users/me/: expected JSON, got text/html; "
        f"charset=utf-8; `dezky:authentikUrl` ({spa.root}) is not authentik's base URL"
    )


# -- retries -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_bursts_of_transient_statuses_are_retried(fresh_authentik: AuthentikServer, status: int) -> None:
    time = FakeTime()
    fresh_authentik.faults.fail_next(3, status=status, path_prefix="/api/v3/core/groups/")
    with timed_client(fresh_authentik, time, deadline=60) as client:
        made = client.post("core/groups/", {"name": f"after-{status}"})
    assert made["name"] == f"after-{status}"
    assert [c.status for c in fresh_authentik.calls if c.path == "/api/v3/core/groups/"] == [
        status,
        status,
        status,
        201,
    ]
    assert len(time.sleeps) == 3


def test_backoff_grows_exponentially_with_jitter(fresh_authentik: AuthentikServer) -> None:
    time = FakeTime()
    fresh_authentik.faults.fail_next(6, status=502)
    with timed_client(fresh_authentik, time, deadline=60) as client:
        client.get("core/users/me/")
    for attempt, slept in enumerate(time.sleeps, start=1):
        base = min(5.0, 0.2 * 2 ** (attempt - 1))
        assert 0.75 * base <= slept <= 1.25 * base


@pytest.mark.parametrize(("status", "retry_after"), [(429, 1.0), (503, 5.0)])
def test_retry_after_is_honoured(fresh_authentik: AuthentikServer, status: int, retry_after: float) -> None:
    time = FakeTime()
    fresh_authentik.faults.fail_next(2, status=status)
    with timed_client(fresh_authentik, time, deadline=60) as client:
        client.get("core/users/me/")
    assert time.sleeps == [retry_after, retry_after]


def test_retry_after_is_capped(fresh_authentik: AuthentikServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "RETRY_AFTER_CAP_SECONDS", 2.0)
    time = FakeTime()
    fresh_authentik.faults.fail_next(1, status=503)  # Retry-After: 5
    with timed_client(fresh_authentik, time, deadline=60) as client:
        client.get("core/users/me/")
    assert time.sleeps == [2.0]


def test_retry_after_forms() -> None:
    def answer(value: str) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": value})

    now = dt.datetime(2025, 11, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(answer("3")) == 3.0
    assert retry_after_seconds(answer("3600")) == 10.0
    assert (
        retry_after_seconds(answer(format_datetime(now + dt.timedelta(seconds=4), usegmt=True)), now) == 4.0
    )
    assert (
        retry_after_seconds(answer(format_datetime(now - dt.timedelta(seconds=4), usegmt=True)), now) == 0.0
    )
    assert retry_after_seconds(answer("soon")) == 0.0
    assert retry_after_seconds(httpx.Response(503)) == 0.0


def test_deadline_is_one_line_naming_url_and_last_503(fresh_authentik: AuthentikServer) -> None:
    time = FakeTime()
    with restored(fresh_authentik):
        fresh_authentik.faults.not_ready(60, mode="503")
        with (
            timed_client(fresh_authentik, time, deadline=3) as client,
            pytest.raises(AuthentikUnavailableError) as raised,
        ):
            client.get("core/users/me/")
    # Retry-After 5 is cut to the 3 s left, then the deadline has passed: exactly two attempts
    assert time.sleeps == [3.0]
    assert str(raised.value) == (
        f"authentik at {fresh_authentik.url} did not answer GET /api/v3/core/users/me/ within 3s "
        "(2 attempts; `dezky:authentikRetryDeadlineSeconds` sets how long to wait); "
        "last seen: HTTP 503 Service Unavailable: authentik starting"
    )


@pytest.mark.parametrize(
    ("status", "last_seen"),
    [
        (500, "HTTP 500 Internal Server Error: Server Error (500)"),
        (502, "HTTP 502 Bad Gateway"),
        (429, "HTTP 429 Too Many Requests: Request was throttled. Expected available in 1 second."),
    ],
)
def test_deadline_message_summarises_each_kind_of_answer(
    fresh_authentik: AuthentikServer, status: int, last_seen: str
) -> None:
    time = FakeTime()
    fresh_authentik.faults.fail_next(1000, status=status)
    with (
        timed_client(fresh_authentik, time, deadline=2) as client,
        pytest.raises(AuthentikUnavailableError) as raised,
    ):
        client.get("core/users/me/")
    message = str(raised.value)
    assert "\n" not in message
    assert message.endswith(f"; last seen: {last_seen}")


def test_deadline_when_the_port_is_closed(fresh_authentik: AuthentikServer) -> None:
    time = FakeTime()
    with restored(fresh_authentik):
        fresh_authentik.stop()
        with (
            timed_client(fresh_authentik, time, deadline=3) as client,
            pytest.raises(AuthentikUnavailableError) as raised,
        ):
            client.post("core/groups/", {"name": "never"})
    assert re.fullmatch(
        rf"authentik at {re.escape(fresh_authentik.url)} did not answer POST /api/v3/core/groups/ within 3s "
        r"\(\d+ attempts; `dezky:authentikRetryDeadlineSeconds` sets how long to wait\); "
        r"last seen: ConnectError: \[Errno 111\] Connection refused",
        str(raised.value),
    )
    assert 3.0 - 1e-9 <= sum(time.sleeps) <= 3.0 + 1e-9


# -- secrets -----------------------------------------------------------------------------------------------
def test_no_secret_in_any_message_repr_or_log_record(
    fresh_authentik: AuthentikServer, proxy: SubPathProxy, caplog: pytest.LogCaptureFixture
) -> None:
    """Every place a secret could surface, with DEBUG logging of httpx and httpcore on."""
    caplog.set_level(logging.DEBUG)
    messages: dict[str, str] = {}

    def capture(label: str, error: AuthentikError) -> None:
        messages[label] = f"{error} | {error!r} | {error.args!r}"

    overrides = {"dezky:authentikUrl": proxy.url, "dezky:authentikRetryDeadlineSeconds": "1"}
    providers = configured(OAuth2ProviderProvider(), fresh_authentik, **overrides)
    inputs = providers.check({}, {"name": "leaky", "redirect_uris": [{"url": "https://a.example/cb"}]}).inputs
    outs = providers.create(inputs).outs or {}
    client_secret = outs["client_secret"]
    providers.read(str(outs["pk"]), outs)

    tokens = configured(ApiTokenProvider(), fresh_authentik, **overrides)
    token_inputs = tokens.check({}, {"identifier": "leak-test", "key": TOKEN_KEY}).inputs
    tokens.create(token_inputs)
    tokens.read("leak-test", token_inputs)
    # a proxy that echoes the request body into its error page: set_key carries the key
    proxy.echo_next(100, 502, "/api/v3/core/tokens/leak-test/set_key/")
    with pytest.raises(AuthentikUnavailableError) as unavailable:
        tokens.update("leak-test", {**token_inputs, "key": "old"}, token_inputs)
    capture("set_key echoed", unavailable.value)
    with client_for(proxy.url, token="x" * 40, bootstrap_password=AKADMIN_PASSWORD, deadline=1) as client:
        # an error page that echoes a provider body with its client secret (not retried: a 418)
        proxy.echo_next(1, 418, "/api/v3/providers/oauth2/")
        with pytest.raises(AuthentikApiError) as teapot:
            client.post("providers/oauth2/", {"name": "x" * 100, "client_secret": client_secret})
        capture("provider body echoed", teapot.value)
        # the password login posts the bootstrap password
        proxy.echo_next(100, 503, "/api/v3/flows/executor/", body_contains=b'"password"')
        with pytest.raises(AuthentikError) as login:
            login_with_password(client)
        capture("password echoed", login.value)
        messages["client repr"] = repr(client) + repr(client.settings) + str(client.settings)
    with (
        client_for(fresh_authentik.url, token=TOKEN_KEY + "-wrong") as client,
        pytest.raises(AuthentikAuthError) as refused,
    ):
        client.get("core/users/me/")
    capture("refused token", refused.value)

    assert len(messages) == 5
    for echoed in ("set_key echoed", "provider body echoed", "password echoed"):
        assert "[secret]" in messages[echoed], messages[echoed]
    messages["log records"] = caplog.text + "".join(repr(r.args) for r in caplog.records)
    secrets = {
        "API token": ADMIN_TOKEN,
        "service token key": TOKEN_KEY,
        "bootstrap password": AKADMIN_PASSWORD,
        "client secret": client_secret,
    }
    assert secret_leaks(secrets, messages) == []


def test_operations_of_one_process_share_keep_alive_connections(fresh_authentik: AuthentikServer) -> None:
    """A client per resource operation, but not a TCP connection (and TLS handshake) per operation."""
    groups = configured(GroupProvider(), fresh_authentik)
    before = fresh_authentik.accepted
    for n in range(10):
        groups.create(groups.check({}, {"name": f"tenant-{n}"}).inputs)
    assert len([c for c in fresh_authentik.calls if c.is_write]) == 10
    assert fresh_authentik.accepted - before <= 1  # the pool may hold one from an earlier test already
