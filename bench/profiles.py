"""Latency profiles for the local authentik server: how long each call waits before it is answered."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.authentik_server import AuthentikServer


@dataclass(frozen=True)
class LatencyProfile:
    """A default delay per call and per-route overrides (``"METHOD /api/v3/path/"``, no query)."""

    name: str
    description: str
    default_seconds: float
    per_route: dict[str, float] = field(default_factory=dict)

    def apply(self, server: AuthentikServer) -> None:
        """Make ``server`` answer with this profile's delays."""
        server.faults.latency(self.default_seconds, self.per_route)


PROFILES = {
    "flat": LatencyProfile("flat", "5 ms on every call", 0.005),
    "real": LatencyProfile(
        "real",
        "authentik 2025.10.4: flow lookup 0.57 s, keypair lookup 0.35 s, everything else 0.05 s",
        0.05,
        {
            "GET /api/v3/flows/instances/": 0.57,
            "GET /api/v3/crypto/certificatekeypairs/": 0.35,
        },
    ),
}
