"""AuthentikServer: a threaded HTTP(S) server on 127.0.0.1 that behaves like authentik 2025.10 or 2026.2.

Real sockets, HTTP/1.1 keep-alive, optional TLS. stop() closes the listening socket and every open
connection (clients then get "connection refused"); start() binds the same port again and keeps the
database. Every request is recorded in ``calls``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.authentik_server import contract, seed, versions
from tests.authentik_server.auth import CSRF_COOKIE, DEVICE_COOKIE, SESSION_COOKIE
from tests.authentik_server.faults import WRITE_METHODS, FaultReply, Faults
from tests.authentik_server.routes import dispatch
from tests.authentik_server.state import Database
from tests.authentik_server.web import Request, Response, is_secure

_HOST = "127.0.0.1"
_COOKIE_DATE = "%a, %d %b %Y %H:%M:%S GMT"


@dataclass(frozen=True)
class Call:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    query_string: str
    status: int
    dropped: bool = False  # the write was committed but the connection was reset without a response
    started: float = 0.0
    """When the request arrived (wall clock, ``time.time()``), its body read."""
    answered: float = 0.0
    """When the answer was ready to send (after any injected latency)."""

    @property
    def is_write(self) -> bool:
        """POST/PUT/PATCH/DELETE."""
        return self.method in WRITE_METHODS


def _cookie(
    name: str, value: str, *, max_age: int | None, http_only: bool, same_site: str, secure: bool
) -> str:
    """A Set-Cookie value in Django's attribute order."""
    parts = [f"{name}={value}"]
    if max_age is not None:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=max_age)
        parts.append(f"expires={expires.strftime(_COOKIE_DATE)}")
    if http_only:
        parts.append("HttpOnly")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    parts += ["Path=/", f"SameSite={same_site}"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def _set_cookies(request: Request) -> list[tuple[str, str]]:
    """Cookies the pipeline decided to send (device, csrf, then session, as authentik orders them).

    On a secure request (TLS, or X-Forwarded-Proto: https) the session cookie is "SameSite=None;
    Secure" and the CSRF cookie gains Secure, while the device cookie never has Secure
    (26-oidc-authorize-code-confidential); plain HTTP gives Lax and no Secure (20-flow-executor-login).
    """
    secure = request.secure
    session_same_site = "None" if secure else "Lax"
    headers = []
    if request.issue_device_cookie:
        headers.append(
            _cookie(
                DEVICE_COOKIE,
                request.issue_device_cookie,
                max_age=2592000,
                http_only=False,
                same_site="Lax",
                secure=False,
            )
        )
    if request.issue_csrf_cookie:
        headers.append(
            _cookie(
                CSRF_COOKIE,
                request.issue_csrf_cookie,
                max_age=31449600,
                http_only=False,
                same_site="Lax",
                secure=secure,
            )
        )
    if request.issue_session_cookie and request.session is not None:
        headers.append(
            _cookie(
                SESSION_COOKIE,
                request.session.key,
                max_age=None,
                http_only=True,
                same_site=session_same_site,
                secure=secure,
            )
        )
    elif request.stale_session_cookie:
        headers.append(
            f'{SESSION_COOKIE}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; '
            f"SameSite={session_same_site}{'; Secure' if secure else ''}"
        )
    return [("Set-Cookie", value) for value in headers]


class _Keep:
    """Marker type: "use the value given to the constructor"."""


_KEEP = _Keep()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: AuthentikServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.handshake_failed = False
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.connection, ssl.SSLSocket):  # TLS handshake here, not in the accept loop
            try:
                self.connection.do_handshake()
            except OSError:
                self.handshake_failed = True
        self.server.owner._track(self.connection, add=True)

    def handle(self) -> None:
        if not self.handshake_failed:
            super().handle()

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the calls list is the log."""

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        owner = self.server.owner
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        body = self._read_body()
        arrived = time.time()

        def record(status: int, dropped: bool = False) -> None:
            owner._record(Call(self.command, path, query, split.query, status, dropped, arrived, time.time()))

        delay = owner.faults.delay_for(self.command, path)
        if delay > 0:
            time.sleep(delay)
        fault = owner.faults.reply_instead(self.command, path, self.headers.get("Accept", ""))
        # Calls are recorded before the reply is sent: a client that has its answer sees its call counted.
        if fault is not None:
            owner._record(
                Call(self.command, path, query, split.query, fault.status, False, arrived, time.time())
            )
            self._send_fault(fault)
            return
        headers: Message = self.headers
        request = Request(
            method=self.command,
            path=path,
            query=query,
            query_string=split.query,
            headers=headers,
            body=body,
            secure=is_secure(self.headers, owner.tls is not None),
            client_ip=self.client_address[0],
            version=owner.version,
        )
        response = owner._respond(request)
        if owner.faults.drop_after(self.command, path, response.status):
            owner._record(
                Call(self.command, path, query, split.query, response.status, True, arrived, time.time())
            )
            self._reset_connection()
            return
        owner._record(
            Call(self.command, path, query, split.query, response.status, False, arrived, time.time())
        )
        self._send(response, _set_cookies(request))

    def _send(self, response: Response, cookies: list[tuple[str, str]]) -> None:
        headers = [*response.headers, *cookies]
        self._write(response.status, response.content_type, headers, response.body())

    def _send_fault(self, fault: FaultReply) -> None:
        self._write(fault.status, fault.content_type, list(fault.headers), fault.body)

    def _write(
        self, status: int, content_type: str | None, headers: list[tuple[str, str]], payload: bytes
    ) -> None:
        """Status line, headers and body in one send (no Nagle/delayed-ACK stalls)."""
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        buffered: list[bytes] = self.__dict__["_headers_buffer"]  # what end_headers() would flush
        buffered.append(b"\r\n")
        if self.command != "HEAD":
            buffered.append(payload)
        self.flush_headers()

    def _reset_connection(self) -> None:
        """Abort with a TCP RST: the client sees the connection die with no response."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            self.connection.close()
        self.close_connection = True


