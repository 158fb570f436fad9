"""Replaying recorded authentik transcripts against the local server and comparing the answers.

Server-specific values (pks, UUIDs, generated secrets and keys, timestamps) cannot match the capture;
the Replayer learns "transcript value -> our value" the first time such a value appears in a response
and from then on requires the mapped value everywhere (bodies, paths, headers). Everything else must be
equal, including key order.

The OIDC files (25-28) add more volatile values:
- redacted secrets: ``<authorization code>`` (from a Location), ``<access token>``, ``<id token>`` and
  ``<refresh token>`` (from token bodies) are recorded as our server issues them; a request placeholder
  gets the latest one issued, unless the test names the exchange that issued it (``sources``);
- JWTs: the ``decoded`` header and claims next to a response are compared with ours (keys in order,
  volatile claims learned, exp - iat equal, the signature verified with the server's JWKS);
- per-request values (``request_id``, an HTML page's sentry-trace), key material (kid, n, x5c, ...),
  scope strings (a Python set's order in authentik, so compared as sets) and URLs built from the
  request's Host (``127.0.0.1:9000`` is our address);
- cookie jars: a label "[login 2] ..." or "[login 2 session] ..." replays with the jar named "login 2",
  an unlabelled exchange with the jar used last;
- they record more response headers (WWW-Authenticate, Cache-Control, Pragma, CORS, Allow), which are
  then compared too, absent ones included.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jwt

if TYPE_CHECKING:
    from tests.authentik_server.server import AuthentikServer

TRANSCRIPTS = Path("/work/shared/authentik-2025.10")  # the default version's capture (versions.py)
_CAPTURE_HOST = "127.0.0.1:9000"  # where the 2025.10 capture server listened; URLs built from Host contain it
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_GENERATED = re.compile(r"^[A-Za-z0-9]+$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2})+$")
_SENTRY_TRACE = re.compile(r'<meta name="sentry-trace" content="[^"]*" />')
_JAR_LABEL = re.compile(r"^\[(?P<jar>[^\]]+?)(?: session)?\]")
_VOLATILE_IDS = frozenset({"pk", "num_pk", "uuid", "brand_uuid"})
# values that are ours alone and are learned on first sight: the user's OIDC subject, session ids,
# random token uids, key material and certificate fingerprints (fresh instance, fresh key)
_LEARNED = frozenset(
    {
        "sub",
        "sid",
        "uid",
        "jti",
        "kid",
        "n",
        "x5c",
        "x5t",
        "x5t#S256",
        "fingerprint_sha256",
        "fingerprint_sha1",
    }
)
_TIMESTAMPS = frozenset(
    {
        "expires",
        "last_used",
        "last_login",
        "updated",
        "date_joined",
        "password_change_date",
        "last_updated",
        "cert_expiry",
    }
)
_INT_ID_KEYS = frozenset(
    {"pk", "num_pk", "provider", "user", "users", "backchannel_providers", "jwt_federation_providers"}
)
# Lists whose order the server does not define: system_permissions is a set (the order differs per
# instance); discovery's scopes_supported comes from a ScopeMapping query without ORDER BY, so the
# same three mappings, sent in the same order, list as openid, email, profile in 25[4] and as
# profile, email, openid in 31[18].
UNORDERED_LISTS = frozenset({"system_permissions", "scopes_supported"})
_JWT_TIMES = ("exp", "iat", "auth_time")
_COOKIE_PLACEHOLDERS = {
    "<session cookie>": "authentik_session",
    "<csrf token>": "authentik_csrf",
    "<authentik_device value>": "authentik_device",
}
CODE = "<authorization code>"
ACCESS_TOKEN = "<access token>"
ID_TOKEN = "<id token>"
REFRESH_TOKEN = "<refresh token>"
_BODY_SECRETS = {"access_token": ACCESS_TOKEN, "id_token": ID_TOKEN, "refresh_token": REFRESH_TOKEN}
_CODE_PATTERN = "[0-9a-f]{32}"
# Files from 25 on record these response headers where present (README: "OIDC files 25-28").
FULL_HEADERS_FROM = 25
_EXTRA_HEADERS = (
    "WWW-Authenticate",
    "Cache-Control",
    "Pragma",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Methods",
    "Allow",
)
# the proxy headers most 25-28 requests carry (README "Reverse-proxy headers")
PROXY_HEADERS = {"Host": "auth.dezky.local", "X-Forwarded-Proto": "https"}
_LOGIN_FLOW = "/api/v3/flows/executor/default-authentication-flow/?query="


@dataclass
class Exchange:
    """One recorded request/response pair (``decoded``: the JWTs of the response, header and claims)."""

    file: str
    index: int
    label: str
    request: dict[str, Any]
    response: dict[str, Any]
    decoded: dict[str, Any] | None = None


def load(name: str, folder: Path = TRANSCRIPTS) -> list[Exchange]:
    """The exchanges of one transcript file."""
    data = json.loads((folder / name).read_text())
    return [
        Exchange(name, i, e.get("label", ""), e["request"], e["response"], e.get("decoded"))
        for i, e in enumerate(data["exchanges"])
    ]


def transcript_files(folder: Path = TRANSCRIPTS, exclude: Collection[str] = ()) -> list[str]:
    """All transcript files, in capture order (29-latency.json holds timings, not exchanges)."""
    return sorted(
        p.name
        for p in folder.glob("[0-9][0-9]-*.json")
        if p.name not in exclude and "exchanges" in json.loads(p.read_text())
    )


def schedule(
    moved: Mapping[tuple[str, int], tuple[str, int]],
    folder: Path = TRANSCRIPTS,
    exclude: Collection[str] = (),
) -> dict[str, list[Exchange]]:
    """Exchanges per file in replay order; ``moved`` re-plays some right after another exchange.

    A few files contain exchanges that were recorded later than the file's neighbours (e.g. 13's
    setup_urls "after binding" needs the applications created in 14).
    """
    plan = {name: load(name, folder) for name in transcript_files(folder, exclude)}
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


def _file_number(name: str) -> int:
    return int(name[:2])


@dataclass
class Replayer:
    """Sends transcript requests with learned substitutions and checks the responses.

    ``sources`` names, for an exchange whose request placeholder is not the latest value issued, the
    exchange (same file) whose response issued it: {(file, index): {placeholder: issuing index}}.
    """

    base_url: str
    api_token: str
    password: str
    sources: Mapping[tuple[str, int], dict[str, int]] = field(default_factory=dict)
    capture_host: str = _CAPTURE_HOST  # where the capture's server listened (its URLs contain it)
    # keys of lists compared as multisets (a top-level list body counts under its path's last segment)
    unordered: frozenset[str] = UNORDERED_LISTS
    ids: dict[Any, Any] = field(default_factory=dict)
    jars: dict[str, dict[str, str]] = field(default_factory=lambda: {"": {}})
    jar_name: str = ""
    issued: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)  # placeholder -> values
    current: tuple[str, int] = field(default=("", -1), init=False)  # the exchange being replayed
    jwks: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)  # JWKS by issuer path

    @property
    def jar(self) -> dict[str, str]:
        """The cookie jar in use."""
        return self.jars.setdefault(self.jar_name, {})

    def new_instance(self, aliases: dict[Any, Any]) -> None:
        """Start over for transcripts recorded on another authentik instance (files 25-29).

        Learned values, cookie jars and issued secrets belong to the old instance; ``aliases`` maps
        the new instance's seed pks (flows, keypair, scope mappings) to this server's.
        """
        self.ids = dict(aliases)
        self.jars = {"": {}}
        self.jar_name = ""
        self.issued = {}

    # --- requests -------------------------------------------------------------------------------

    def _secret(self, placeholder: str) -> str:
        values = self.issued.get(placeholder, [])
        source = self.sources.get(self.current, {}).get(placeholder)
        if source is not None:
            values = [v for v in values if v[:2] == (self.current[0], source)]
        return values[-1][2] if values else f"missing{placeholder}"

    def _text(self, value: str) -> str:
        value = value.replace("<api-token>", self.api_token).replace("<akadmin-password>", self.password)
        for placeholder, cookie in _COOKIE_PLACEHOLDERS.items():
            if placeholder in value:
                value = value.replace(placeholder, self.jar.get(cookie, "missing-cookie"))
        for placeholder in (CODE, ACCESS_TOKEN, ID_TOKEN, REFRESH_TOKEN):
            if placeholder in value:
                value = value.replace(placeholder, self._secret(placeholder))
        for old, new in self.ids.items():
            if isinstance(old, str) and len(old) >= 8 and old in value:
                value = value.replace(old, str(new))
        return value

    def _header(self, name: str, value: str) -> str:
        """A request header; a Basic value is decoded, substituted (the client secret) and re-encoded."""
        if name.lower() == "authorization" and value.startswith("Basic "):
            try:
                decoded = base64.b64decode(value[6:], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return value  # a deliberately malformed value goes out as recorded
            return "Basic " + base64.b64encode(self._text(decoded).encode("utf-8")).decode("ascii")
        return self._text(value)

    def _ours(self, text: str) -> str:
        """A URL the capture server built from its own address, built from ours (either scheme)."""
        return text.replace(f"://{self.capture_host}", f"://{urlsplit(self.base_url).netloc}")

    def _path(self, path: str) -> str:
        split = urlsplit(path)
        if split.scheme:  # an absolute URL (a redirect to a client): only text substitutions
            return self._text(self._ours(path))
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

    def _select_jar(self, exchange: Exchange) -> None:
        labelled = _JAR_LABEL.match(exchange.label)
        if labelled:
            self.jar_name = labelled["jar"]

    def _request(self, method: str, path: str, headers: dict[str, str], payload: bytes | None) -> Outcome:
        """One request over a fresh connection (like the capture); cookies go into the current jar."""
        split = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=10)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            outcome = Outcome(response.status, response.getheaders(), response.read())
        finally:
            connection.close()
        for value in outcome.cookies():
            name, _, rest = value.partition("=")
            if "Max-Age=0" in rest:
                self.jar.pop(name, None)
            else:
                self.jar[name] = rest.split(";")[0]
        return outcome

    def send(self, exchange: Exchange) -> Outcome:
        """Send the (substituted) recorded request."""
        self.current = (exchange.file, exchange.index)
        self._select_jar(exchange)
        request = exchange.request
        headers = {k: self._header(k, v) for k, v in (request.get("headers") or {}).items()}
        body = request.get("body")
        payload: bytes | None
        if body is None:
            payload = None
        elif isinstance(body, str):
            payload = self._text(body).encode()
        else:
            payload = json.dumps(self._body(body)).encode()
        return self._request(request["method"], self._path(request["path"]), headers, payload)

    def delete(self, path: str) -> int:
        """An API DELETE the capture made without recording it; ``path`` in transcript values.

        Returns the status (the caller insists on 204).
        """
        headers = {"Authorization": f"Bearer {self.api_token}"}
        return self._request("DELETE", self._path(path), headers, None).status

    def plan_flow(self, jar_name: str, slug: str, headers: dict[str, str] | None = None) -> Outcome:
        """An unrecorded GET of a flow's executor (which plans the flow) in the named jar (made current)."""
        self.jar_name = jar_name
        cookie = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        sent = {**(headers or {}), **({"Cookie": cookie} if cookie else {})}
        return self._request("GET", f"/api/v3/flows/executor/{slug}/?query=", sent, None)

    def login(self, jar_name: str, headers: dict[str, str]) -> None:
        """A headless password login through the flow executor into the named jar (made current).

        For transcripts whose session came from a login that was not recorded (28).
        """
        self.jar_name = jar_name
        self.jars[jar_name] = {}

        def step(method: str, body: dict[str, str] | None = None) -> Outcome:
            cookie = "; ".join(f"{k}={v}" for k, v in self.jar.items())
            sent = {**headers, "Cookie": cookie} if cookie else dict(headers)
            payload = None
            if body is not None:
                sent["Content-Type"] = "application/json"
                payload = json.dumps(body).encode()
            return self._request(method, _LOGIN_FLOW, sent, payload)

        step("GET")
        step("POST", {"component": "ak-stage-identification", "uid_field": "akadmin"})
        step("GET")
        step("POST", {"component": "ak-stage-password", "password": self.password})
        step("GET")
        final = step("GET")
        if json.loads(final.body).get("component") != "xak-flow-redirect":
            raise AssertionError(f"login failed: {final.body[:300]!r}")

    # --- comparison -----------------------------------------------------------------------------

    def check(self, exchange: Exchange, outcome: Outcome) -> list[str]:
        """Every difference between the recorded and the actual response."""
        self.current = (exchange.file, exchange.index)
        expected = exchange.response
        problems: list[str] = []
        if outcome.status != expected["status"]:
            problems.append(f"status {outcome.status} != {expected['status']}: {outcome.body[:300]!r}")
            return problems
        headers = expected.get("headers") or {}
        if outcome.header("Content-Type") != headers.get("Content-Type"):
            wanted = headers.get("Content-Type")
            problems.append(f"Content-Type {outcome.header('Content-Type')!r} != {wanted!r}")
        if "Location" in headers:
            problems += self._compare_location(headers["Location"], outcome.header("Location"))
        if _file_number(exchange.file) >= FULL_HEADERS_FROM:
            for name in _EXTRA_HEADERS:
                if outcome.header(name) != headers.get(name):
                    problems.append(f"{name} {outcome.header(name)!r} != {headers.get(name)!r}")
        names = [c.split("=")[0] for c in outcome.cookies()]
        if names != headers.get("Set-Cookie", []):
            problems.append(f"Set-Cookie names {names} != {headers.get('Set-Cookie', [])}")
        elif expected.get("set_cookie_attributes"):
            got = [_redact_cookie(c) for c in outcome.cookies()]
            want = [_redact_cookie(c) for c in expected["set_cookie_attributes"]]
            if got != want:
                problems.append(f"cookie attributes {got} != {want}")
        resource = urlsplit(exchange.request["path"]).path.rstrip("/").rsplit("/", 1)[-1]
        problems += self._compare_body(expected.get("body"), outcome, resource)
        if exchange.decoded and not problems:
            problems += self._compare_jwts(exchange.decoded, json.loads(outcome.body))
        return problems

    def _issue(self, placeholder: str, value: str) -> None:
        self.issued.setdefault(placeholder, []).append((*self.current, value))

    def _compare_location(self, expected: str, actual: str | None) -> list[str]:
        """A redirect; one carrying ``<authorization code>`` issues our code (32 lowercase hex)."""
        if CODE not in expected:
            wanted = self._path(expected)
            return [] if actual == wanted else [f"Location {actual!r} != {expected!r}"]
        marker = "0authorizationcode0"  # survives the substitutions _path makes
        pattern = re.escape(self._path(expected.replace(CODE, marker))).replace(marker, f"({_CODE_PATTERN})")
        found = re.fullmatch(pattern, actual or "")
        if found is None:
            return [f"Location {actual!r} does not look like {expected!r}"]
        self._issue(CODE, found[1])
        return []

    def _compare_body(self, expected: Any, outcome: Outcome, resource: str) -> list[str]:
        if expected is None:
            return [] if outcome.body == b"" else [f"expected no body, got {outcome.body[:200]!r}"]
        if isinstance(expected, str):
            same = _SENTRY_TRACE.sub("", outcome.body.decode()) == _SENTRY_TRACE.sub("", expected)
            return [] if same else ["body text differs"]
        try:
            actual = json.loads(outcome.body)
        except ValueError:
            return [f"body is not JSON: {outcome.body[:200]!r}"]
        problems: list[str] = []
        self._compare(expected, actual, "$", resource, problems)
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
            if key in self.unordered:
                expected = sorted(expected, key=lambda item: _order_key(self._body(item)))
                actual = sorted(actual, key=_order_key)
            for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
                self._compare(want, got, f"{where}[{index}]", key, problems)
            return
        self._compare_scalar(expected, actual, where, key, problems)

    def _compare_scalar(
        self, expected: Any, actual: Any, where: str, key: str | None, problems: list[str]
    ) -> None:
        if isinstance(expected, str):
            expected = self._ours(expected)
        if expected in _BODY_SECRETS.values() and key in _BODY_SECRETS:
            problems += self._learn_secret(expected, actual, where)
            return
        mapped = self._mapped(expected, key)
        if actual == mapped and type(actual) is type(mapped):
            return
        if _fresh_match(key, expected, actual):
            return
        learnable = key in _VOLATILE_IDS or key in _LEARNED or _generated_secret(key, expected)
        if learnable and type(actual) is type(expected) and _as_key(expected) not in self.ids:
            shape = _shape_problem(key, expected, actual)
            if shape:
                problems.append(f"{where}: {shape}")
                return
            self.ids[_as_key(expected)] = actual
            return
        problems.append(f"{where}: {actual!r} != {mapped!r}")

    def _learn_secret(self, placeholder: str, actual: Any, where: str) -> list[str]:
        """A token in a response body: check its shape and remember it for later requests."""
        if not isinstance(actual, str):
            return [f"{where}: {actual!r} is not a token"]
        if placeholder == REFRESH_TOKEN:
            if len(actual) != 128 or not _GENERATED.match(actual):
                return [f"{where}: {actual!r} is not a 128-character opaque refresh token"]
        elif actual.count(".") != 2:
            return [f"{where}: {actual!r} is not a JWT"]
        self._issue(placeholder, actual)
        return []

    # --- JWTs -----------------------------------------------------------------------------------

    def _compare_jwts(self, decoded: dict[str, Any], body: dict[str, Any]) -> list[str]:
        """Our tokens against the recorded ``decoded`` header and claims (volatile ones learned)."""
        problems: list[str] = []
        for name, want in decoded.items():
            token = body.get(name)
            if not isinstance(token, str):
                problems.append(f"{name}: no token to decode")
                continue
            header, claims = _jwt_parts(token)
            self._compare(want["header"], header, f"{name}.header", None, problems)
            times = {t: want["claims"].get(t) for t in _JWT_TIMES}
            if list(want["claims"]) != list(claims):
                problems.append(f"{name}.claims: keys {list(claims)} != {list(want['claims'])}")
                continue
            for claim, value in want["claims"].items():
                if claim in _JWT_TIMES:
                    if not isinstance(claims[claim], int):
                        problems.append(f"{name}.{claim}: {claims[claim]!r} is not a timestamp")
                elif claim == "scope":
                    if set(str(claims[claim]).split()) != set(str(value).split()):
                        problems.append(f"{name}.scope: {claims[claim]!r} != {value!r}")
                else:
                    self._compare(value, claims[claim], f"{name}.{claim}", claim, problems)
            if problems:
                continue
            if claims["exp"] - claims["iat"] != times["exp"] - times["iat"]:
                problems.append(f"{name}: exp - iat = {claims['exp'] - claims['iat']}, recorded differently")
            if claims["auth_time"] > claims["iat"]:
                problems.append(f"{name}: auth_time after iat")
            if want.get("signature_verified_with_jwks"):
                problems += self._verify(name, token, str(claims["iss"]), str(claims["aud"]))
        return problems

    def _verify(self, name: str, token: str, issuer: str, audience: str) -> list[str]:
        """PyJWT verification against the JWKS of the application in ``iss`` (as the capture did)."""
        path = urlsplit(issuer).path
        if path not in self.jwks:
            outcome = self._request("GET", f"{path}jwks/", {}, None)
            self.jwks[path] = json.loads(outcome.body)
        try:
            key = jwt.PyJWKSet.from_dict(self.jwks[path]).keys[0]
            jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=audience,
                issuer=issuer,
                options={"verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            return [f"{name}: signature/claims not verifiable with the JWKS: {exc}"]
        return []


def _order_key(value: Any) -> str:
    """A sort key for any JSON value (an unordered list's elements are compared in this order)."""
    return json.dumps(value, sort_keys=True)


def _jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JOSE header and the claims of a JWT, keys in their encoded order (no verification)."""
    header, claims, _signature = token.split(".")

    def part(text: str) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return decoded

    return part(header), part(claims)


def _fresh_match(key: str | None, expected: Any, actual: Any) -> bool:
    """Values that differ on every request or instance but must keep their form."""
    if key in _TIMESTAMPS and _is_timestamp(expected) and _is_timestamp(actual):
        return True
    if key == "request_id":  # a fresh 32-hex id per request (28)
        return isinstance(actual, str) and bool(_HEX32.match(actual)) and bool(_HEX32.match(str(expected)))
    if key == "scope" and isinstance(expected, str) and isinstance(actual, str):
        return set(expected.split()) == set(actual.split())  # a Python set's order in authentik (26)
    return False


def _generated_secret(key: str | None, expected: Any) -> bool:
    return (
        key in ("client_secret", "key")
        and isinstance(expected, str)
        and bool(_GENERATED.match(expected))
        and not expected.startswith("capture")
    )


def _shape_problem(key: str | None, expected: Any, actual: Any) -> str | None:
    """Why ``actual`` cannot stand for ``expected`` (None when it can)."""
    if _is_uuid(expected) and not _is_uuid(actual):
        return f"{actual!r} is not a UUID like {expected!r}"
    if key in ("client_secret", "key") and not (
        isinstance(actual, str) and len(actual) == len(expected) and _GENERATED.match(actual)
    ):
        return f"generated {actual!r} does not look like {expected!r}"
    if key in ("fingerprint_sha256", "fingerprint_sha1") and not (
        isinstance(actual, str) and len(actual) == len(expected) and _FINGERPRINT.match(actual)
    ):
        return f"{actual!r} is not a fingerprint like {expected!r}"
    if key in ("sub", "sid", "kid", "jti") and not (isinstance(actual, str) and len(actual) == len(expected)):
        return f"{actual!r} does not have the form of {expected!r}"
    return None


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


Key = tuple[str, int]  # (transcript file, exchange index)
Setup = Callable[["AuthentikServer", Replayer], None]


@dataclass(frozen=True)
class Tables:
    """Everything a replay does besides sending the recorded requests; every entry says why.

    - ``skipped``: exchanges that cannot be replayed -> why;
    - ``moved``: exchanges recorded later than their file's position -> replay right after this one;
    - ``logins``: logins the capture made without recording them -> (cookie jar, why); they run
      before the exchange, through the proxy headers, like the recorded logins of 26;
    - ``unrecorded_deletes``: API DELETEs the capture made without recording them -> (paths as the
      transcripts name them, why); each must answer 204;
    - ``clock``: where the capture waited -> (seconds, why); the server's clock is advanced instead;
    - ``sources``: request placeholders that are not the latest value issued -> {placeholder: the
      exchange of the same file whose response issued it};
    - ``setups``: what happened outside the API (state found on the capture server, a second
      instance) -> (what to do with the server and the replayer, why).
    """

    skipped: Mapping[Key, str] = field(default_factory=dict)
    moved: Mapping[Key, Key] = field(default_factory=dict)
    logins: Mapping[Key, tuple[str, str]] = field(default_factory=dict)
    unrecorded_deletes: Mapping[Key, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    clock: Mapping[Key, tuple[float, str]] = field(default_factory=dict)
    sources: Mapping[Key, dict[str, int]] = field(default_factory=dict)
    setups: Mapping[Key, tuple[Setup, str]] = field(default_factory=dict)

    def problems(self, files: Collection[str], folder: Path) -> list[str]:
        """Entries that name no real exchange or give no reason (the tables' own test)."""
        found: list[str] = []
        keyed: list[Mapping[Key, Any]] = [
            self.skipped,
            self.moved,
            self.logins,
            self.unrecorded_deletes,
            self.clock,
            self.sources,
            self.setups,
        ]
        keys = [key for table in keyed for key in table] + list(self.moved.values())
        for name, index in keys:
            if name not in files or index >= len(load(name, folder)):
                found.append(f"no exchange {name}[{index}]")
        reasons = [
            *self.skipped.values(),
            *(why for _jar, why in self.logins.values()),
            *(why for _seconds, why in self.clock.values()),
            *(why for _setup, why in self.setups.values()),
            *(why for paths, why in self.unrecorded_deletes.values() if paths),
        ]
        found += ["an entry without a reason" for reason in reasons if not reason]
        for (name, index), issuers in self.sources.items():
            found += [f"{name}[{index}]: source {s} is not earlier" for s in issuers.values() if s >= index]
        return found


def replay_file(
    exchanges: list[Exchange], tables: Tables, server: AuthentikServer, replayer: Replayer
) -> list[str]:
    """Replay one file's exchanges (in plan order) and return every difference found."""
    failures = []
    for exchange in exchanges:
        key = (exchange.file, exchange.index)
        if key in tables.skipped:
            continue
        if key in tables.setups:
            tables.setups[key][0](server, replayer)
        if key in tables.logins:
            replayer.login(tables.logins[key][0], PROXY_HEADERS)
        for path in tables.unrecorded_deletes.get(key, ((), ""))[0]:
            status = replayer.delete(path)
            assert status == 204, f"unrecorded DELETE {path} before {key}: {status}"
        if key in tables.clock:
            server.advance_clock(tables.clock[key][0])
        outcome = replayer.send(exchange)
        for problem in replayer.check(exchange, outcome):
            failures.append(f"{exchange.file}[{exchange.index}] {exchange.label}: {problem}")
    return failures
