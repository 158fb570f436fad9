"""Start/stop on the same port, wipe, TLS, no bootstrap token, call recording and standalone mode."""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.authentik_server.conftest import PASSWORD, TOKEN, login
from tests.authentik_server.server import AuthentikServer

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_stop_refuses_connections_and_start_reuses_port_and_state() -> None:
    srv = AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD).start()
    try:
        url = srv.url
        with httpx.Client(base_url=url, headers=AUTH, timeout=5) as client:
            assert client.post("/api/v3/core/groups/", json={"name": "survives-restart"}).status_code == 201
            srv.stop()
            with pytest.raises(httpx.TransportError):
                client.get("/api/v3/core/groups/")  # the kept-alive connection is gone too
            with pytest.raises(httpx.ConnectError):
                httpx.get(url + "/-/health/live/", timeout=2)
            srv.start()
            assert srv.url == url
            found = client.get("/api/v3/core/groups/?name=survives-restart").json()
            assert found["pagination"]["count"] == 1
    finally:
        srv.stop()


def test_context_manager_and_explicit_port() -> None:
    with AuthentikServer(bootstrap_token=None, akadmin_password=PASSWORD) as first:
        port = first.port
    with AuthentikServer(bootstrap_token=None, akadmin_password=PASSWORD, port=port) as second:
        assert second.url == f"http://127.0.0.1:{port}"
        assert httpx.get(second.url + "/-/health/ready/").status_code == 200


def test_wipe_restores_the_seed(server: AuthentikServer) -> None:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=5) as client:
        client.post("/api/v3/core/groups/", json={"name": "wiped-away"})
        session = login(server.url)
        server.wipe()
        assert client.get("/api/v3/core/groups/?name=wiped-away").json()["pagination"]["count"] == 0
        assert client.get("/api/v3/core/users/me/").json()["user"]["username"] == "akadmin"
        tokens = client.get("/api/v3/core/tokens/").json()["results"]
        assert [t["identifier"] for t in tokens] == ["authentik-bootstrap-token"]
        assert tokens[0]["expiring"] is False and tokens[0]["intent"] == "api"
        gone = session.get("/api/v3/core/users/me/")
        assert gone.status_code == 403
        assert gone.json() == {"detail": "Authentication credentials were not provided."}
        session.close()


def test_wipe_can_start_without_the_bootstrap_token(server: AuthentikServer) -> None:
    try:
        server.wipe(bootstrap_token=None, akadmin_password="other-password")
        assert httpx.get(server.url + "/api/v3/core/users/me/", headers=AUTH).status_code == 403
        login(server.url, password="other-password").close()
    finally:
        server.wipe()
    assert httpx.get(server.url + "/api/v3/core/users/me/", headers=AUTH).status_code == 200


def test_without_bootstrap_token_only_the_password_works() -> None:
    with AuthentikServer(bootstrap_token=None, akadmin_password=PASSWORD) as srv:
        response = httpx.get(srv.url + "/api/v3/core/users/me/", headers={"Authorization": "Bearer anything"})
        assert response.json() == {"detail": "Token invalid/expired"}
        with contextlib.closing(login(srv.url)) as session:
            assert session.get("/api/v3/core/tokens/").json()["pagination"]["count"] == 0


def test_calls_are_recorded(server: AuthentikServer) -> None:
    server.reset_calls()
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=5) as client:
        client.get("/api/v3/flows/instances/?slug=default-invalidation-flow&page=1")
        client.post("/api/v3/core/groups/", json={})
        client.head("/-/health/ready/")
    calls = server.calls
    assert [(c.method, c.path, c.status) for c in calls] == [
        ("GET", "/api/v3/flows/instances/", 200),
        ("POST", "/api/v3/core/groups/", 400),
        ("HEAD", "/-/health/ready/", 200),
    ]
    assert calls[0].query == {"slug": ["default-invalidation-flow"], "page": ["1"]}
    assert (server.count(reads=True), server.count(reads=False), server.reads, server.writes) == (2, 1, 2, 1)
    server.reset_calls()
    assert server.calls == []


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def test_tls(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    with AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD, tls=(cert, key)) as srv:
        assert srv.url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=cert)
        response = httpx.get(srv.url + "/api/v3/core/users/me/", headers=AUTH, verify=context)
        assert response.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(srv.url + "/-/health/live/", verify=True)  # not a trusted CA
        with pytest.raises(httpx.TransportError):
            httpx.get(srv.url.replace("https", "http") + "/-/health/live/")  # plain HTTP on the TLS port
        assert httpx.get(srv.url + "/-/health/live/", verify=context).status_code == 200
        with contextlib.closing(login(srv.url, verify=context)) as session:
            # over HTTPS the session and CSRF cookies are Secure, the device cookie is not (26)
            secure = {cookie.name: cookie.secure for cookie in session.cookies.jar}
            assert secure == {"authentik_session": True, "authentik_csrf": True, "authentik_device": False}
            csrf = session.cookies["authentik_csrf"]
            headers = {"X-authentik-CSRF": csrf}
            body = {"identifier": "tls-token"}
            no_referer = session.post("/api/v3/core/tokens/", json=body, headers=headers)
            assert no_referer.json() == {"detail": "CSRF Failed: Referer checking failed - no Referer."}
            referer = {**headers, "Referer": srv.url + "/"}
            assert session.post("/api/v3/core/tokens/", json=body, headers=referer).status_code == 201


@pytest.mark.parametrize("version", [None, "2025.10", "2026.2"])
def test_standalone_module(version: str | None) -> None:
    chosen = ["--authentik-version", version] if version else []
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.authentik_server",
            "--port",
            "0",
            "--bootstrap-token",
            "cli-token",
            "--akadmin-password",
            "cli-pw",
            *chosen,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        me = httpx.get(url + "/api/v3/core/users/me/", headers={"Authorization": "Bearer cli-token"})
        assert me.json()["user"]["username"] == "akadmin"
        running = httpx.get(url + "/api/v3/admin/version/", headers={"Authorization": "Bearer cli-token"})
        release = {None: "2025.10.4", "2025.10": "2025.10.4", "2026.2": "2026.2.2"}[version]
        assert running.json()["version_current"] == release
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
