"""Replaying recorded authentik transcripts against the local server and comparing the answers.

Server-specific values (pks, UUIDs, generated secrets and keys, timestamps) cannot match the capture;
the Replayer learns "transcript value -> our value" the first time such a value appears in a response
and from then on requires the mapped value everywhere (bodies, paths, headers). Everything else must be
equal, including key order.
"""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TRANSCRIPTS = Path("/work/shared/authentik-2025.10")
CAPTURE_BASE = "http://127.0.0.1:9000"  # where the capture server listened; absolute URLs contain it
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_GENERATED = re.compile(r"^[A-Za-z0-9]+$")
_VOLATILE_IDS = frozenset({"pk", "num_pk", "uuid"})
_TIMESTAMPS = frozenset(
    {"expires", "last_used", "last_login", "updated", "date_joined", "password_change_date", "last_updated"}
)
_INT_ID_KEYS = frozenset(
    {"pk", "num_pk", "provider", "user", "users", "backchannel_providers", "jwt_federation_providers"}
)
_COOKIE_PLACEHOLDERS = {
    "<session cookie>": "authentik_session",
    "<csrf token>": "authentik_csrf",
    "<authentik_device value>": "authentik_device",
}


@dataclass
class Exchange:
    """One recorded request/response pair."""

    file: str
    index: int
    label: str
    request: dict[str, Any]
    response: dict[str, Any]


def load(name: str) -> list[Exchange]:
    """The exchanges of one transcript file."""
    data = json.loads((TRANSCRIPTS / name).read_text())
    return [
        Exchange(name, i, e.get("label", ""), e["request"], e["response"])
        for i, e in enumerate(data["exchanges"])
    ]


def transcript_files() -> list[str]:
    """All transcript files, in capture order."""
    return sorted(p.name for p in TRANSCRIPTS.glob("[0-9][0-9]-*.json"))


def schedule(moved: dict[tuple[str, int], tuple[str, int]]) -> dict[str, list[Exchange]]:
    """Exchanges per file in replay order; ``moved`` re-plays some right after another exchange.

    A few files contain exchanges that were recorded later than the file's neighbours (e.g. 13's
    setup_urls "after binding" needs the applications created in 14).
    """
    plan = {name: load(name) for name in transcript_files()}
    for (name, index), (after_name, after_index) in sorted(moved.items(), key=lambda m: m[0], reverse=True):
        exchange = next(e for e in plan[name] if e.index == index)
        plan[name].remove(exchange)
        target = plan[after_name]
        position = next(i for i, e in enumerate(target) if e.file == after_name and e.index == after_index)
        target.insert(position + 1, exchange)
    return plan


@dataclass
class Outcome:
    """What the server answered."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """First value of a response header."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> list[str]:
        """Set-Cookie values, in order."""
        return [v for k, v in self.headers if k.lower() == "set-cookie"]


