"""At most one password login per provider process, a session that ends once the token exists, and
both credentials refused reported as the connection's problem (not a field's) without knocking again."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from dezky_infra.authentik.api import sessions
from dezky_infra.authentik.api.sessions import CredentialsRefused
from dezky_infra.authentik.group import GroupProvider
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.authentik.readiness import ReadinessProvider
from dezky_infra.authentik.token import ApiTokenProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import ADMIN_TOKEN, configured, stack_config

LOGIN_PATH = "/api/v3/flows/executor/default-authentication-flow/"
PORTAL: dict[str, Any] = {
    "name": "dezky-portal",
    "client_id": "dezky-portal",
    "redirect_uris": [{"url": "https://app.dezky.local/api/auth/callback"}],
}


def password_posts(server: AuthentikServer) -> int:
    """Password answers the login flow received (one per login attempt)."""
    return sum(1 for c in server.calls if c.method == "POST" and c.path == LOGIN_PATH) // 2


def ready_request(server: AuthentikServer) -> ConfigureRequest:
    """configure() input for the stack config of ``server`` (without resetting the process's sessions)."""
    return ConfigureRequest(Config(stack_config(server), "dezky"))


def live_sessions(server: AuthentikServer) -> int:
    with server.db.lock:
        return sum(1 for s in server.db.sessions.values() if s.user is not None)


@pytest.fixture
def tokenless(fresh_authentik: AuthentikServer) -> AuthentikServer:
    """A fresh authentik where the configured API token does not exist yet."""
    fresh_authentik.wipe(bootstrap_token=None)
    fresh_authentik.reset_calls()
    return fresh_authentik


def test_concurrent_resources_share_one_login(tokenless: AuthentikServer) -> None:
    groups = configured(GroupProvider(), tokenless)
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            groups.create(groups.check({}, {"name": f"tenant-{n}"}).inputs)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert password_posts(tokenless) == 1
    assert sessions.logins == {f"{tokenless.url}/api/v3": 1}


def test_the_session_ends_once_the_token_exists_and_the_rest_uses_the_token(
    tokenless: AuthentikServer,
) -> None:
    ready = configured(ReadinessProvider(), tokenless)
    tokens, groups = ApiTokenProvider(), GroupProvider()  # configured below without a new "process"
    ready.create(ready.check({}, {"trigger": "t"}).inputs)
    assert live_sessions(tokenless) == 1
    for provider in (tokens, groups):
        provider.configure(ready_request(tokenless))
    tokens.create(tokens.check({}, {"identifier": "dezky-bootstrap-token", "key": ADMIN_TOKEN}).inputs)
    assert live_sessions(tokenless) == 0  # logged out through the invalidation flow
    before = password_posts(tokenless)
    groups.create(groups.check({}, {"name": "tenant-after-token"}).inputs)
    assert password_posts(tokenless) == before  # the token works now: no new login
    assert live_sessions(tokenless) == 0


# A provider process that reads a group on an authentik without the token, then waits as pulumi's
# dynamic provider host does (until the engine's SIGINT).
HOST_LIKE = """
import json, sys, threading
from pulumi.dynamic import Config, ConfigureRequest
from dezky_infra.authentik.group import GroupProvider
provider = GroupProvider()
provider.configure(ConfigureRequest(Config(json.loads(sys.argv[1]), "dezky")))
provider.read("5f0c4c52-8f0e-4b6e-9a55-000000000000", {"name": "tenant-gone"})
try:
    print("read", flush=True)
    threading.Event().wait()
except KeyboardInterrupt:
    pass
"""


def test_a_run_that_never_makes_the_token_ends_its_session_when_the_engine_stops_it(
    tokenless: AuthentikServer,
) -> None:
    """A refresh or destroy of a wiped authentik logs in and never makes the token, so no ``ApiToken``
    ends the session: the process does, when the engine stops it with SIGINT (as it does every plugin)."""
    host = subprocess.Popen(
        [sys.executable, "-c", HOST_LIKE, json.dumps(stack_config(tokenless))],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert host.stdout is not None and host.stdout.readline() == "read\n"
        assert live_sessions(tokenless) == 1
        host.send_signal(signal.SIGINT)
        assert host.wait(timeout=30) == 0  # the engine waits 5 s: one logout call, ~0.2 s on authentik
    finally:
        host.kill()
    assert (password_posts(tokenless), live_sessions(tokenless)) == (1, 0)


def test_both_credentials_refused_is_one_message_about_the_connection(tokenless: AuthentikServer) -> None:
    providers = configured(
        OAuth2ProviderProvider(), tokenless, **{"dezky:authentikBootstrapPassword": "not-the-password"}
    )
    result = providers.check({}, PORTAL)
    assert [f.property for f in result.failures] == [""]  # the connection, not authorization_flow
    message = result.failures[0].reason
    assert message.startswith(
        "authentik refused both credentials: the API token in `dezky:authentikToken` (Token invalid/expired) "
        "and the password in `dezky:authentikBootstrapPassword` (login stage ak-stage-password rejected "
        "password); set a token authentik knows"
    )
    assert "not-the-password" not in message and ADMIN_TOKEN not in message
    groups = configured(
        GroupProvider(), tokenless, **{"dezky:authentikBootstrapPassword": "not-the-password"}
    )
    tokenless.reset_calls()
    for name in ("a", "b"):
        with pytest.raises(CredentialsRefused):
            groups.create(groups.check({}, {"name": name}).inputs)
    assert password_posts(tokenless) == 1  # the refused password is not tried again by this process


def test_once_the_token_was_refused_later_calls_go_straight_to_the_session(
    tokenless: AuthentikServer,
) -> None:
    """A refresh after a wipe: the first read finds the token refused and logs in; the others must not
    knock with the refused token first (each read is one call, not two)."""
    groups = configured(GroupProvider(), tokenless)
    made = [groups.create(groups.check({}, {"name": f"tenant-{n}"}).inputs) for n in range(5)]
    tokenless.reset_calls()
    for group in made:
        assert groups.read(group.id, group.outs).id == group.id
    refused = [c for c in tokenless.calls if c.status == 403]
    reads = [c for c in tokenless.calls if c.path.startswith("/api/v3/core/groups/")]
    assert (len(refused), len(reads)) == (0, 5)  # the session from the creates serves every read
    assert password_posts(tokenless) == 0
