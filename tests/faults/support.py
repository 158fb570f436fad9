"""Helpers the fault tests share: a sub-path reverse proxy, fake time, secret scans, object counts.

- ``SubPathProxy`` serves an ``AuthentikServer`` under a path prefix (``http://127.0.0.1:P/ak``), the way
  a reverse proxy publishes authentik at a sub-path; it can echo request bodies back in error pages
  (the worst case for secret redaction) and hold answers after authentik committed (slow networks).
- ``FakeTime`` drives ``AuthentikClient``'s injectable ``sleep``/``clock`` so retry timing is exact.
- ``secret_leaks`` reports which secrets (by label, never by value) appear in which text.
- ``natural_key_counts`` counts live objects per natural key, for "exactly once" assertions.
- ``engine_project`` makes a throwaway stack of the real program (or a test-only one) for a server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from tests.authentik_server import AuthentikServer
from tests.engine.harness import EngineProject

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}
)
NGINX_404 = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1>"
    b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass
class _Echo:
    remaining: int
    status: int
    path_prefix: str
    body_contains: bytes

    def matches(self, path: str, body: bytes) -> bool:
        return self.remaining > 0 and path.startswith(self.path_prefix) and self.body_contains in body


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: SubPathProxy


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        self.server.proxy.handle(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def reply(self, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


SPA_PAGE = b"<!doctype html><html><head><title>Dezky</title></head><body><div id=app></div></body></html>"


class SubPathProxy:
    """A reverse proxy publishing ``backend_url`` at ``<url>/<prefix>``.

    Anything outside the prefix gets nginx's HTML 404, or with ``spa_outside`` a web app's HTML page
    with 200 (the catch-all route of a single-page app).
    """

    def __init__(
        self,
        backend_url: str,
        prefix: str = "/ak",
        *,
        spa_outside: bool = False,
        ca_bundle: str | None = None,
    ) -> None:
        self.backend_url = backend_url
        self._verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        )
        self.prefix = prefix.rstrip("/")
        self.spa_outside = spa_outside
        self.seen: list[str] = []
        self.committed: list[tuple[str, str, int]] = []
        """(method, path without query, status) of every answer authentik gave, when it gave it (before a
        held answer is passed on), so a test sees commits without the local server's call log."""
        self._slow: dict[str, float] = {}
        self._echoes: list[_Echo] = []
        self._lock = threading.Lock()
        self._httpd = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._httpd.proxy = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    @property
    def root(self) -> str:
        """``http://127.0.0.1:PORT`` (no prefix)."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def url(self) -> str:
        """The proxied authentik's base URL, with the sub-path."""
        return self.root + self.prefix

    def echo_next(self, n: int, status: int, path_prefix: str = "/", body_contains: bytes = b"") -> None:
        """Answer the next ``n`` requests under ``path_prefix`` whose body contains ``body_contains``
        with ``status`` and a page that shows the request body (a debugging proxy's error page)."""
        with self._lock:
            self._echoes.append(_Echo(n, status, path_prefix, body_contains))

    def slow_answers(self, route: str, seconds: float) -> None:
        """Hold the answers to ``route`` ("METHOD /path/") for ``seconds`` after authentik committed."""
        with self._lock:
            self._slow[route] = seconds

    def _echo_for(self, path: str, body: bytes) -> _Echo | None:
        with self._lock:
            for echo in self._echoes:
                if echo.matches(path, body):
                    echo.remaining -= 1
                    return echo
        return None

    def handle(self, handler: _ProxyHandler) -> None:
        """Forward one request (prefix stripped), or answer it with a canned page."""
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            self.seen.append(handler.path)
        if not (handler.path == self.prefix or handler.path.startswith(self.prefix + "/")):
            if self.spa_outside:
                handler.reply(200, [("Content-Type", "text/html; charset=utf-8")], SPA_PAGE)
            else:
                handler.reply(404, [("Content-Type", "text/html")], NGINX_404)
            return
        path = handler.path[len(self.prefix) :] or "/"
        echo = self._echo_for(path, body)
        if echo is not None:
            page = b"<html><body><h1>upstream error</h1><pre>" + body + b"</pre></body></html>"
            handler.reply(echo.status, [("Content-Type", "text/html")], page)
            return
        headers = [(k, v) for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP]
        # a client per request: a shared one would keep authentik's cookies and mix up sessions
        with httpx.Client(base_url=self.backend_url, timeout=30, verify=self._verify) as backend:
            upstream = backend.request(handler.command, path, content=body, headers=headers)
        with self._lock:
            self.committed.append((handler.command, path.split("?")[0], upstream.status_code))
            hold = self._slow.get(f"{handler.command} {path.split('?')[0]}", 0.0)
        time.sleep(hold)
        forwarded = [(k, v) for k, v in upstream.headers.multi_items() if k.lower() not in HOP_BY_HOP]
        handler.reply(upstream.status_code, forwarded, upstream.content)

    def close(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SubPathProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class FakeTime:
    """A monotonic clock that only moves when the client sleeps; records every sleep."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


LEAK_WINDOW = 12
"""A secret leaks when any run of this many of its characters shows (a cut-off secret is a leak too)."""


def _leaks_into(value: str, text: str) -> bool:
    if len(value) <= LEAK_WINDOW:
        return value in text
    return any(value[i : i + LEAK_WINDOW] in text for i in range(len(value) - LEAK_WINDOW + 1))


def secret_leaks(secrets: Mapping[str, str], texts: Mapping[str, str]) -> list[str]:
    """``"<secret label> in <text label>"`` for every secret, whole or a 12-character part of it, found in
    plain text (the values themselves are never shown)."""
    return [
        f"{label} in {where}"
        for label, value in secrets.items()
        if value
        for where, text in texts.items()
        if _leaks_into(value, text)
    ]


def natural_key_counts(client: AuthentikClient, path: str, key: str, **params: str) -> Counter[str]:
    """How many live objects under ``path`` have each value of ``key`` (e.g. groups per name)."""
    return Counter(str(obj[key]) for obj in client.list_all(path, params))


def duplicates(counts: Counter[str]) -> dict[str, int]:
    """The natural keys that occur more than once."""
    return {name: n for name, n in counts.items() if n > 1}


def live_inventory(client: AuthentikClient) -> dict[str, Counter[str]]:
    """Every object kind the resources manage, counted by natural key."""
    return {
        "providers": natural_key_counts(client, "providers/oauth2/", "name"),
        "applications": natural_key_counts(client, "core/applications/", "slug", superuser_full_list="true"),
        "groups": natural_key_counts(client, "core/groups/", "name"),
        "tokens": natural_key_counts(client, "core/tokens/", "identifier"),
    }


def assert_no_duplicates(client: AuthentikClient) -> dict[str, Counter[str]]:
    """Fail naming every duplicated natural key; return the inventory."""
    inventory = live_inventory(client)
    found = {kind: duplicates(counts) for kind, counts in inventory.items() if duplicates(counts)}
    assert found == {}, f"duplicated objects in authentik: {found}"
    return inventory


@contextlib.contextmanager
def restored(server: AuthentikServer) -> Iterator[None]:
    """Make sure ``server`` listens and has no faults after the block (a refused socket is reopened)."""
    try:
        yield
    finally:
        server.faults.clear()
        server.start()


# -- the real engine ---------------------------------------------------------------------------------------
# Random-looking values: the 12-character leak window must not match ordinary words.
ENGINE_TOKEN = "Vt7Qm2xLp9Rk4Ws8Hd3Nf6Yb1Cj5Gz0AeUo"
ENGINE_PASSWORD = "Kp3Zr8Tq1Wm6Xv4Ns9Ld2"


def engine_project(
    root: Path,
    server: AuthentikServer,
    *,
    tenants: Sequence[str] = ("acme", "globex"),
    deadline_seconds: float = 10,
    program: Path | None = None,
    **plain: str,
) -> EngineProject:
    """A throwaway stack of the real program (or ``program``, a test-only ``__main__.py``) configured
    for ``server`` with the docker layer off, a short retry deadline and ``tenants`` as groups."""
    project = EngineProject(root, program=program) if program is not None else EngineProject(root)
    project.configure(
        {
            "authentikUrl": server.url,
            "authentikPublicUrl": "https://auth.dezky.local",
            "authentikRetryDeadlineSeconds": f"{deadline_seconds:g}",
            **plain,
        },
        {"authentikToken": ENGINE_TOKEN, "authentikBootstrapPassword": ENGINE_PASSWORD},
    )
    project.set_object("dockerEnabled", False)
    project.set_object("tenants", [{"slug": slug} for slug in tenants])
    return project


def engine_server(version: str, **kwargs: Any) -> AuthentikServer:
    """A fresh authentik of release ``version`` without an API token (akadmin's bootstrap password
    only), listening."""
    server = AuthentikServer(
        bootstrap_token=None, akadmin_password=ENGINE_PASSWORD, version=version, **kwargs
    )
    return server.start()


def engine_admin(server: AuthentikServer) -> AuthentikClient:
    """A client with the engine stacks' token (valid once the stack created it)."""
    return AuthentikClient(ConnectionSettings(url=server.url, token=ENGINE_TOKEN, retry_deadline_seconds=5))


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (pulumi starts its plugins in their own process groups)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def start_cli(project: EngineProject, *args: str) -> subprocess.Popen[str]:
    """Start ``pulumi <args>`` on the project's stack as a subprocess in its own process group."""
    return subprocess.Popen(
        ["pulumi", *args, "--stack", project.stack.name, "--non-interactive", "--color", "never"],
        cwd=project.work_dir,
        env={**os.environ, **project.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def kill_engine(process: subprocess.Popen[str]) -> str:
    """SIGKILL the engine's process group and every plugin it started (as a crash would); its output."""
    plugins = descendants(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in plugins:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    output, _ = process.communicate(timeout=30)
    return output


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` every 50 ms until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def stack_deployment(project: EngineProject) -> dict[str, Any]:
    """``pulumi stack export``'s deployment (resources, pending_operations)."""
    exported: dict[str, Any] = json.loads(project.cli("stack", "export"))
    return dict(exported["deployment"])
