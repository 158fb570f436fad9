"""One server, two authentik versions: what tells them apart (32-version-and-config) and how to pick one.

File 32 is not a replay file: it sends the same five requests to a 2025.10.4 and a 2026.2.2 server,
each exchange labelled with the server it went to. Each half is replayed against a fresh server of
that version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.authentik_server import versions
from tests.authentik_server.conftest import PASSWORD, TOKEN
from tests.authentik_server.server import AuthentikServer

SIDE_BY_SIDE = Path("/work/shared/authentik-2026.2/32-version-and-config.json")
# the label prefix of each server's half of file 32
_LABELS = {"2025.10": "authentik 2025.10.4 (", "2026.2": "authentik 2026.2.2 ("}


def _exchanges(version: str) -> list[dict[str, Any]]:
    exchanges = json.loads(SIDE_BY_SIDE.read_text())["exchanges"]
    return [e for e in exchanges if e["label"].startswith(_LABELS[version])]


@pytest.mark.skipif(not SIDE_BY_SIDE.exists(), reason="transcripts not available")
@pytest.mark.parametrize("version", sorted(_LABELS))
def test_side_by_side_file_32(version: str) -> None:
    exchanges = _exchanges(version)
    assert len(exchanges) == 5
    with AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD, version=version) as server:
        for exchange in exchanges:
            request, recorded = exchange["request"], exchange["response"]
            headers = {k: v.replace("<api-token>", TOKEN) for k, v in request["headers"].items()}
            response = httpx.get(server.url + str(request["path"]), headers=headers)
            label = exchange["label"]
            assert response.status_code == recorded["status"], label
            assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"], label
            assert list(response.json()) == list(recorded["body"]), label
            assert response.json() == recorded["body"], label
        assert not server.contract_violations and not server.errors


@pytest.mark.parametrize("version", sorted(versions.VERSIONS))
def test_admin_version_names_the_release(version: str) -> None:
    with AuthentikServer(bootstrap_token=TOKEN, version=version) as server:
        assert server.version.name == version
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        answer = httpx.get(server.url + "/api/v3/admin/version/", headers=bearer)
        assert answer.json()["version_current"] == server.version.release
        assert answer.json()["version_current"].startswith(version + ".")
        anonymous = httpx.get(server.url + "/api/v3/admin/version/")
        assert anonymous.status_code == 403
        assert anonymous.json() == {"detail": "Authentication credentials were not provided."}


def test_default_version_and_unknown_names() -> None:
    assert AuthentikServer().version is versions.V2025_10
    with pytest.raises(ValueError, match="unknown authentik version"):
        AuthentikServer(version="2024.12")
