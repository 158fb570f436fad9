"""Acceptance mode works, checked the only way CI can: the acceptance suite, run as a user runs it
(``scripts/acceptance.sh``) against an authentik it reaches only over HTTP (the local server started as
its own process, so no test can use its in-process knobs), passes, says which tests it skipped and why,
and leaves that authentik exactly as it found it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from tests.engine.harness import REPO

PASSWORD = "acceptance-self-test-akadmin-password-41"
TOKEN = "acceptance-self-test-admin-token-5b6c7d8e9f0a1b2c"
INVENTORY = {
    "providers/oauth2/": "name",
    "core/applications/": "slug",
    "core/groups/": "name",
    "core/tokens/": "identifier",
    "core/brands/": "domain",
    "core/users/": "username",
    "flows/instances/": "slug",
    "crypto/certificatekeypairs/": "name",
    "propertymappings/provider/scope/": "scope_name",
    "core/authenticated_sessions/": "uuid",
}


@pytest.fixture
def standalone() -> Iterator[str]:
    """The local server in its own process, as a real authentik would be: reachable over HTTP only."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.authentik_server",
            "--port",
            "0",
            "--bootstrap-token",
            TOKEN,
            "--akadmin-password",
            PASSWORD,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


def inventory(url: str) -> dict[str, list[Any]]:
    with AuthentikClient(ConnectionSettings(url=url, token=TOKEN, retry_deadline_seconds=5)) as admin:
        return {
            path: sorted(str(row[key]) for row in admin.list_all(path, {"superuser_full_list": "true"}))
            for path, key in INVENTORY.items()
        }


def test_the_acceptance_suite_passes_and_leaves_authentik_as_it_found_it(standalone: str) -> None:
    before = inventory(standalone)
    env = {
        **os.environ,
        "DEZKY_ACCEPTANCE_AUTHENTIK_URL": standalone,
        "DEZKY_ACCEPTANCE_AKADMIN_PASSWORD": PASSWORD,
        "DEZKY_ACCEPTANCE_AUTHENTIK_TOKEN": TOKEN,
    }
    result = subprocess.run(
        ["bash", "scripts/acceptance.sh", "-q", "-p", "no:cacheprovider", "-x"],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    tail = result.stdout[-4000:]
    assert result.returncode == 0, tail + result.stderr[-2000:]
    summary = result.stdout.splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and re.search(r"\d+ skipped", summary), summary
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped and all("needs the local authentik-compatible server: " in line for line in skipped), (
        skipped
    )
    assert "authentik calls are not counted on a real authentik" in result.stdout  # said, not silent
    assert inventory(standalone) == before
