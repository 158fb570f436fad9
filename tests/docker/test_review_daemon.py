"""The review daemon answers what a preview asks, checked with Docker's own Go client.

tests/docker_api_client is a tiny program on `github.com/docker/docker/client` (v28.5.2, the client
kreuzwerker/terraform-provider-docker builds on) that connects the way pulumi-docker's providers
do: API version negotiation, then `Ping`. It is built once per session with the Go module proxy
configured on this machine.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dezky_infra.cli.review.daemon import API_VERSION, ReviewDaemon, refusal, serve_review_daemon

CLIENT_SOURCE = Path(__file__).resolve().parents[1] / "docker_api_client"

GoClient = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def go_client(tmp_path_factory: pytest.TempPathFactory) -> GoClient:
    """Build the Docker-client program once; return a function running it against a host."""
    go = shutil.which("go")
    assert go is not None, "the go toolchain must be on PATH: Docker's own client is the reference here"
    binary = tmp_path_factory.mktemp("docker-api-client") / "docker_api_client"
    build = subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=CLIENT_SOURCE,
        env={**os.environ, "GOFLAGS": "-mod=mod -buildvcs=false"},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert build.returncode == 0, f"building the Docker API client failed:\n{build.stderr}"

    def run(host: str, *flags: str) -> dict[str, Any]:
        result = subprocess.run(
            [str(binary), "-host", host, *flags], capture_output=True, text=True, check=False, timeout=60
        )
        assert result.returncode == 0, result.stderr
        answer: dict[str, Any] = json.loads(result.stdout)
        return answer

    return run


@pytest.fixture
def daemon() -> Iterator[ReviewDaemon]:
    """A review daemon on a fresh socket in a short /tmp folder (unix socket paths are short)."""
    folder = Path(tempfile.mkdtemp(prefix="dz-", dir="/tmp"))
    try:
        with serve_review_daemon(folder / "docker.sock") as running:
            yield running
    finally:
        shutil.rmtree(folder)


class UnixConnection(http.client.HTTPConnection):
    """HTTP over the daemon's unix socket, for looking at raw answers."""

    def __init__(self, socket_path: Path) -> None:
        super().__init__("docker")
        self.socket_path = socket_path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(self.socket_path))


def test_dockers_go_client_pings_and_negotiates_the_api_version(
    daemon: ReviewDaemon, go_client: GoClient
) -> None:
    assert go_client(daemon.docker_host) == {
        "api_version": API_VERSION,
        "os_type": "linux",
        "experimental": False,
        "builder_version": "2",
        "negotiated_version": API_VERSION,
    }
    assert daemon.calls == [("HEAD", "/_ping")]


def test_a_container_list_gets_the_review_mode_message(daemon: ReviewDaemon, go_client: GoClient) -> None:
    answer = go_client(daemon.docker_host, "-list")
    path = f"/v{API_VERSION}/containers/json"
    assert answer == {
        "error": f"Error response from daemon: {refusal('GET', path)}",
        "negotiated_version": API_VERSION,
    }
    assert refusal("GET", path) == (
        f"dezky-infra review mode: GET {path} needs a real Docker daemon; "
        "review mode only supports pulumi preview without --refresh"
    )
    assert daemon.calls == [("HEAD", "/_ping"), ("GET", path)]


def test_the_ping_answers_like_dockerd_on_one_kept_alive_connection(daemon: ReviewDaemon) -> None:
    connection = UnixConnection(daemon.socket_path)
    connection.request("GET", "/_ping")
    got = connection.getresponse()
    assert (got.status, got.read()) == (200, b"OK")
    assert {name: got.getheader(name) for name in ("API-Version", "OSType", "Docker-Experimental")} == {
        "API-Version": API_VERSION,
        "OSType": "linux",
        "Docker-Experimental": "false",
    }
    connection.request("HEAD", "/v1.44/_ping")
    head = connection.getresponse()
    assert (head.status, head.read(), head.getheader("Content-Length")) == (200, b"", "0")
    connection.request("POST", "/v1.44/containers/create?name=x", body=b'{"Image": "postgres:16"}')
    create = connection.getresponse()
    assert create.status == 501
    assert create.getheader("Content-Type") == "application/json"
    assert json.loads(create.read()) == {"message": refusal("POST", "/v1.44/containers/create")}
    connection.close()
    assert daemon.calls == [
        ("GET", "/_ping"),
        ("HEAD", "/v1.44/_ping"),
        ("POST", "/v1.44/containers/create"),
    ]


def test_an_existing_path_is_never_taken_over_and_the_socket_goes_away(tmp_path: Path) -> None:
    taken = tmp_path / "docker.sock"
    taken.write_text("")
    refused = pytest.raises(FileExistsError, match="listens only on a new socket path")
    with refused, serve_review_daemon(taken):
        pass
    assert taken.read_text() == ""
    folder = Path(tempfile.mkdtemp(prefix="dz-", dir="/tmp"))
    try:
        with serve_review_daemon(folder / "docker.sock") as running:
            assert running.socket_path.is_socket()
        assert not (folder / "docker.sock").exists()
    finally:
        shutil.rmtree(folder)
