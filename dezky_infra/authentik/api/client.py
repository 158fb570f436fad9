"""A small typed HTTP client for authentik's API v3 (httpx).

What it adds over plain httpx, each for a reason seen on a real authentik 2025.10:
- Bearer auth, or a password session with authentik's CSRF header (``X-authentik-CSRF``) for the one
  moment a fresh authentik has no API token yet.
- Retries with exponential backoff, up to a deadline, on connection errors and on 429/500/502/503/504:
  authentik's Go router answers 503 "authentik starting" for a while after boot, and a proxy answers
  502 while containers restart. A server's ``Retry-After`` is honoured (capped). A 4xx other than 429
  is never retried, and neither is a TLS certificate that does not verify (waiting cannot fix it).
  Writes are retried too, also after a lost response: every resource adopts the object a lost create
  made (authentik answers the retry with a unique-violation 400), so a retry never duplicates.
- Past the deadline, one line naming the URL, the call and the last thing seen.
- Errors that name the field (400) or say what to do (403); every message is scrubbed of secrets.
- Pagination over ``{pagination: {next}, results}`` where ``next`` is a page number, 0 at the end.

It deliberately does not import the generated ``authentik-client`` package (6 s to import).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import html
import json as json_module
import logging
import random
import re
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Final

import httpx

from dezky_infra.authentik.api.connect_via import ConnectVia
from dezky_infra.authentik.api.connection import ConnectionSettings, load_failure
from dezky_infra.authentik.api.errors import (
    NO_CREDENTIALS_DETAIL,
    TOKEN_INVALID_DETAIL,
    AuthentikApiError,
    AuthentikAuthError,
    AuthentikConfigError,
    AuthentikNotFoundError,
    AuthentikUnavailableError,
    AuthentikValidationError,
    flatten_field_errors,
)

LOG = logging.getLogger("dezky_infra.authentik")

RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_COOKIE: Final = "authentik_csrf"
CSRF_HEADER: Final = "X-authentik-CSRF"
PAGE_SIZE: Final = 100
REDACTED: Final = "[secret]"
# Body keys whose values are secret wherever they appear in a request or a response.
SECRET_BODY_KEYS: Final = frozenset({"client_secret", "key", "password"})
BACKOFF_FIRST_SECONDS: Final = 0.2
BACKOFF_MAX_SECONDS: Final = 5.0
RETRY_AFTER_CAP_SECONDS = 10.0
"""A server's Retry-After is waited for, but never longer than this (nor past the deadline)."""
LAST_SEEN_MAX_CHARS: Final = 160
USER_AGENT: Final = "dezky-infra"
"""Sent with every call, so authentik's session and event lists show which ones are ours."""

_insecure_warned: set[str] = set()


def _token_hint(detail: str, settings: ConnectionSettings) -> str:
    """What the user should do about a 403, from authentik's detail text."""
    token_key = settings.name_of("token")
    password_key = settings.name_of("bootstrap_password")
    if detail == TOKEN_INVALID_DETAIL:
        return (
            f"the API token in `{token_key}` is unknown to authentik or expired; set a valid one with "
            f"`{settings.how_to_set('token', '<key>')}`, or set `{password_key}` so "
            "dezky-infra can create it on a fresh authentik"
        )
    if detail == NO_CREDENTIALS_DETAIL:
        return f"no credentials were sent; set `{token_key}` (or `{password_key}` on a fresh authentik)"
    return "the token's user lacks permission for this call; use a token of a superuser such as akadmin"