class AuthentikServer:
    """A local authentik stand-in for tests (see the package docstring for the interface).

    ``version`` picks the authentik release the instance plays for its whole life: "2025.10"
    (authentik 2025.10.4, the default) or "2026.2" (authentik 2026.2.2), or an AuthentikVersion
    (versions.py lists every difference); ``self.version`` is that AuthentikVersion.
    """

    def __init__(
        self,
        bootstrap_token: str | None = None,
        akadmin_password: str = "akadmin",
        port: int = 0,
        tls: tuple[str, str] | None = None,
        version: str | versions.AuthentikVersion = versions.DEFAULT.name,
    ) -> None:
        self.version = versions.get(version)
        """The authentik version this instance behaves as (``.name`` "2026.2", ``.release`` "2026.2.2")."""
        self.contract = contract.for_client(self.version.client)
        """The authentik-client models every body is checked against (contract.py)."""
        self.bootstrap_token = bootstrap_token
        self.akadmin_password = akadmin_password
        self.tls = tls
        self.db = Database()
        self.faults = Faults(self._refuse_for)
        self.contract_violations: list[str] = []
        self.errors: list[str] = []
        self._port = port
        self._calls: list[Call] = []
        self._calls_lock = threading.Lock()
        self._life_lock = threading.RLock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self.accepted = 0
        """TCP connections accepted since the start (a client that keeps connections alive opens few)."""
        self._refusal: threading.Timer | None = None
        self.wipe()

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (fixed after the first start)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:PORT (https with TLS)."""
        return f"{'https' if self.tls else 'http'}://{_HOST}:{self._port}"

    @property
    def running(self) -> bool:
        """Whether the socket is listening."""
        return self._httpd is not None

    def start(self) -> AuthentikServer:
        """Listen (again) on the same port; state is kept."""
        with self._life_lock:
            self._cancel_refusal()
            if self._httpd is None:
                self._listen()
        return self

    def stop(self) -> None:
        """Close the listening socket and all open connections (connection refused afterwards)."""
        with self._life_lock:
            self._cancel_refusal()
            self._close()

    def __enter__(self) -> AuthentikServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def wipe(
        self, bootstrap_token: str | None | _Keep = _KEEP, akadmin_password: str | _Keep = _KEEP
    ) -> None:
        """Reset the database to a fresh authentik (only the seed), like `docker compose down -v`.

        ``bootstrap_token``/``akadmin_password`` override the constructor's values for this first start
        only (e.g. ``wipe(bootstrap_token=None)``: a fresh authentik without an API token); a later plain
        wipe() uses the constructor's values again.
        """
        token = self.bootstrap_token if isinstance(bootstrap_token, _Keep) else bootstrap_token
        password = self.akadmin_password if isinstance(akadmin_password, _Keep) else akadmin_password
        with self.db.lock:
            self.db.clear()
            seed.populate(self.db, self.version, bootstrap_token=token, akadmin_password=password)

    # --- time -----------------------------------------------------------------------------------

    def advance_clock(self, seconds: float) -> None:
        """Move the server's clock forward (OIDC code/token expiry and JWT times; see clock.py).

        The offset survives wipe() and restarts: time does not run backwards.
        """
        self.db.clock.advance(seconds)

    @property
    def clock_offset(self) -> float:
        """Seconds the server's clock is ahead of the wall clock."""
        return self.db.clock.offset

    def _listen(self) -> None:
        httpd = _HTTPServer((_HOST, self._port), _Handler)
        httpd.owner = self
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        self._port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"authentik-server-{self._port}",
            daemon=True,
        )
        self._thread.start()

    def _close(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with self._calls_lock:
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                connection.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _refuse_for(self, seconds: float) -> None:
        with self._life_lock:
            if self._httpd is None:
                return  # stopped servers stay stopped
            self._cancel_refusal()
            self._close()
            self._refusal = threading.Timer(seconds, self._end_refusal)
            self._refusal.daemon = True
            self._refusal.start()

    def _end_refusal(self) -> None:
        with self._life_lock:
            if self._refusal is not None and self._httpd is None:
                self._refusal = None
                self._listen()

    def _cancel_refusal(self) -> None:
        if self._refusal is not None:
            self._refusal.cancel()
            self._refusal = None

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._calls_lock:
            if add:
                self._connections.add(connection)
                self.accepted += 1
            else:
                self._connections.discard(connection)

    # --- requests -------------------------------------------------------------------------------

    def _respond(self, request: Request) -> Response:
        """Run the pipeline under the database lock and enforce the response contract."""
        try:
            with self.db.lock:
                response = dispatch(request, self.db)
            if response.model is not None:
                self.contract.check_response(response.model, response.payload)
        except contract.ContractViolation as exc:
            message = f"{request.method} {request.path}: {exc}"
            self.contract_violations.append(message)
            print(f"authentik test server CONTRACT VIOLATION: {message}", file=sys.stderr)
            return Response(500, {"detail": f"local authentik server contract violation: {exc}"})
        except Exception:
            message = f"{request.method} {request.path}: {traceback.format_exc()}"
            self.errors.append(message)
            print(f"authentik test server ERROR: {message}", file=sys.stderr)
            page = b"<!doctype html><title>Server Error (500)</title><h1>Server Error (500)</h1>"
            return Response(500, content_type="text/html; charset=utf-8", raw=page)
        return response

    def _record(self, call: Call) -> None:
        with self._calls_lock:
            self._calls.append(call)

    @property
    def calls(self) -> list[Call]:
        """A snapshot of the recorded calls, oldest first."""
        with self._calls_lock:
            return list(self._calls)

    def reset_calls(self) -> None:
        """Forget the recorded calls."""
        with self._calls_lock:
            self._calls.clear()

    def count(self, reads: bool = True) -> int:
        """Number of recorded reads (reads=True) or writes (reads=False)."""
        return sum(1 for call in self.calls if call.is_write != reads)

    @property
    def reads(self) -> int:
        """Recorded non-write calls."""
        return self.count(reads=True)

    @property
    def writes(self) -> int:
        """Recorded POST/PUT/PATCH/DELETE calls."""
        return self.count(reads=False)
