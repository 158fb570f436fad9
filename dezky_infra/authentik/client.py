"""A small typed HTTP client for authentik's API v3 (httpx).

What it adds over plain httpx, each for a reason seen on a real authentik 2025.10:
- Bearer auth, or a password session with authentik's CSRF header (``X-authentik-CSRF``) for the one
  moment a fresh authentik has no API token yet.
- Retries with exponential backoff, up to a deadline, on connection errors and on 429/500/502/503/504:
  authentik's Go router answers 503 "authentik starting" for a while after boot, and a proxy answers
  502 while containers restart. A 4xx other than 429 is never retried.
- Errors that name the field (400) or say what to do (403); every message is scrubbed of secrets.
- Pagination over ``{pagination: {next}, results}`` where ``next`` is a page number, 0 at the end.

It deliberately does not import the generated ``authentik-client`` package (6 s to import).
"""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Final

import httpx

from dezky_infra.authentik.connection import CONFIG_KEYS, CONFIG_NAMESPACE, ConnectionSettings
from dezky_infra.authentik.errors import (
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
# Body keys whose values are secret wherever they appear in a request.
SECRET_BODY_KEYS: Final = frozenset({"client_secret", "key", "password"})

_insecure_warned: set[str] = set()


def _token_hint(detail: str) -> str:
    """What the user should do about a 403, from authentik's detail text."""
    token_key = f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['token']}"
    password_key = f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['bootstrap_password']}"
    if detail == TOKEN_INVALID_DETAIL:
        return (
            f"the API token in `{token_key}` is unknown to authentik or expired; set a valid one with "
            f"`pulumi config set --secret {CONFIG_KEYS['token']} <key>`, or set `{password_key}` so "
            "dezky-infra can create it on a fresh authentik"
        )
    if detail == NO_CREDENTIALS_DETAIL:
        return f"no credentials were sent; set `{token_key}` (or `{password_key}` on a fresh authentik)"
    return "the token's user lacks permission for this call; use a token of a superuser such as akadmin"


class AuthentikClient:
    """One authentik instance's API, with retries, pagination and readable errors.

    Build it inside a provider method (never keep it on a pickled object) and close it, or use it as a
    context manager. ``sleep`` and ``clock`` are injectable so retry timing is testable.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._secrets: set[str] = set()
        self._session_mode = False
        for secret in (settings.token, settings.bootstrap_password):
            if secret is not None:
                self.add_secret(secret.get_secret_value())
        self._http = httpx.Client(
            base_url=settings.api_root + "/",
            timeout=settings.timeout_seconds,
            verify=self._tls_verification(),
            headers={"Accept": "application/json"},
            follow_redirects=False,
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

    @property
    def session_mode(self) -> bool:
        """True when calls authenticate with a password session instead of the bearer token."""
        return self._session_mode

    def _tls_verification(self) -> ssl.SSLContext | bool:
        settings = self.settings
        if settings.insecure_skip_tls_verify:
            if settings.url not in _insecure_warned:
                _insecure_warned.add(settings.url)
                LOG.warning(
                    "TLS verification is OFF for authentik at %s (%s:%s=true): "
                    "anyone on the path can read the API token",
                    settings.url,
                    CONFIG_NAMESPACE,
                    CONFIG_KEYS["insecure_skip_tls_verify"],
                )
            return False
        try:
            return ssl.create_default_context(cafile=settings.ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            key = f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['ca_bundle']}"
            raise AuthentikConfigError(f"stack config `{key}`: cannot load CA bundle: {exc}") from None

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
        subclass for anything else.
        """
        if isinstance(json, Mapping):
            for key in SECRET_BODY_KEYS & json.keys():
                if isinstance(json[key], str):
                    self.add_secret(json[key])
        response = self.send(method, path, json=json, params=params)
        return self._decode(method, path, response)

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
    ) -> httpx.Response:
        """Send one call with retries on transient failures; the raw response, any status."""
        deadline = self._clock() + self.settings.retry_deadline_seconds
        attempt = 0
        while True:
            last_seen: str
            retry_after = 0.0
            try:
                response = self._http.request(
                    method,
                    path.lstrip("/"),
                    json=json,
                    params=params,  # type: ignore[arg-type]
                    headers=self._headers_for(method),
                )
            except httpx.TransportError as exc:
                last_seen = f"{type(exc).__name__}: {self.redact(str(exc)) or 'no detail'}"
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    return response
                last_seen = f"HTTP {response.status_code} {self.redact(response.text[:200]).strip()}"
                retry_after = _retry_after_seconds(response)
            attempt += 1
            delay = max(retry_after, min(5.0, 0.2 * 2 ** (attempt - 1))) * (0.75 + random.random() / 2)  # noqa: S311
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise AuthentikUnavailableError(
                    f"authentik at {self.settings.url} did not answer {method} /api/v3/{path.lstrip('/')} "
                    f"within {self.settings.retry_deadline_seconds:g}s ({attempt} attempts); "
                    f"last seen: {last_seen}"
                )
            LOG.info("retrying %s %s in %.2fs after %s", method, path, min(delay, remaining), last_seen)
            self._sleep(min(delay, remaining))

    def _decode(self, method: str, path: str, response: httpx.Response) -> Any:
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        is_json = content_type.startswith("application/json")
        body: Any = None
        if response.content and is_json:
            body = response.json()
        if 200 <= status < 300:
            return body
        shown_path = "/api/v3/" + path.lstrip("/")
        if status == 400:
            fields: dict[str, list[str]] = {}
            for name, message in flatten_field_errors(body):
                fields.setdefault(name, []).append(self.redact(message))
            raise AuthentikValidationError(method, shown_path, fields)
        detail = self.redact(str(body.get("detail", body))) if isinstance(body, dict) else ""
        if status == 403:
            raise AuthentikAuthError(method, shown_path, status, detail, _token_hint(detail))
        if status == 404:
            if not is_json:
                detail = "no such API route (HTML 404): this authentik version does not serve it"
            raise AuthentikNotFoundError(method, shown_path, status, detail or "not found")
        raise AuthentikApiError(method, shown_path, status, detail or self.redact(response.text[:200]))

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


def _retry_after_seconds(response: httpx.Response) -> float:
    """The server's Retry-After in seconds (capped at 10 s), 0 when absent or not a number."""
    try:
        return min(10.0, float(response.headers.get("retry-after", "0")))
    except ValueError:
        return 0.0


def is_unique_violation(error: AuthentikValidationError, field: str) -> bool:
    """True when authentik rejected ``field`` because another object already uses the value."""
    return any("already exists" in m or "must be unique" in m for m in error.messages_for(field))


__all__ = ["AuthentikApiError", "AuthentikClient", "is_unique_violation"]
