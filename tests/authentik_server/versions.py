"""The authentik versions this server can be, and everything that differs between them.

A server instance is one version for its whole life (``AuthentikServer(version="2026.2")``). Every
behaviour that differs between the recorded versions is a field of ``AuthentikVersion`` below, set once
per version with the transcript that shows it; routes read ``request.version`` and never compare
version names themselves. To model another version, add an instance to VERSIONS (and its
authentik-client to requirements-contracts.txt).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHARED = Path("/work/shared")


@dataclass(frozen=True)
class AuthentikVersion:
    """What one authentik release does where the recorded releases differ."""

    name: str  # what AuthentikServer(version=...) and --authentik-version accept, e.g. "2026.2"
    release: str  # authentik's __version__ (admin/version/ version_current)
    client: str  # the authentik-client release whose models are this version's contract (contract.py)
    transcripts: Path  # what was recorded from the real release (the evidence for every value below)
    api_json: str  # Content-Type of DRF's JSON answers (REST API)
    # admin/version/ besides version_current (update check disabled, no internet: 32-version-and-config)
    version_latest: str
    version_latest_valid: bool

    def admin_version(self) -> dict[str, Any]:
        """The VersionSerializer body (no build hash on a release; no outposts that report a version)."""
        return {
            "version_current": self.release,
            "version_latest": self.version_latest,
            "version_latest_valid": self.version_latest_valid,
            "build_hash": "",
            "outdated": False,
            "outpost_outdated": False,
        }


V2025_10 = AuthentikVersion(
    name="2025.10",
    release="2025.10.4",
    client="2025.10.4",
    transcripts=SHARED / "authentik-2025.10",
    api_json="application/json; charset=utf-8",  # 32 [0]-[4]
    version_latest="2025.10.4",  # 32 [0]: the default tenant echoes the running version (inverted check)
    version_latest_valid=True,
)
V2026_2 = AuthentikVersion(
    name="2026.2",
    release="2026.2.2",
    client="2026.2.2",
    transcripts=SHARED / "authentik-2026.2",
    api_json="application/json",  # 32 [5]-[9], every REST answer of the 2026.2 capture
    version_latest="0.0.0",  # 32 [5]: the update check is disabled, the cache holds VERSION_NULL
    version_latest_valid=False,
)
DEFAULT = V2025_10
VERSIONS: dict[str, AuthentikVersion] = {v.name: v for v in (V2025_10, V2026_2)}


def get(name: str) -> AuthentikVersion:
    """The version called ``name`` ("2025.10" or "2026.2"); ValueError for anything else."""
    try:
        return VERSIONS[name]
    except KeyError:
        raise ValueError(f"unknown authentik version {name!r}; known: {', '.join(VERSIONS)}") from None