@dataclass
class Replayer:
    """Sends transcript requests with learned substitutions and checks the responses."""

    base_url: str
    api_token: str
    password: str
    ids: dict[Any, Any] = field(default_factory=dict)
    jar: dict[str, str] = field(default_factory=dict)

    # --- requests -------------------------------------------------------------------------------

    def _text(self, value: str) -> str:
        value = value.replace("<api-token>", self.api_token).replace("<akadmin-password>", self.password)
        for placeholder, cookie in _COOKIE_PLACEHOLDERS.items():
            if placeholder in value:
                value = value.replace(placeholder, self.jar.get(cookie, "missing-cookie"))
        for old, new in self.ids.items():
            if isinstance(old, str) and len(old) >= 8 and old in value:
                value = value.replace(old, str(new))
        return value

    def _path(self, path: str) -> str:
        split = urlsplit(path)
        segments = [str(self.ids.get(_as_key(s), s)) for s in split.path.split("/")]
        rebuilt = "/".join(segments)
        return f"{rebuilt}?{self._text(split.query)}" if split.query else rebuilt

    def _body(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self._body(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._body(v, key) for v in value]
        if isinstance(value, str):
            return self._text(value)
        return self._mapped(value, key)

    def _mapped(self, value: Any, key: str | None) -> Any:
        """The server's value for a transcript value (ints only under id-like keys)."""
        if not _hashable(value):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and key not in _INT_ID_KEYS:
            return value
        return self.ids.get(_as_key(value), value)

    def send(self, exchange: Exchange) -> Outcome:
        """Send the (substituted) recorded request over a fresh connection."""
        request = exchange.request
        headers = {k: self._text(v) for k, v in (request.get("headers") or {}).items()}
        body = request.get("body")
        payload: bytes | None
        if body is None:
            payload = None
        elif isinstance(body, str):
            payload = self._text(body).encode()
        else:
            payload = json.dumps(self._body(body)).encode()
        split = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=10)
        try:
            connection.request(request["method"], self._path(request["path"]), body=payload, headers=headers)
            response = connection.getresponse()
            outcome = Outcome(response.status, response.getheaders(), response.read())
        finally:
            connection.close()
        for value in outcome.cookies():
            name, _, rest = value.partition("=")
            self.jar[name] = rest.split(";")[0]
        return outcome

    # --- comparison -----------------------------------------------------------------------------

    def check(self, exchange: Exchange, outcome: Outcome) -> list[str]:
        """Every difference between the recorded and the actual response."""
        expected = exchange.response
        problems: list[str] = []
        if outcome.status != expected["status"]:
            problems.append(f"status {outcome.status} != {expected['status']}: {outcome.body[:300]!r}")
            return problems
        headers = expected.get("headers") or {}
        if outcome.header("Content-Type") != headers.get("Content-Type"):
            wanted = headers.get("Content-Type")
            problems.append(f"Content-Type {outcome.header('Content-Type')!r} != {wanted!r}")
        if "Location" in headers and outcome.header("Location") != self._path(headers["Location"]):
            problems.append(f"Location {outcome.header('Location')!r} != {headers['Location']!r}")
        names = [c.split("=")[0] for c in outcome.cookies()]
        if names != headers.get("Set-Cookie", []):
            problems.append(f"Set-Cookie names {names} != {headers.get('Set-Cookie', [])}")
        elif expected.get("set_cookie_attributes"):
            got = [_redact_cookie(c) for c in outcome.cookies()]
            want = [_redact_cookie(c) for c in expected["set_cookie_attributes"]]
            if got != want:
                problems.append(f"cookie attributes {got} != {want}")
        problems += self._compare_body(expected.get("body"), outcome)
        return problems

    def _compare_body(self, expected: Any, outcome: Outcome) -> list[str]:
        if expected is None:
            return [] if outcome.body == b"" else [f"expected no body, got {outcome.body[:200]!r}"]
        if isinstance(expected, str):
            return [] if outcome.body.decode() == expected else ["body text differs"]
        try:
            actual = json.loads(outcome.body)
        except ValueError:
            return [f"body is not JSON: {outcome.body[:200]!r}"]
        problems: list[str] = []
        self._compare(expected, actual, "$", None, problems)
        return problems

    def _compare(self, expected: Any, actual: Any, where: str, key: str | None, problems: list[str]) -> None:
        if isinstance(expected, dict):
            if not isinstance(actual, dict) or list(expected) != list(actual):
                problems.append(
                    f"{where}: keys {list(actual) if isinstance(actual, dict) else actual!r}"
                    f" != {list(expected)}"
                )
                return
            for name, value in expected.items():
                self._compare(value, actual[name], f"{where}.{name}", name, problems)
            return
        if isinstance(expected, list):
            if not isinstance(actual, list) or len(actual) != len(expected):
                problems.append(f"{where}: {actual!r} != {expected!r}")
                return
            for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
                self._compare(want, got, f"{where}[{index}]", key, problems)
            return
        self._compare_scalar(expected, actual, where, key, problems)

    def _compare_scalar(
        self, expected: Any, actual: Any, where: str, key: str | None, problems: list[str]
    ) -> None:
        if isinstance(expected, str):
            expected = expected.replace(CAPTURE_BASE, self.base_url)
        mapped = self._mapped(expected, key)
        if actual == mapped and type(actual) is type(mapped):
            return
        if key in _TIMESTAMPS and _is_timestamp(expected) and _is_timestamp(actual):
            return
        learnable = key in _VOLATILE_IDS or (
            key in ("client_secret", "key")
            and isinstance(expected, str)
            and _GENERATED.match(expected)
            and not expected.startswith("capture")
        )
        if learnable and type(actual) is type(expected) and _as_key(expected) not in self.ids:
            if _is_uuid(expected) and not _is_uuid(actual):
                problems.append(f"{where}: {actual!r} is not a UUID like {expected!r}")
                return
            if key in ("client_secret", "key") and not (
                isinstance(actual, str) and len(actual) == len(expected) and _GENERATED.match(actual)
            ):
                problems.append(f"{where}: generated {actual!r} does not look like {expected!r}")
                return
            self.ids[_as_key(expected)] = actual
            return
        problems.append(f"{where}: {actual!r} != {mapped!r}")


def _is_timestamp(value: Any) -> bool:
    return isinstance(value, str) and _TIMESTAMP.match(value) is not None


def _is_uuid(value: Any) -> bool:
    return isinstance(value, str) and _UUID.match(value) is not None


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _as_key(value: Any) -> Any:
    """Ints and their string form (as in URL paths) share one mapping entry."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _redact_cookie(value: str) -> str:
    name, _, rest = value.partition("=")
    attributes = rest.split(";")[1:]
    normalized = [
        a if "1970" in a or not a.strip().startswith("expires=") else " expires=<date>" for a in attributes
    ]
    return ";".join([f"{name}=<redacted>", *normalized])
