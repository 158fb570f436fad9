"""Fault knobs: what can go wrong between an IaC tool and authentik, on demand.

The server consults ``Faults`` for every request. All knobs are thread-safe and cleared by clear().
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_STARTING_HTML = (
    b"<!DOCTYPE html><html><head><title>authentik</title></head><body>authentik starting</body></html>"
)
_RETRY = (("Retry-After", "5"),)


def route_pattern(key: str) -> re.Pattern[str]:
    """The regex of a latency key ``"METHOD /path/"``: a ``*`` segment stands for any one path segment
    (an id or a slug), so ``"GET /api/v3/core/applications/*/"`` matches every application's detail."""
    method, _, path = key.partition(" ")
    segments = ("[^/]+" if part == "*" else re.escape(part) for part in path.split("/"))
    return re.compile(f"{re.escape(method)} {'/'.join(segments)}")


@dataclass(frozen=True)
class FaultReply:
    """A canned response that replaces the real one."""

    status: int
    content_type: str | None
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def starting_reply(accept: str) -> FaultReply:
    """The Go router while the Python backend starts: 503, Retry-After: 5, JSON only if asked for."""
    if "application/json" in accept:
        return FaultReply(503, "application/json", b'{"error":"authentik starting"}\n', _RETRY)
    return FaultReply(503, "text/html; charset=utf-8", _STARTING_HTML, _RETRY)


def canned_reply(status: int, accept: str) -> FaultReply:
    """What a failing hop typically answers with ``status``."""
    if status == 503:
        return starting_reply(accept)
    if status == 429:
        return FaultReply(
            429,
            "application/json; charset=utf-8",
            b'{"detail":"Request was throttled. Expected available in 1 second."}',
            (("Retry-After", "1"),),
        )
    if status == 500:
        return FaultReply(
            500,
            "text/html; charset=utf-8",
            b"<!doctype html><html><head><title>Server Error (500)</title></head>"
            b"<body><h1>Server Error (500)</h1><p></p></body></html>",
        )
    if status in (502, 504):
        text = b"Bad Gateway" if status == 502 else b"Gateway Timeout"
        return FaultReply(status, "text/plain; charset=utf-8", text)
    return FaultReply(status, "text/plain; charset=utf-8", f"HTTP {status}".encode())


@dataclass
class _FailNext:
    remaining: int
    status: int
    path_prefix: str | None


@dataclass
class _DropAfterWrite:
    remaining: int
    path_prefix: str | None


class Faults:
    """The knobs. ``refuse`` is a callback into the server that closes the listening socket for a while."""

    def __init__(self, refuse: Callable[[float], None]) -> None:
        self._lock = threading.Lock()
        self._refuse = refuse
        self._starting_until = 0.0
        self._fail_next: list[_FailNext] = []
        self._rate: tuple[float, tuple[int, ...], random.Random] | None = None
        self._drops: list[_DropAfterWrite] = []
        self._latency_default = 0.0
        self._latency_routes: list[tuple[re.Pattern[str], tuple[float, ...]]] = []
        self._latency_rng = random.Random(0)

    def not_ready(self, seconds: float, mode: str = "refuse") -> None:
        """Be unavailable for ``seconds``: "refuse" closes the socket, "503" answers like the Go router."""
        if mode == "refuse":
            self._refuse(seconds)
        elif mode == "503":
            with self._lock:
                self._starting_until = time.monotonic() + seconds
        else:
            raise ValueError(f"unknown not_ready mode {mode!r} (use 'refuse' or '503')")

    def fail_next(self, n: int, status: int = 502, path_prefix: str | None = None) -> None:
        """The next ``n`` requests whose path starts with ``path_prefix`` answer ``status``."""
        with self._lock:
            self._fail_next.append(_FailNext(n, status, path_prefix))

    def fail_rate(self, p: float, statuses: Sequence[int] = (500, 502, 503, 429), seed: int = 0) -> None:
        """Each request fails with probability ``p`` (reproducible for a given seed)."""
        with self._lock:
            self._rate = (p, tuple(statuses), random.Random(seed))

    def drop_response_after_write(self, n: int = 1, path_prefix: str | None = None) -> None:
        """Commit the next ``n`` matching writes, then reset the connection without answering."""
        with self._lock:
            self._drops.append(_DropAfterWrite(n, path_prefix))

    def latency(
        self,
        default_seconds: float = 0.0,
        per_route: Mapping[str, float | Sequence[float]] | None = None,
        seed: int = 0,
    ) -> None:
        """Sleep before answering. ``per_route`` keys are "METHOD /path/" (path without query; see
        ``route_pattern`` for ``*``), the first matching key wins. A value is seconds, or several, of
        which each call draws one at random (reproducible for a given seed and order of calls)."""
        routes = [
            (route_pattern(key), (value,) if isinstance(value, int | float) else tuple(value))
            for key, value in (per_route or {}).items()
        ]
        with self._lock:
            self._latency_default = default_seconds
            self._latency_routes = routes
            self._latency_rng = random.Random(seed)

    def clear(self) -> None:
        """Remove every fault (a pending socket refusal still ends on its own schedule)."""
        with self._lock:
            self._starting_until = 0.0
            self._fail_next.clear()
            self._rate = None
            self._drops.clear()
            self._latency_default = 0.0
            self._latency_routes.clear()

    # --- used by the server -------------------------------------------------------------------

    def delay_for(self, method: str, path: str) -> float:
        """Seconds to sleep before handling this request."""
        key = f"{method} {path}"
        with self._lock:
            for pattern, seconds in self._latency_routes:
                if pattern.fullmatch(key):
                    return seconds[0] if len(seconds) == 1 else self._latency_rng.choice(seconds)
            return self._latency_default

    def reply_instead(self, method: str, path: str, accept: str) -> FaultReply | None:
        """A canned failure to send instead of handling the request, if a knob says so."""
        with self._lock:
            if time.monotonic() < self._starting_until:
                return starting_reply(accept)
            for rule in self._fail_next:
                if rule.remaining > 0 and (rule.path_prefix is None or path.startswith(rule.path_prefix)):
                    rule.remaining -= 1
                    return canned_reply(rule.status, accept)
            if self._rate is not None:
                p, statuses, rng = self._rate
                if rng.random() < p:
                    return canned_reply(rng.choice(statuses), accept)
            return None

    def drop_after(self, method: str, path: str, status: int) -> bool:
        """Whether to drop the response of this write (only successful, i.e. committed, writes count)."""
        if method not in WRITE_METHODS or status >= 300:
            return False
        with self._lock:
            for rule in self._drops:
                if rule.remaining > 0 and (rule.path_prefix is None or path.startswith(rule.path_prefix)):
                    rule.remaining -= 1
                    return True
            return False
