"""A stand-in for the Docker daemon that lets `pulumi preview` review the docker layer without one.

Why it exists: pulumi-docker pings the Docker daemon when the provider is configured, and it is
configured for a preview too. The hybrid provider's `Configure` (pulumi/pulumi-docker
`provider/hybrid.go`) first runs the native provider's `Configure` (`provider/provider.go`), whose
`configureDockerClient` calls the Docker client's `Ping` (`HEAD /_ping`, `GET /_ping` if HEAD
fails) against `DOCKER_HOST` or the default socket, then `~/.docker/run/docker.sock` and
`~/.docker/desktop/docker.sock`, and fails with "failed to connect to any docker daemon". It then
runs the bridged provider's `Configure`, where kreuzwerker/terraform-provider-docker's `configure`
(`internal/provider/provider.go`) builds its own client and pings again. After that a preview
without `--refresh` makes no Docker call: `Check` and `Diff` of containers, volumes and networks
are schema validation and diffing, with no `CustomizeDiff` that would ask the daemon.

So this answers exactly the ping, with the headers Docker sends (`API-Version`, `OSType`,
`Docker-Experimental`, `Builder-Version`, `Swarm`, ...), and every other call with HTTP 501 and a
Docker-style JSON error saying which call needs a real daemon. A `--refresh`, or any operation
that reads or changes containers, fails loudly instead of acting on invented data. API version
negotiation needs nothing else: the Go client negotiates from the ping's `API-Version` header.

Use it as a context manager and point the Docker provider at its socket::

    with serve_review_daemon("/tmp/dz-review/docker.sock") as daemon:
        run(["pulumi", "preview"], env={**os.environ, "DOCKER_HOST": daemon.docker_host})

Unix socket paths are limited to about 100 bytes; keep the path short.
"""

from __future__ import annotations

import json
import os
import re
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

API_VERSION = "1.44"
"""The Engine API version the stand-in claims. 1.44 (Docker 25) is what pulumi-docker's native
provider's client speaks and the oldest a current Docker Engine (29) still serves, so a client
negotiates to a version a real daemon would accept too."""

MIN_API_VERSION = "1.24"
"""The lowest version the stand-in claims to accept, as `Min-API-Version` tells clients."""

_PING_PATH = re.compile(r"(/v\d+\.\d+)?/_ping")
"""Docker serves the ping unversioned and under every version prefix."""

_MAX_DISCARDED_BODY = 1 << 20
"""Request bodies up to this size are read and dropped before answering; larger ones close the connection."""

REVIEW_ONLY = "review mode only supports pulumi preview without --refresh"


def refusal(method: str, path: str) -> str:
    """The error message every call but the ping gets."""
    return f"dezky-infra review mode: {method} {path} needs a real Docker daemon; {REVIEW_ONLY}"


@dataclass
class ReviewDaemon:
    """A running stand-in: where it listens, and the calls it was asked (method, path)."""

    socket_path: Path
    calls: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def docker_host(self) -> str:
        """The value for `DOCKER_HOST` (or the provider's `docker:host` config)."""
        return f"unix://{self.socket_path}"

    def record(self, method: str, path: str) -> None:
        """Note one call; the handler threads call this concurrently."""
        with self._lock:
            self.calls.append((method, path))


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, socket_path: Path, review: ReviewDaemon) -> None:
        self.review = review
        super().__init__(str(socket_path), _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Answers the ping like dockerd's `/_ping` route; refuses everything else with 501."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the Docker client expects
    server_version = "dezky-infra-review-daemon"
    sys_version = ""
    server: _Server

    def do_HEAD(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        path = urlsplit(self.path).path
        self.server.review.record(self.command, path)
        self._discard_body()
        if _PING_PATH.fullmatch(path) and self.command in {"GET", "HEAD"}:
            self._ping()
        else:
            self._send(HTTPStatus.NOT_IMPLEMENTED, {"message": refusal(self.command, path)})

    def _ping(self) -> None:
        body = b"" if self.command == "HEAD" else b"OK"
        self.send_response(HTTPStatus.OK)
        for name, value in (
            ("API-Version", API_VERSION),
            ("Min-API-Version", MIN_API_VERSION),
            ("OSType", "linux"),
            ("Docker-Experimental", "false"),
            ("Builder-Version", "2"),
            ("Swarm", "inactive"),
            ("Cache-Control", "no-cache, no-store, must-revalidate"),
            ("Pragma", "no-cache"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ):
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _send(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode() + b"\n"
        self.send_response(status)
        self.send_header("API-Version", API_VERSION)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _discard_body(self) -> None:
        """Read a request body away so the connection stays usable, or give up on the connection."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_DISCARDED_BODY:
            self.close_connection = True
        elif length:
            self.rfile.read(length)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: `ReviewDaemon.calls` records what was asked."""


@contextmanager
def serve_review_daemon(socket_path: str | os.PathLike[str]) -> Iterator[ReviewDaemon]:
    """Serve the stand-in on a new unix socket at `socket_path` until the block ends.

    The path must not exist: an existing socket may be a real Docker daemon's, and is never
    replaced. The socket is removed again on exit.
    """
    path = Path(socket_path)
    if path.exists() or path.is_symlink():
        raise FileExistsError(f"{path} exists; the review daemon listens only on a new socket path")
    review = ReviewDaemon(socket_path=path)
    server = _Server(path, review)
    thread = threading.Thread(target=server.serve_forever, name="dezky-review-daemon", daemon=True)
    thread.start()
    try:
        yield review
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        path.unlink(missing_ok=True)
