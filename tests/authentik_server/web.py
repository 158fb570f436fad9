"""Request and response objects shared by the routes (independent of the socket server)."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from email.message import Message
from functools import cache
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs

from tests.authentik_server.drf import ApiError
from tests.authentik_server.state import Brand, Session, User
from tests.authentik_server.versions import DEFAULT, AuthentikVersion

JSON_API = "application/json; charset=utf-8"  # DRF's renderer (the version decides: see dispatch)
JSON_PLAIN = "application/json"  # Django JsonResponse (flow executor, OIDC discovery)
HTML = "text/html; charset=utf-8"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_HERE = Path(__file__).parent


@dataclass
class Request:
    """One parsed HTTP request plus what authentication found out about it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    secure: bool  # Django's is_secure(): TLS, or X-Forwarded-Proto: https (see is_secure below)
    query_string: str = ""  # the raw query as sent (Django's get_full_path() keeps its escaping)
    params: dict[str, str] = field(default_factory=dict)  # path parameters filled in by the router
    user: User | None = None
    session: Session | None = None  # the session the cookie points at (may be anonymous)
    via_session: bool = False  # authenticated through the session cookie (CSRF applies)
    stale_session_cookie: bool = False  # send a deletion cookie (stale cookie, or a logout)
    client_ip: str = "127.0.0.1"
    version: AuthentikVersion = DEFAULT  # the authentik version the server instance plays (versions.py)
    brand: Brand | None = None  # picked from the Host header by routes.dispatch (brands.py)
    issue_session_cookie: bool = False  # (re-)send authentik_session with the response
    issue_csrf_cookie: str | None = None  # a new authentik_csrf value to send
    issue_device_cookie: str | None = None  # a new authentik_device value to send

    @property
    def base_url(self) -> str:
        """Scheme and Host as the client addressed us (authentik builds absolute URLs from it)."""
        host = self.headers.get("Host", "127.0.0.1")
        return f"{'https' if self.secure else 'http'}://{host}"

    def param(self, name: str) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None

    def form(self) -> dict[str, str]:
        """Django's request.POST for urlencoded bodies (last value wins); {} for JSON and the rest.

        multipart/form-data is not parsed (OAuth2 clients send urlencoded forms).
        """
        media_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media_type != "application/x-www-form-urlencoded":
            return {}
        fields = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[-1] for name, values in fields.items()}

    @property
    def full_path(self) -> str:
        """Django's get_full_path(): the path plus the raw query string."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies sent by the client (malformed cookie headers count as none)."""
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except CookieError:
            return {}
        return {name: morsel.value for name, morsel in jar.items()}

    def json(self) -> Any:
        """DRF's JSONParser: only application/json is parsed; an empty body is {}."""
        content_type = self.headers.get("Content-Type")
        if not self.body:
            return {}
        media_type = (content_type or "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise ApiError(415, {"detail": f'Unsupported media type "{content_type or ""}" in request.'})
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, {"detail": f"JSON parse error - {_orjson_style(exc, self.body)}"}) from exc


def is_secure(headers: Message, tls: bool) -> bool:
    """Django's request.is_secure() under authentik's SECURE_PROXY_SSL_HEADER.

    A present X-Forwarded-Proto decides alone (only a first value of "https" counts); without it the
    connection's own scheme does. X-Forwarded-Host is never read (25-oidc-discovery-jwks).
    """
    forwarded = headers.get("X-Forwarded-Proto")
    if forwarded is not None:
        return forwarded.split(",", 1)[0].strip() == "https"
    return tls


def _orjson_style(exc: Exception, body: bytes) -> str:
    """authentik parses JSON with orjson; mimic its wording for the common cases."""
    if isinstance(exc, json.JSONDecodeError):
        where = f": line {exc.lineno} column {exc.colno} (char {exc.pos})"
        if not body[exc.pos :].strip():
            return f"unexpected end of data{where}"
        if exc.msg == "Extra data":
            return f"trailing characters{where}"
        return f"unexpected character{where}"
    return "str is not valid UTF-8: surrogates not allowed"


@dataclass
class Response:
    """What a route answers; ``model`` names the authentik_client model the payload must satisfy."""

    status: int
    payload: Any = None
    content_type: str | None = JSON_API
    model: str | None = None
    raw: bytes | None = None  # a literal body (HTML pages), bypassing JSON encoding
    headers: list[tuple[str, str]] = field(default_factory=list)

    def body(self) -> bytes:
        """The encoded body."""
        if self.raw is not None:
            return self.raw
        if self.payload is None:
            return b""
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ok(payload: Any, model: str, status: int = 200) -> Response:
    """A JSON API response whose payload must satisfy ``model``."""
    return Response(status, payload, model=model)


def no_content() -> Response:
    """204 with no body and no Content-Type."""
    return Response(204, content_type=None)


@cache
def _template(name: str) -> Template:
    return Template((_HERE / name).read_text())


def html_error_page(request: Request, title: str, message: str, status: int = 400) -> Response:
    """authentik's bad_request_message(): the full flow-style HTML page with a title and a message.

    The template is the server version's (2026.2 has a new one); the page is titled with the brand
    the Host picked (31-brands-host-oidc-flows [34]: "ACME").
    """
    brand_title = request.brand.fields["branding_title"] if request.brand is not None else "authentik"
    page = _template(request.version.html_page).substitute(
        brand_title=html.escape(str(brand_title)), title=html.escape(title), message=html.escape(message)
    )
    return Response(status, content_type=HTML, raw=page.encode("utf-8"))


def html_not_found(request: Request) -> Response:
    """Django's 404 page (authentik renders it for every unknown path, /api/v3/ included)."""
    return html_error_page(request, "Not Found", "", 404)


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    """Django's HttpResponseRedirect: 302, empty text/html body."""
    return Response(302, content_type=HTML, raw=b"", headers=[("Location", location), *(headers or [])])


def error_response(exc: ApiError) -> Response:
    """Render an ApiError."""
    if exc.empty:
        return Response(exc.status, content_type=None)
    return Response(exc.status, exc.body, model="GenericError" if _is_detail(exc.body) else None)


def _is_detail(body: Any) -> bool:
    return isinstance(body, dict) and set(body) == {"detail"}
