"""Shared helpers for the local authentik server tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.authentik_server.server import AuthentikServer

TOKEN = "test-bootstrap-token-0123456789abcdef"
PASSWORD = "test-akadmin-password"


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    """One server per test module."""
    with AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD) as srv:
        yield srv


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