class AuthentikClient:
    """One authentik instance's API, with retries, pagination and readable errors.

    Build it inside a provider method (never keep it on a pickled object) and close it, or use it as a
    context manager. ``sleep`` and ``clock`` are injectable so retry timing is testable, and
    ``transport`` so a test can give answers no server it runs would give. ``connect_via`` sends every
    call to that origin with the URL's host kept as Host (``ConnectVia``: a host that does not resolve).
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        connect_via: str | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._secrets: set[str] = set()
        self._session_mode = False
        for secret in (settings.token, settings.bootstrap_password):
            if secret is not None:
                self.add_secret(secret.get_secret_value())
        transport = transport or _process_pool(self._tls_verification())
        if connect_via is not None:
            transport = ConnectVia(connect_via, transport)
        self._http = httpx.Client(
            base_url=settings.api_root + "/",
            timeout=settings.timeout_seconds,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            follow_redirects=False,
            transport=transport,
        )
        if settings.token is not None:
            self._http.headers["Authorization"] = f"Bearer {settings.token.get_secret_value()}"

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> AuthentikClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __repr__(self) -> str:
        mode = "session" if self._session_mode else "bearer"
        return f"AuthentikClient(url={self.settings.url!r}, auth={mode})"

    # -- secrets ----------------------------------------------------------------------------------
    def add_secret(self, value: str) -> None:
        """Register a value that must never appear in an error message."""
        if value:
            self._secrets.add(value)

    def redact(self, text: str) -> str:
        """``text`` with every registered secret replaced by ``[secret]``."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    # -- auth modes -------------------------------------------------------------------------------
    @property
    def http(self) -> httpx.Client:
        """The underlying httpx client (for the flow-executor login, which is not JSON API)."""
        return self._http

    def use_session(self) -> None:
        """Switch from bearer to the session cookies now in the jar (after a password login)."""
        self._http.headers.pop("Authorization", None)
        self._session_mode = True

    def use_bearer(self) -> None:
        """Back from a password session to the configured API token (the session's cookies go)."""
        self._http.cookies.clear()
        if self.settings.token is not None:
            self._http.headers["Authorization"] = f"Bearer {self.settings.token.get_secret_value()}"
        self._session_mode = False

    @property
    def session_mode(self) -> bool:
        """True when calls authenticate with a password session instead of the bearer token."""
        return self._session_mode

    def _tls_verification(self) -> ssl.SSLContext | bool:
        """The TLS setting for httpx: off (warned once per URL), or the system roots plus the bundle."""
        settings = self.settings
        if settings.insecure_skip_tls_verify:
            if settings.url not in _insecure_warned:
                _insecure_warned.add(settings.url)
                LOG.warning(
                    "TLS verification is OFF for authentik at %s (%s=true): "
                    "anyone on the path can read the API token",
                    settings.url,
                    settings.name_of("insecure_skip_tls_verify"),
                )
            return False
        return _verifying_context(settings.ca_bundle, settings.where("ca_bundle"))

    def tls_failure(self, exc: httpx.TransportError) -> AuthentikConfigError | None:
        """The config error for a certificate that does not verify (never worth a retry), else None.

        Public for code that calls ``http`` directly (the readiness probe), so it can stop early too.
        """
        verify_error = next(
            (e for e in _exception_chain(exc) if isinstance(e, ssl.SSLCertVerificationError)), None
        )
        if verify_error is None:
            return None
        reason = verify_error.verify_message or verify_error.reason or "certificate verify failed"
        return AuthentikConfigError(
            f"authentik at {self.settings.url}: TLS certificate not trusted ({reason}); set "
            f"`{self.settings.name_of('ca_bundle')}` to the PEM of the CA that signed it "
            f"(e.g. mkcert's rootCA.pem), or `{self.settings.name_of('insecure_skip_tls_verify')}` "
            "to true to skip verification (unsafe)"
        )

    # -- requests ---------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int | Iterable[str]] | None = None,
    ) -> Any:
        """Call ``/api/v3/<path>`` and return the decoded JSON body (``None`` for an empty body).

        Retries transient failures until ``retry_deadline_seconds``; raises an ``AuthentikError``
        subclass for anything else. Secret values in the request and the answer (``client_secret``,
        ``key``, ``password``) are registered, so no later message can show them.
        """
        self._register_secrets(json)
        response = self.send(method, path, json=json, params=params)
        body = self._decode(method, path, response)
        self._register_secrets(body)
        return body

    def _register_secrets(self, body: Any) -> None:
        """Register the values of secret keys in a JSON body (an object, a list page, or a list)."""
        if isinstance(body, Mapping):
            for key in SECRET_BODY_KEYS & body.keys():
                if isinstance(body[key], str):
                    self.add_secret(body[key])
            results = body.get("results")
            if isinstance(results, list):
                self._register_secrets(results)
        elif isinstance(body, list):
            for item in body:
                if isinstance(item, Mapping):
                    self._register_secrets(item)

    def _headers_for(self, method: str) -> dict[str, str]:
        if self._session_mode and method in WRITE_METHODS:
            csrf = self._http.cookies.get(CSRF_COOKIE)
            if csrf:
                return {CSRF_HEADER: csrf}
        return {}

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int | Iterable[str]] | None = None,
        also_retry: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """Send one call with retries on transient failures; the raw response, any status.

        Waits ``max(Retry-After (capped), exponential backoff with jitter)`` between attempts, never
        past ``retry_deadline_seconds``; then raises ``AuthentikUnavailableError`` (one line: URL, call,
        attempts and the last thing seen). ``also_retry`` adds statuses that mean "not ready yet" for
        this one call (the login flow's 404 while authentik applies its default flows).
        """
        relative = path.lstrip("/")
        deadline = self._clock() + self.settings.retry_deadline_seconds
        attempt = 0
        while True:
            attempt += 1
            retry_after = 0.0
            try:
                response = self._http.request(
                    method,
                    relative,
                    json=json,
                    params=params,  # type: ignore[arg-type]
                    headers=self._headers_for(method),
                )
            except httpx.TransportError as exc:
                tls_failure = self.tls_failure(exc)
                if tls_failure is not None:
                    raise tls_failure from None
                last_seen = describe_transport_error(exc, self.redact)
            else:
                if response.status_code not in RETRYABLE_STATUSES | also_retry:
                    return response
                last_seen = describe_response(response, self.redact)
                retry_after = retry_after_seconds(response)
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise AuthentikUnavailableError(
                    f"authentik at {self.settings.url} did not answer {method} /api/v3/{relative} within "
                    f"{self.settings.retry_deadline_seconds:g}s ({attempt} attempts; "
                    f"`{self.settings.name_of('retry_deadline_seconds')}` sets how long to wait); "
                    f"last seen: {last_seen}"
                )
            delay = min(max(retry_after, backoff_seconds(attempt)), remaining)
            LOG.info("retrying %s /api/v3/%s in %.2fs after %s", method, relative, delay, last_seen)
            self._sleep(delay)

    def _decode(self, method: str, path: str, response: httpx.Response) -> Any:
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        is_json = content_type.startswith("application/json")
        shown_path = "/api/v3/" + path.lstrip("/")
        body: Any = None
        if response.content and is_json:
            try:
                body = response.json()
            except ValueError:
                is_json = False
        if 200 <= status < 300:
            if response.content and not is_json:
                raise AuthentikApiError(
                    method,
                    shown_path,
                    status,
                    f"expected JSON, got {content_type or 'no content type'}; {self._url_hint()}",
                )
            return body
        if status == 400:
            fields: dict[str, list[str]] = {}
            for name, message in flatten_field_errors(body):
                fields.setdefault(name, []).append(self.redact(message))
            raise AuthentikValidationError(method, shown_path, fields)
        detail = _one_line(self.redact(str(body.get("detail", body)))) if isinstance(body, dict) else ""
        if status == 403:
            raise AuthentikAuthError(method, shown_path, status, detail, _token_hint(detail, self.settings))
        if status == 404:
            if not is_json:
                detail = (
                    "no such API route (HTML 404): this authentik version does not serve it, or "
                    f"{self._url_hint()}"
                )
            raise AuthentikNotFoundError(method, shown_path, status, detail or "not found")
        detail = detail or summarize_body(content_type, self.redact(response.text)) or "no detail"
        raise AuthentikApiError(method, shown_path, status, detail)

    def _url_hint(self) -> str:
        return f"`{self.settings.name_of('url')}` ({self.settings.url}) is not authentik's base URL"

    # -- conveniences ----------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, str | int | Iterable[str]] | None = None) -> Any:
        """GET and decode."""
        return self.request("GET", path, params=params)

    def get_or_none(self, path: str) -> Any:
        """GET one object, ``None`` when authentik answers 404."""
        try:
            return self.request("GET", path)
        except AuthentikNotFoundError:
            return None

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST a JSON body."""
        return self.request("POST", path, json=dict(body))

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        """PATCH a JSON body (only the fields given change)."""
        return self.request("PATCH", path, json=dict(body))

    def delete(self, path: str) -> bool:
        """DELETE; returns False when the object was already gone (404 is not an error here)."""
        try:
            self.request("DELETE", path)
        except AuthentikNotFoundError:
            return False
        return True

    def list_all(
        self, path: str, params: Mapping[str, str | int | Iterable[str]] | None = None
    ) -> list[dict[str, Any]]:
        """Every result of a paginated list, following ``pagination.next`` until it is 0."""
        results: list[dict[str, Any]] = []
        page = 1
        while True:
            query: dict[str, str | int | Iterable[str]] = dict(params or {})
            query.update(page=page, page_size=PAGE_SIZE)
            body = self.get(path, query)
            results.extend(body["results"])
            page = int(body["pagination"]["next"])
            if page == 0:
                return results


@functools.lru_cache(maxsize=8)
def _verifying_context(ca_bundle: str | None, setting: str) -> ssl.SSLContext:
    """The system roots plus ``ca_bundle`` (given as ``setting``), built once per process and bundle.

    Building a context reads the whole system CA store (~50 ms); the providers make a client per
    resource operation, so without this a 100-tenant refresh spent 15 s just loading certificates.
    """
    context = ssl.create_default_context()
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except OSError as exc:  # ssl.SSLError is one
            raise AuthentikConfigError(
                f"{setting}: cannot load CA bundle {ca_bundle!r} ({load_failure(exc)}); give the path "
                "of a PEM file with the CA certificate(s) that sign authentik's certificate"
            ) from None
    return context


class _ProcessPool(httpx.HTTPTransport):
    """Keep-alive connections shared by every client of the process with the same TLS setting.

    The providers make a client per resource operation (its cookies and auth are that operation's);
    their connections outlive it, so a 100-tenant run opens a handful of connections (and TLS
    handshakes) instead of one per operation. A client's ``close`` leaves the pool open: it lives as
    long as the process. httpcore's pool is thread-safe and drops connections the server closed.
    """

    def close(self) -> None:
        """Nothing: other clients use these connections (the process's exit closes them)."""


@functools.cache
def _process_pool(verify: ssl.SSLContext | bool) -> _ProcessPool:
    """The pool for this TLS setting (contexts are built once per bundle and hash by identity)."""
    return _ProcessPool(verify=verify)


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it was raised from or during (httpx wraps ssl's errors twice)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with +-25 % jitter: 0.2 s, 0.4 s, 0.8 s, ... up to 5 s, for attempt 1, 2, ..."""
    base: float = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2.0 ** (attempt - 1))
    return base * (0.75 + random.random() / 2)  # noqa: S311 - jitter, not cryptography


def retry_after_seconds(response: httpx.Response, now: dt.datetime | None = None) -> float:
    """The server's Retry-After (seconds or an HTTP date) capped at ``RETRY_AFTER_CAP_SECONDS``; 0 if none."""
    raw = response.headers.get("retry-after", "").strip()
    if not raw:
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return 0.0
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return float(max(0.0, min(RETRY_AFTER_CAP_SECONDS, seconds)))


_TAG = re.compile(r"<[^>]*>")
_BODY = re.compile(r"<body[^>]*>(.*?)(?:</body>|$)", re.IGNORECASE | re.DOTALL)
_SCRIPT = re.compile(r"<(script|style)[^>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)


def _one_line(text: str, limit: int = LAST_SEEN_MAX_CHARS) -> str:
    """``text`` with all whitespace runs collapsed to one space, cut at ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def summarize_body(content_type: str, text: str) -> str:
    """An error answer's body in one line: a JSON ``detail``/``error``, an HTML page's visible text, or
    the plain text itself. Redact ``text`` before: the summary is cut short, which could cut a secret."""
    summary = text
    if "json" in content_type:
        try:
            body = json_module.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict):
            summary = str(body.get("detail") or body.get("error") or text)
    elif "html" in content_type:
        match = _BODY.search(text)
        summary = html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", match.group(1) if match else text)))
    return _one_line(summary)


def describe_response(response: httpx.Response, redact: Callable[[str], str] = str) -> str:
    """One line for an error answer, ``HTTP 503 Service Unavailable: authentik starting``, its body
    passed through ``redact`` before it is summarised."""
    head = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    summary = summarize_body(response.headers.get("content-type", ""), redact(response.text))
    return f"{head}: {summary}" if summary and summary != response.reason_phrase else head


def describe_transport_error(exc: httpx.TransportError, redact: Callable[[str], str] = str) -> str:
    """One line for a failed connection: ``ConnectError: [Errno 111] Connection refused``."""
    return f"{type(exc).__name__}: {_one_line(redact(str(exc))) or 'no detail'}"


__all__ = ["AuthentikApiError", "AuthentikClient"]
