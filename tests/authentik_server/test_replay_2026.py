"""Replay every recorded authentik 2026.2.2 exchange against a version="2026.2" server (in capture order).

Like test_replay.py for 2025.10: the files build on each other, so one server serves the whole module
and the tests run in file order; the tables (replay.Tables) are everything the replay does besides
sending the recorded requests, each entry with its reason. Unlike 2025.10, the whole capture ran on
one instance (README "Fidelity caveats"), at 127.0.0.1:9100. File 32 is not a replay file (both
servers side by side): test_versions.py replays each half against its own version.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.authentik_server import versions
from tests.authentik_server.replay import (
    ACCESS_TOKEN,
    CODE,
    REFRESH_TOKEN,
    UNORDERED_LISTS,
    Replayer,
    Tables,
    replay_file,
    schedule,
    transcript_files,
)
from tests.authentik_server.server import AuthentikServer

VERSION = versions.V2026_2
FOLDER = VERSION.transcripts
CAPTURE_HOST = "127.0.0.1:9100"
SIDE_BY_SIDE = frozenset({"32-version-and-config.json"})
API_TOKEN = "replay-bootstrap-token-0123456789"
PASSWORD = "replay-akadmin-password"
PRE_CAPTURE_AGENT = "python-httpx/0.28.1"
# Besides 2025.10's unordered lists: a provider's property_mappings come back in an order the server
# does not define (08's notes: "property_mappings order is not guaranteed"; sent openid, email,
# profile and answered email, openid, profile, where 2025.10.4 kept the order sent) and so does
# used_by (23's notes: "order differs from 2025.10: not defined").
UNORDERED = UNORDERED_LISTS | {"property_mappings", "used_by"}


def _state_found_on_the_server(server: AuthentikServer, replayer: Replayer) -> None:
    """README "State found on the server": an authenticated akadmin session of an earlier test run
    (user agent python-httpx/0.28.1; 21, 24, 26 list it), its login's reputation row akadmin/127.0.0.1
    at the cap of 5 (24 [11]) and the plan of default-invalidation-flow in the flow cache (07 [5]:
    cache_count 1, while the login flow's plan had expired: the session was last used 7 minutes before
    the capture, the flow cache keeps plans for 300 s). The login and the logout flow's plan go through
    the API; the reputation score, which earlier logins had raised to the cap, is set directly.
    """
    replayer.login("pre-capture", {"User-Agent": PRE_CAPTURE_AGENT})
    server.advance_clock(301)
    replayer.plan_flow("pre-capture logout", "default-invalidation-flow")
    server.advance_clock(40)  # the earlier run's last request was 40 s before the capture's first
    with server.db.lock:
        row = next(r for r in server.db.reputation.values() if r.identifier == "akadmin")
        row.score = 5
    replayer.jar_name = ""


_26 = "26-oidc-authorize-code-confidential.json"
_28 = "28-oidc-errors.json"
_PERMISSIONS_NOT_MODELLED = (
    "rbac/permissions/ is not modelled: 598 of its 698 rows were never recorded, and rows with equal"
    " names come back in a different order per page size (PostgreSQL's sort is not stable: the two"
    " 'Can add Device Token' rows in [0] and [6]); the cap and the default page size these exchanges"
    " show hold for every list and are tested on flows and scope mappings (test_versions.py)"
)
TABLES = Tables(
    skipped={("33-pagination-cap.json", i): _PERMISSIONS_NOT_MODELLED for i in range(10)},
    moved={
        ("13-oauth2-setup-urls.json", i): ("14-applications-create-and-errors.json", 1) for i in (3, 4, 5)
    },
    setups={("01-auth-failures.json", 0): (_state_found_on_the_server, "README 'State found on the server'")},
    sources={
        (_26, 29): {REFRESH_TOKEN: 27},  # "the OLD (rotated) refresh token"
        (_26, 40): {ACCESS_TOKEN: 8},  # "[login 1] its access token after that logout"
        (_28, 60): {CODE: 18},  # "the code from the 'expire' authorize above"
    },
    clock={
        (_28, 58): (3.5, "userinfo 3.5 s after [57] issued a token with access_token_validity seconds=2"),
        (_28, 60): (62.0, "the code from [18] used ~65 s after issue (3.5 s were advanced at [58])"),
        (_26, 0): (
            206.0,
            "26 [8]'s tokens were issued at 13:25:44, 206 s after the capture's first request (13:22:18,"
            " README); the flow cache (300 s) shows it: 07's pre-capture plan is gone by 33 [10]",
        ),
    },
)
FILES = transcript_files(FOLDER, SIDE_BY_SIDE)
PLAN = schedule(TABLES.moved, FOLDER, SIDE_BY_SIDE) if FILES else {}
pytestmark = pytest.mark.skipif(not FILES, reason="transcripts not available")


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    with AuthentikServer(bootstrap_token=API_TOKEN, akadmin_password=PASSWORD, version=VERSION.name) as srv:
        yield srv


@pytest.fixture(scope="module")
def replayer(server: AuthentikServer) -> Replayer:
    return Replayer(
        server.url,
        API_TOKEN,
        PASSWORD,
        sources=TABLES.sources,
        capture_host=CAPTURE_HOST,
        unordered=UNORDERED,
    )


@pytest.mark.parametrize("name", FILES)
def test_transcript(name: str, server: AuthentikServer, replayer: Replayer) -> None:
    failures = replay_file(PLAN[name], TABLES, server, replayer)
    assert not server.contract_violations, server.contract_violations
    assert not server.errors, server.errors
    assert not failures, "\n".join(failures)


def test_tables_name_real_exchanges() -> None:
    assert not TABLES.problems(FILES, FOLDER)


def test_the_side_by_side_file_is_not_replayed_here() -> None:
    assert set(transcript_files(FOLDER)) >= SIDE_BY_SIDE or not FILES
    assert not SIDE_BY_SIDE & set(FILES)
