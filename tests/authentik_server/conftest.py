"""Shared helpers for the local authentik server tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.authentik_server import versions
from tests.authentik_server.server import AuthentikServer

TOKEN = "test-bootstrap-token-0123456789abcdef"
PASSWORD = "test-akadmin-password"


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    """One server per test module."""
    with AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD) as srv:
        yield srv


@pytest.fixture(scope="module", params=sorted(versions.VERSIONS))
def any_server(request: pytest.FixtureRequest) -> Iterator[AuthentikServer]:
    """One server per authentik version per module: the test runs against each version."""
    with AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD, version=request.param) as srv:
        yield srv


@pytest.fixture
def any_api(any_server: AuthentikServer) -> Iterator[httpx.Client]:
    """Like ``api``, for ``any_server``."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=any_server.url, headers=headers, timeout=10) as client:
        yield client
    any_server.faults.clear()


def akadmin_pk(server: AuthentikServer) -> int:
    """akadmin's pk on that server's version (6 on 2025.10, 3 on 2026.2, as the captures had it)."""
    with server.db.lock:
        user = server.db.user_by_username("akadmin")
    assert user is not None
    return user.pk


@pytest.fixture
def api(server: AuthentikServer) -> Iterator[httpx.Client]:
    """A client authenticated with the bootstrap token; faults are cleared afterwards."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        yield client
    server.faults.clear()


def login(base_url: str, password: str = PASSWORD, **client_args: object) -> httpx.Client:
    """Drive default-authentication-flow and return a client holding the session cookies."""
    client = httpx.Client(base_url=base_url, timeout=10, **client_args)  # type: ignore[arg-type]
    url = "/api/v3/flows/executor/default-authentication-flow/?query="
    assert client.get(url).json()["component"] == "ak-stage-identification"
    identification = {"component": "ak-stage-identification", "uid_field": "akadmin"}
    assert client.post(url, json=identification).status_code == 302
    assert client.get(url).json()["component"] == "ak-stage-password"
    assert client.post(url, json={"component": "ak-stage-password", "password": password}).status_code == 302
    assert client.get(url).status_code == 302
    final = client.get(url)
    assert final.json() == {"component": "xak-flow-redirect", "to": "/"}, final.text
    return client
