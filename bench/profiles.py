"""Latency profiles for the local authentik server: how long each call waits before it is answered.

``flat`` waits 5 ms on every call. ``real`` is read from a measurement of a real authentik
(``bench/latency/authentik-2025.10.4/29-latency.json``, a verbatim copy of the capture's file): for
every call the stack makes, and the OIDC calls of ``verify``, the client-side time of 7 sequential
runs. Each call of the benchmark waits one of the recorded runs of its route, drawn at random with a
fixed seed, so the profile keeps the measured spread (the first, cold run included) instead of a
constant. Recorded paths become route patterns (``GET /api/v3/core/applications/*/``: the capture's
ids and slugs are ``*``); the runs of entries on the same route are pooled (the login flow's executor
GETs and POSTs, authorize with and without a session). Routes the capture did not time wait as long
as the fastest recorded call.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.authentik_server import AuthentikServer
from tests.authentik_server.faults import route_pattern

MEASURED = Path(__file__).resolve().parent / "latency" / "authentik-2025.10.4" / "29-latency.json"
SEED = 0
"""Seed of the draws; every lifecycle starts from it again (``LatencyProfile.apply``)."""
_TEMPLATE = re.compile(r"\b(?:GET|POST|PUT|PATCH|DELETE) (/?[\w.{}<>-]+/[\w./{}<>-]*)")
"""The path template in a recorded call's description: ``PATCH providers/oauth2/{pk}/ (full body)``."""


@dataclass(frozen=True)
class LatencyProfile:
    """A default delay per call and per-route delays to draw from (see ``Faults.latency``)."""

    name: str
    description: str
    default_seconds: float
    per_route: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """``"METHOD /api/v3/path/"`` (no query, ``*`` for an id segment) -> delays in seconds."""
    source: dict[str, Any] | None = None
    """Where a measured profile came from: file, title, machine, date, runs per call."""

    def apply(self, server: AuthentikServer) -> None:
        """Make ``server`` answer with this profile's delays, drawing from the seed again."""
        server.faults.latency(self.default_seconds, self.per_route, seed=SEED)

    def measured(self, route: str) -> bool:
        """Whether ``route`` (``"GET /api/v3/providers/oauth2/{id}/"``) has its own delays."""
        return any(route_pattern(key).fullmatch(route) for key in self.per_route)


def route_of(call: dict[str, Any]) -> str:
    """The latency key of one recorded call: its method and path, the template's variables as ``*``.

    The template (``core/applications/{slug}/``, ``/application/o/<slug>/jwks/``) is aligned with the
    recorded path from the end; a call described without a template keeps its path as recorded.
    """
    path = urlsplit(call["path"]).path
    found = _TEMPLATE.search(call["call"])
    if found is None:
        return f"{call['method']} {path}"
    template = found.group(1).split("?")[0].strip("/").split("/")
    segments = path.strip("/").split("/")
    tail = segments[-len(template) :]
    if len(segments) < len(template) or any(
        t != s and not t.startswith(("{", "<")) for t, s in zip(template, tail, strict=True)
    ):
        raise ValueError(f"the template of {call['call']!r} does not fit the recorded path {path}")
    folded = [
        *segments[: -len(template)],
        *("*" if t.startswith(("{", "<")) else s for t, s in zip(template, tail, strict=True)),
    ]
    return f"{call['method']} /{'/'.join(folded)}{'/' if path.endswith('/') else ''}"


def measured_profile(path: Path = MEASURED) -> LatencyProfile:
    """The ``real`` profile from a latency capture (the format of ``29-latency.json``)."""
    data = json.loads(path.read_text())
    per_route: dict[str, list[float]] = {}
    for call in data["calls"]:
        per_route.setdefault(route_of(call), []).extend(ms / 1000 for ms in call["runs_ms"])
    runs = {len(call["runs_ms"]) for call in data["calls"]}
    fastest = min(statistics.median(seconds) for seconds in per_route.values())
    machine = data["machine"]
    source = {
        "file": f"{path.parent.name}/{path.name}",
        "title": data["title"],
        "machine": f"{machine['cpus']} CPUs, {machine['memory']}",
        "date": machine["started_utc"],
        "runs_per_call": sorted(runs),
    }
    slowest = sorted(per_route.items(), key=lambda kv: -statistics.median(kv[1]))[:3]
    description = (
        f"measured on authentik 2025.10.4 ({source['file']}, {source['machine']}, {source['date']}): "
        f"each call waits one of its route's {'/'.join(map(str, source['runs_per_call']))} recorded "
        f"runs, drawn with seed {SEED} ({len(per_route)} routes; slowest medians "
        + ", ".join(f"{route} {statistics.median(s) * 1000:.0f} ms" for route, s in slowest)
        + f"); other routes {fastest * 1000:.0f} ms"
    )
    return LatencyProfile(
        "real",
        description,
        fastest,
        {route: tuple(seconds) for route, seconds in per_route.items()},
        source,
    )


PROFILES = {
    "flat": LatencyProfile("flat", "5 ms on every call", 0.005),
    "real": measured_profile(),
}
