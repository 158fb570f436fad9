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

from tests.conftest import assert_contract_kept
from tests.engine.harness import REPO, EngineProject
from tests.engine.stacks import configure_stack, expect_calls, reset_calls
from tests.target import Target, module_target

pytestmark = pytest.mark.acceptance

TOKEN = "verify-engine-platform-api-token-7c1b9e3d5f"
PASSWORD = "verify-engine-akadmin-password-2b8e"
PORTAL_CALLBACK = "https://app.dezky.local/api/auth/callback"
PORTAL = "dezky-portal"
"""The portal client's name in verify's lines (its slug in the stack's config, without the prefix)."""
STALWART = {
    "name": "Stalwart Mail",
    "redirect_uris": ["https://mail.{domain}/login/oauth"],
    "token_auth": "client_secret_post",
}


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    yield from module_target(bootstrap_token=None, password=PASSWORD, version=authentik_version)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, target: Target) -> Iterator[EngineProject]:
    project = EngineProject(tmp_path_factory.mktemp("verify"))
    # No Traefik in front: the consumers (and verify) reach authentik directly (public URL = its URL).
    configure_stack(project, target, TOKEN, [{"slug": "demo"}])
    # a third app (mail) is one config entry: its provider, application, outputs, .env keys and checks
    project.set_object("oidcClients", {"stalwart": STALWART})
    project.up()
    yield project
    project.destroy()
    if target.server is not None:
        assert_contract_kept(target.server)


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


def secrets_of(target: Target) -> list[str]:
    with target.admin() as admin:
        providers = [p for p in admin.list_all("providers/oauth2/") if p["name"].startswith(target.prefix)]
    return [
        target.stack_config(TOKEN)[1]["authentikToken"],
        target.password,
        *(p["client_secret"] for p in providers),
    ]


def test_verify_after_up_and_env_passes_twice(project: EngineProject, env_file: Path, target: Target) -> None:
    reset_calls(target)
    started = time.monotonic()
    first = verify(project, env_file)
    elapsed = time.monotonic() - started
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    print(f"[verify] {len(lines) - 2} checks in {elapsed:.2f}s")
    expect_calls(target, "verify", logins_made=1, sessions_left=0)
    assert lines[-1] == "verify: all 28 checks passed"
    assert "ok    stalwart: token exchange: tokens issued for the client secret from" in first.stdout
    assert "(client_secret_post)" in first.stdout
    assert not [line for line in lines if line.startswith("FAIL")]
    assert f"ok    {PORTAL}: login via {PORTAL_CALLBACK}" in first.stdout
    second = verify(project, env_file)  # nothing left behind that breaks a second run
    assert second.returncode == 0, second.stdout + second.stderr
    for secret in secrets_of(target):
        assert secret not in first.stdout + first.stderr + second.stdout + second.stderr


def test_a_stale_client_secret_in_env_fails_naming_the_fix(project: EngineProject, env_file: Path) -> None:
    stale = env_file.with_name("stale.env")
    stale.touch(mode=0o600)  # it holds the stack's other secrets, like the .env it copies
    stale.write_text(
        re.sub(
            r"^PORTAL_OIDC_CLIENT_SECRET=.*$",
            "PORTAL_OIDC_CLIENT_SECRET=old",
            env_file.read_text(),
            flags=re.M,
        )
    )
    assert stale.stat().st_mode & 0o077 == 0
    result = verify(project, stale)
    assert result.returncode == 1
    assert (
        f"FAIL  {PORTAL}: token exchange: Client authentication failed (invalid_client): the client "
        f"secret in {stale} is stale: run `python -m dezky_infra env --stack dev`"
    ) in result.stdout.splitlines()


def test_a_missing_env_file_is_called_missing_not_stale(project: EngineProject, env_file: Path) -> None:
    missing = env_file.with_name("nonexistent.env")
    result = verify(project, missing)
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if "matches the stack" in line]
    assert failed and all(
        line.endswith(f": {missing} does not exist: run `python -m dezky_infra env --stack dev`")
        for line in failed
    ), failed
    assert "stale" not in result.stdout


def test_a_redirect_uri_changed_out_of_band_fails_naming_the_uri(
    project: EngineProject, env_file: Path, target: Target
) -> None:
    with target.admin() as admin:
        portal = admin.list_all("providers/oauth2/", {"name": target.named("dezky-portal")})[0]
        admin.patch(
            f"providers/oauth2/{portal['pk']}/",
            {"redirect_uris": [{"matching_mode": "strict", "url": "https://evil.example/cb"}]},
        )
        result = verify(project, env_file)
        admin.patch(f"providers/oauth2/{portal['pk']}/", {"redirect_uris": portal["redirect_uris"]})
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert failed == [
        f"FAIL  {PORTAL}: login via {PORTAL_CALLBACK}: authentik refuses the redirect URI "
        f"{PORTAL_CALLBACK} (HTTP 400: not registered for client {target.named('dezky-portal')}, changed "
        "outside pulumi?); run `pulumi up --refresh` to put it back"
    ]


def test_authentik_down_is_exit_2_in_one_line(project: EngineProject, env_file: Path, target: Target) -> None:
    server = target.local("stops authentik")
    server.stop()
    try:
        result = verify(project, env_file)
    finally:
        server.start()
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(  # its first call asks authentik's release
        f"verify: authentik is unreachable: authentik at {server.url} did not answer GET "
        "/api/v3/admin/version/"
    )


def test_the_review_preview_runs_the_real_engine_without_a_docker_daemon(
    project: EngineProject, target: Target
) -> None:
    reset_calls(target)
    result = command(
        project, "review", "--stack", "dev", "--cwd", str(project.work_dir), "--expect-no-changes"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "review: Docker stand-in at unix://" in result.stderr
    assert re.search(r"\b11 unchanged\b", result.stdout)  # stack, component, 9 authentik objects
    expect_calls(target, "review preview", reads=0, writes=0)  # an unchanged stack needs no authentik
