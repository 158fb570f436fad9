"""Replay every recorded authentik 2025.10.4 exchange against the local server (in capture order).

The files build on each other (providers from 08/09 are updated in 12, bound in 14 ...), so one server
serves the whole module and the tests run in file order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.authentik_server.replay import Replayer, load, schedule, transcript_files
from tests.authentik_server.server import AuthentikServer

API_TOKEN = "replay-bootstrap-token-0123456789"
PASSWORD = "replay-akadmin-password"

# Exchanges that cannot be replayed, with the reason: (file, index) -> why.
SKIPPED: dict[tuple[str, int], str] = {}
# Exchanges recorded later than their file's position: (file, index) -> replay right after (file, index).
MOVED = {("13-oauth2-setup-urls.json", i): ("14-applications-create-and-errors.json", 1) for i in (3, 4, 5)}
PLAN = schedule(MOVED) if transcript_files() else {}

pytestmark = pytest.mark.skipif(not transcript_files(), reason="transcripts not available")


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    with AuthentikServer(bootstrap_token=API_TOKEN, akadmin_password=PASSWORD) as srv:
        yield srv


@pytest.fixture(scope="module")
def replayer(server: AuthentikServer) -> Replayer:
    return Replayer(server.url, API_TOKEN, PASSWORD)


@pytest.mark.parametrize("name", transcript_files())
def test_transcript(name: str, server: AuthentikServer, replayer: Replayer) -> None:
    failures = []
    for exchange in PLAN[name]:
        if (exchange.file, exchange.index) in SKIPPED:
            continue
        outcome = replayer.send(exchange)
        for problem in replayer.check(exchange, outcome):
            failures.append(f"{exchange.file}[{exchange.index}] {exchange.label}: {problem}")
    assert not server.contract_violations
    assert not server.errors
    assert not failures, "\n".join(failures)


def test_skips_are_documented() -> None:
    for (name, index), reason in SKIPPED.items():
        assert name in transcript_files() and index < len(load(name)) and reason
