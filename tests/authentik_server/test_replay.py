"""Replay every recorded authentik 2025.10.4 exchange against the local server (in capture order).

The files build on each other (providers from 08/09 are updated in 12, bound in 14 ...), so one server
serves the whole module and the tests run in file order. The tables below are everything the replay
does besides sending the recorded requests; each entry says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.authentik_server.replay import (
    ACCESS_TOKEN,
    CODE,
    REFRESH_TOKEN,
    TRANSCRIPTS,
    Replayer,
    Tables,
    replay_file,
    schedule,
    transcript_files,
)
from tests.authentik_server.server import AuthentikServer

API_TOKEN = "replay-bootstrap-token-0123456789"
PASSWORD = "replay-akadmin-password"

# The tables are described in replay.Tables.
SKIPPED: dict[tuple[str, int], str] = {}
MOVED = {("13-oauth2-setup-urls.json", i): ("14-applications-create-and-errors.json", 1) for i in (3, 4, 5)}

_26 = "26-oidc-authorize-code-confidential.json"
_28 = "28-oidc-errors.json"

# Files 25-31 come from a second, fresh authentik (README, "Fidelity caveats"; 30's notes: "the same
# fresh-token instance as files 25-29", 31's: "continues file 30 on the same instance"): learned values
# start over at the first exchange of SECOND_INSTANCE, and its seed pks are aliased to this server's
# seed rows, found by (table, field, value). The first two flows are the ones the project sets (25's
# notes; the invalidation flow is the one end-session redirects to in 26[35]); the next three are the
# default brand's flows (30's notes, SHIPPED STATE) and 30[83] labels the last one
# default-source-authentication. The scope mappings are in the order 25[0] sends them, which
# discovery lists as openid, email, profile (25[4]); 26[26] labels the fourth one offline_access.
SECOND_INSTANCE = "25-oidc-discovery-jwks.json"
SECOND_INSTANCE_SEED: dict[str, tuple[str, str, str]] = {
    "f2ad7f58-ef99-48e6-82b9-41daba7e5d81": (
        "flows",
        "slug",
        "default-provider-authorization-implicit-consent",
    ),
    "13832d77-3121-43e5-8abf-e766147fed60": ("flows", "slug", "default-provider-invalidation-flow"),
    "9b99b984-d227-4de5-be1a-2305d0df324d": ("flows", "slug", "default-authentication-flow"),
    "a2659135-6ffd-4062-8534-b98d1117d6cf": ("flows", "slug", "default-invalidation-flow"),
    "13d5d533-15ab-4915-ab78-1d47b73d74bd": ("flows", "slug", "default-user-settings-flow"),
    "827dd193-8e66-4235-975d-cabe499c9678": ("flows", "slug", "default-source-authentication"),
    "e9e2dedd-264a-4b50-97a7-95e292cb2c78": ("keypairs", "name", "authentik Self-signed Certificate"),
    "107ee005-b23c-49e2-ba5a-dea86835666e": ("scope_mappings", "scope_name", "openid"),
    "94ac95b4-53ff-42e7-8299-085dba85a21c": ("scope_mappings", "scope_name", "email"),
    "d5021b21-93b7-46bd-9691-37141b5f6a27": ("scope_mappings", "scope_name", "profile"),
    "1cb3d294-9c4e-492a-a584-32b383366a65": ("scope_mappings", "scope_name", "offline_access"),
}
# Logins the capture made without recording them: (file, index) -> (cookie jar, why). They run
# before the exchange, through the proxy headers, like the recorded logins of 26.
LOGINS: dict[tuple[str, int], tuple[str, str]] = {
    (_28, 0): ("28 session", "28's notes: the login that produced its session is not recorded"),
}
# What the capture changed without recording it: (file, index) -> (API paths to DELETE first, as the
# transcripts name them, why). Each must answer 204.
UNRECORDED_DELETES: dict[tuple[str, int], tuple[tuple[str, ...], str]] = {
    ("30-brands.json", 0): (
        (
            "/api/v3/core/applications/dezky-portal/",
            "/api/v3/core/applications/ocis/",
            "/api/v3/providers/oauth2/5/",
            "/api/v3/providers/oauth2/6/",
        ),
        "README 'Server state': 25's providers (pks 5, 6) and applications were deleted after 29;"
        " 31[32] lists capture-brand-app alone",
    ),
}
# Where the capture waited: (file, index) -> (seconds, why). The server's clock is advanced instead.
CLOCK: dict[tuple[str, int], tuple[float, str]] = {
    (_28, 50): (3.5, "userinfo 3.5 s after [49] issued a token with access_token_validity seconds=2"),
    (_28, 52): (62.0, "the code from [10] used ~65 s after issue (3.5 s were advanced at [50])"),
}
# Request placeholders that are not the latest value issued: (file, index) -> {placeholder: the
# exchange of the same file whose response issued it}.
SOURCES: dict[tuple[str, int], dict[str, int]] = {
    (_26, 30): {REFRESH_TOKEN: 28},  # "the OLD (rotated) refresh token"
    (_26, 41): {ACCESS_TOKEN: 9},  # "[login 1] its access token after that logout"
    (_28, 52): {CODE: 10},  # "the code from the 'expire' authorize above"
}


def second_instance_aliases(server: AuthentikServer) -> dict[Any, Any]:
    """SECOND_INSTANCE_SEED resolved to this server's pks."""
    aliases: dict[Any, Any] = {}
    for theirs, (table, name, value) in SECOND_INSTANCE_SEED.items():
        rows: dict[str, dict[str, Any]] = getattr(server.db, table)
        aliases[theirs] = next(pk for pk, row in rows.items() if row[name] == value)
    return aliases


def _second_instance(server: AuthentikServer, replayer: Replayer) -> None:
    replayer.new_instance(second_instance_aliases(server))


TABLES = Tables(
    skipped=SKIPPED,
    moved=MOVED,
    logins=LOGINS,
    unrecorded_deletes=UNRECORDED_DELETES,
    clock=CLOCK,
    sources=SOURCES,
    setups={
        (SECOND_INSTANCE, 0): (_second_instance, "files 25-31 come from a second, fresh instance (above)")
    },
)
FILES = transcript_files()
PLAN = schedule(MOVED) if FILES else {}
pytestmark = pytest.mark.skipif(not FILES, reason="transcripts not available")


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    with AuthentikServer(bootstrap_token=API_TOKEN, akadmin_password=PASSWORD) as srv:
        yield srv


@pytest.fixture(scope="module")
def replayer(server: AuthentikServer) -> Replayer:
    return Replayer(server.url, API_TOKEN, PASSWORD, sources=SOURCES)


@pytest.mark.parametrize("name", FILES)
def test_transcript(name: str, server: AuthentikServer, replayer: Replayer) -> None:
    failures = replay_file(PLAN[name], TABLES, server, replayer)
    assert not server.contract_violations
    assert not server.errors
    assert not failures, "\n".join(failures)


def test_tables_name_real_exchanges() -> None:
    assert not TABLES.problems(FILES, TRANSCRIPTS)
