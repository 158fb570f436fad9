"""The demo flow through the real engine, ending in proof that SSO works: ``up``, ``env``, ``verify``.

Then the two failures people hit after a setup by hand, each failing the right way with the fix: a
stale client secret in ``.env`` ("Client authentication failed") and a redirect URI changed in
authentik out of band; and authentik down (exit 2, one line). Also the reviewer's preview without a
Docker daemon (``python -m dezky_infra review``) on the same stack.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dezky_infra.authentik.client import AuthentikClient
from dezky_infra.authentik.connection import ConnectionSettings
from tests.authentik_server import AuthentikServer
from tests.conftest import assert_contract_kept
from tests.engine.harness import REPO, EngineProject

TOKEN = "verify-engine-platform-api-token-7c1b9e3d5f"
PASSWORD = "verify-engine-akadmin-password-2b8e"
PORTAL_CALLBACK = "https://app.dezky.local/api/auth/callback"
STALWART = {
    "name": "Stalwart Mail",
    "redirect_uris": ["https://mail.{domain}/login/oauth"],
    "token_auth": "client_secret_post",
}


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    srv = AuthentikServer(bootstrap_token=None, akadmin_password=PASSWORD)
    srv.start()
    yield srv
    srv.stop()
    assert_contract_kept(srv)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, server: AuthentikServer) -> Iterator[EngineProject]:
    project = EngineProject(tmp_path_factory.mktemp("verify"))
    # No Traefik in front: the consumers (and verify) reach this authentik directly.
    project.configure(
        {"authentikUrl": server.url, "authentikPublicUrl": server.url},
        {"authentikToken": TOKEN, "authentikBootstrapPassword": PASSWORD},
    )
    project.set_object("dockerEnabled", False)
    # a third app (mail) is one config entry: its provider, application, outputs, .env keys and checks
    project.set_object("oidcClients", {"stalwart": STALWART})
    project.up()
    yield project
    project.destroy()


def command(project: EngineProject, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m dezky_infra <args>`` as a user runs it in the project, with the engine's settings."""
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "dezky_infra", *args],
        cwd=REPO,
        env={**os.environ, **project.env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def env_file(project: EngineProject) -> Path:
    path = project.root / "consumer.env"
    written = command(project, "env", "--stack", "dev", "--cwd", str(project.work_dir), "--file", str(path))
    assert written.returncode == 0, written.stderr
    return path


def verify(project: EngineProject, env_file: Path) -> subprocess.CompletedProcess[str]:
    args = ("verify", "--stack", "dev", "--cwd", str(project.work_dir), "--env-file", str(env_file))
    return command(project, *args)


def secrets_of(server: AuthentikServer) -> list[str]:
    with AuthentikClient(ConnectionSettings(url=server.url, token=TOKEN, retry_deadline_seconds=3)) as admin:
        return [TOKEN, PASSWORD, *(p["client_secret"] for p in admin.list_all("providers/oauth2/"))]


def test_verify_after_up_and_env_passes_twice(
    project: EngineProject, env_file: Path, server: AuthentikServer
) -> None:
    server.reset_calls()
    started = time.monotonic()
    first = verify(project, env_file)
    elapsed = time.monotonic() - started
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    print(f"[verify] {len(lines) - 2} checks in {elapsed:.2f}s, {len(server.calls)} authentik calls")
    assert lines[-1] == "verify: all 28 checks passed"
    assert "ok    stalwart: token exchange: tokens issued for the client secret from" in first.stdout
    assert "(client_secret_post)" in first.stdout
    assert not [line for line in lines if line.startswith("FAIL")]
    assert f"ok    dezky-portal: login via {PORTAL_CALLBACK}" in first.stdout
    second = verify(project, env_file)  # nothing left behind that breaks a second run
    assert second.returncode == 0, second.stdout + second.stderr
    for secret in secrets_of(server):
        assert secret not in first.stdout + first.stderr + second.stdout + second.stderr


def test_a_stale_client_secret_in_env_fails_naming_the_fix(project: EngineProject, env_file: Path) -> None:
    stale = env_file.with_name("stale.env")
    stale.write_text(
        re.sub(
            r"^PORTAL_OIDC_CLIENT_SECRET=.*$",
            "PORTAL_OIDC_CLIENT_SECRET=old",
            env_file.read_text(),
            flags=re.M,
        )
    )
    result = verify(project, stale)
    assert result.returncode == 1
    assert (
        "FAIL  dezky-portal: token exchange: Client authentication failed (invalid_client): the client "
        f"secret in {stale} is stale: run `python -m dezky_infra env --stack dev`"
    ) in result.stdout.splitlines()


def test_a_redirect_uri_changed_out_of_band_fails_naming_the_uri(
    project: EngineProject, env_file: Path, server: AuthentikServer
) -> None:
    with AuthentikClient(ConnectionSettings(url=server.url, token=TOKEN, retry_deadline_seconds=3)) as admin:
        portal = admin.list_all("providers/oauth2/", {"name": "dezky-portal"})[0]
        admin.patch(
            f"providers/oauth2/{portal['pk']}/",
            {"redirect_uris": [{"matching_mode": "strict", "url": "https://evil.example/cb"}]},
        )
        result = verify(project, env_file)
        admin.patch(f"providers/oauth2/{portal['pk']}/", {"redirect_uris": portal["redirect_uris"]})
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == [
        f"FAIL  dezky-portal: login via {PORTAL_CALLBACK}: authentik refuses the redirect URI "
        f"{PORTAL_CALLBACK} (HTTP 400: not registered for client dezky-portal, changed outside pulumi?); run "
        "`pulumi up --refresh` to put it back"
    ]


def test_authentik_down_is_exit_2_in_one_line(
    project: EngineProject, env_file: Path, server: AuthentikServer
) -> None:
    server.stop()
    try:
        result = verify(project, env_file)
    finally:
        server.start()
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"verify: authentik is unreachable: authentik did not answer GET {server.url}"
    )


def test_the_review_preview_runs_the_real_engine_without_a_docker_daemon(
    project: EngineProject, server: AuthentikServer
) -> None:
    server.reset_calls()
    result = command(
        project, "review", "--stack", "dev", "--cwd", str(project.work_dir), "--expect-no-changes"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "review: Docker stand-in at unix://" in result.stderr
    assert re.search(r"\b11 unchanged\b", result.stdout)  # stack, component, 9 authentik objects
    assert server.calls == []  # an unchanged stack previews without authentik
