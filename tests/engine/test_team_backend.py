"""A team's shared state: the real program and engine with the stack's state in an S3-compatible bucket.

The bucket lives on a real S3 server on 127.0.0.1 (versitygw, posix backend: ``tests/engine/
s3_backend.py``), reached through Pulumi's own ``s3://`` diy backend, exactly as a team would log in
to a shared bucket. Three things a team relies on:

- the whole demo flow (up, outputs, ``.env``, no-op preview, destroy) works with the state in the
  bucket, the state objects really are there, and they hold no secret in plain text;
- two ``pulumi up`` on the same stack at once cannot corrupt it: the second is refused by Pulumi's
  lock and the stack stays consistent with authentik;
- a stack kept in a local file backend moves to the bucket with ``pulumi stack export``/``import``
  and nothing changes.

One authentik-compatible server and one versitygw serve the module; each test has its own bucket and
stack, starts from a fresh authentik (no API token yet, only akadmin's bootstrap password) and
destroys what it made.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.password_login import login_with_password
from tests.authentik_server import AuthentikServer
from tests.conftest import assert_contract_kept
from tests.engine.harness import REPO, EngineProject, StateBackend, changes
from tests.engine.s3_backend import S3Request, VersityGW
from tests.engine.stacks import configure_stack
from tests.target import Target

TOKEN = "team-backend-platform-api-token-2a4c6e8f0b1d3f5a"
PASSWORD = "team-backend-akadmin-password-9c"
TENANTS = [{"slug": "acme", "display_name": "ACME"}, {"slug": "globex"}]

PASSPHRASE = "team-test-passphrase-shared-by-the-team-61c2"
TEAM_ENV = {"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
"""A real passphrase (the harness default is empty): the scans below also look for it."""
LOCK_MESSAGE = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`."
)
"""The diy backend's lock error, first line (pkg/backend/diy/lock.go, ``checkForLock``); the next line
names the lock object and who holds it: ``<lock URL>: created by user@host (pid N) at <time>``."""
READ_OPERATIONS = {"GetObject", "HeadObject", "ListObjectsV2"}
"""S3 operations that need only s3:GetObject and s3:ListBucket."""
CREATED = 10  # 8 authentik resources (ready, token, 2 providers, 2 apps, 2 groups) + stack + DezkyStack
AUTHENTIK_TYPES = sorted(
    f"pulumi-python:dynamic/authentik:{kind}"
    for kind in ["Ready", "ApiToken", *["OAuth2Provider", "Application", "Group"] * 2]
)
"""The authentik resources of the dev stack's state, by type."""


@pytest.fixture(scope="module")
def server() -> Iterator[AuthentikServer]:
    srv = AuthentikServer(bootstrap_token=None, akadmin_password=PASSWORD)
    srv.start()
    yield srv
    srv.stop()
    assert_contract_kept(srv)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VersityGW]:
    with VersityGW(tmp_path_factory.mktemp("versitygw")) as gw:
        yield gw


@pytest.fixture(autouse=True)
def fresh_authentik(server: AuthentikServer) -> AuthentikServer:
    """A fresh authentik for every test, so no test adopts what another one left behind."""
    server.wipe(bootstrap_token=None)
    server.reset_calls()
    return server


def admin_client(server: AuthentikServer) -> AuthentikClient:
    """Someone else looking at authentik with the stack's API token (exists once ``up`` made it)."""
    return AuthentikClient(ConnectionSettings(url=server.url, token=TOKEN, retry_deadline_seconds=3))


def configure(project: EngineProject, server: AuthentikServer) -> None:
    """The program's dev configuration (docker off) for the module's local authentik."""
    configure_stack(
        project, Target(url=server.url, password=PASSWORD, prefix="", server=server), TOKEN, TENANTS
    )


def team_project(root: Path, stack: str, backend: StateBackend, server: AuthentikServer) -> EngineProject:
    """The program's dev configuration as a new stack whose state lives in ``backend``."""
    project = EngineProject(root, stack, backend=backend, extra_env=TEAM_ENV)
    configure(project, server)
    return project


def secret_values(server: AuthentikServer) -> list[str]:
    """Every secret of the stack while it exists: token key, password, passphrase, client secrets."""
    with admin_client(server) as admin:
        client_secrets = [p["client_secret"] for p in admin.list_all("providers/oauth2/")]
    assert len(client_secrets) == 2
    return [TOKEN, PASSWORD, PASSPHRASE, *client_secrets]


def bucket_files(backend: StateBackend) -> dict[str, tuple[int, int]]:
    """Every object file in the bucket's folder (versitygw's own temp folder aside): size, mtime."""
    return {
        str(path.relative_to(backend.files)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in backend.files.rglob("*")
        if path.is_file() and ".sgwtmp" not in path.parts
    }


def bucket_text(backend: StateBackend) -> str:
    """All objects in the bucket's folder as one text, for the secret scan."""
    return "\n".join((backend.files / name).read_text(errors="replace") for name in bucket_files(backend))


def assert_only_ciphertext(text: str, secrets: list[str]) -> None:
    """``text`` holds encrypted secrets (Pulumi's ``ciphertext`` envelopes) and none in plain text."""
    assert '"ciphertext"' in text
    for secret in secrets:
        assert secret not in text


def s3_summary(requests: list[S3Request]) -> list[str]:
    """``Operation folder`` pairs of ``requests`` (``PutObject .pulumi/locks``), sorted, for the log."""
    return sorted({f"{r.operation} {'/'.join(r.key.split('/')[:2])}" for r in requests})


def authentik_resources(deployment: dict[str, Any]) -> list[str]:
    """The types of a deployment's authentik resources, sorted (stack, component and provider aside)."""
    types = (r["type"] for r in deployment.get("resources") or [])
    return sorted(t for t in types if t.startswith("pulumi-python:dynamic/authentik:"))


def assert_authentik_empty(server: AuthentikServer) -> None:
    """Nothing of the stack is left in authentik (its API token went with it: log in as akadmin)."""
    settings = ConnectionSettings(
        url=server.url, bootstrap_password=PASSWORD, token="x" * 40, retry_deadline_seconds=3
    )
    with AuthentikClient(settings) as client:
        login_with_password(client)
        assert client.list_all("providers/oauth2/") == []
        assert client.list_all("core/applications/", {"superuser_full_list": "true"}) == []
        assert client.get_or_none("core/tokens/dezky-bootstrap-token/") is None


def lock_files(backend: StateBackend) -> list[Path]:
    return sorted((backend.files / ".pulumi" / "locks").rglob("*.json"))


def assert_one_of_each(server: AuthentikServer) -> None:
    """authentik holds exactly the stack's objects, none twice."""
    with admin_client(server) as admin:
        providers = sorted(p["name"] for p in admin.list_all("providers/oauth2/"))
        assert providers == ["dezky-portal", "ocis-provider"]
        apps = admin.list_all("core/applications/", {"superuser_full_list": "true"})
        assert sorted(a["slug"] for a in apps) == ["dezky-portal", "ocis"]
        groups = [g["name"] for g in admin.list_all("core/groups/")]
        assert sorted(g for g in groups if g.startswith("tenant-")) == ["tenant-acme", "tenant-globex"]
        assert len(admin.list_all("core/tokens/", {"identifier": "dezky-bootstrap-token"})) == 1


def test_demo_flow_with_the_state_in_the_bucket(
    tmp_path: Path, server: AuthentikServer, gateway: VersityGW
) -> None:
    backend = gateway.backend("team-demo")
    project = team_project(tmp_path, "demo", backend, server)

    mark = gateway.access_mark()
    up = project.up()
    assert changes(up.summary.resource_changes or {}) == {"create": CREATED}
    print(f"[S3 requests] up: {s3_summary(gateway.requests_since(mark))}")
    outputs = json.loads(project.cli("stack", "output", "--json"))
    assert outputs["portal_oidc_client_id"] == "dezky-portal"
    assert outputs["portal_oidc_client_secret"] == "[secret]"
    stack_file = backend.files / ".pulumi" / "stacks" / "dezky" / "demo.json"
    assert authentik_resources(json.loads(stack_file.read_text())["checkpoint"]["latest"]) == AUTHENTIK_TYPES
    secrets = secret_values(server)

    env_file = tmp_path / "demo.env"
    written = subprocess.run(
        [
            sys.executable,
            "-m",
            "dezky_infra",
            "env",
            "--stack",
            "demo",
            "--cwd",
            str(project.work_dir),
            "--file",
            str(env_file),
        ],
        cwd=REPO,
        env={**os.environ, **project.env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert written.returncode == 0, written.stderr
    assert env_file.stat().st_mode & 0o777 == 0o600
    env = dotenv_values(env_file)
    assert env["AUTHENTIK_BOOTSTRAP_TOKEN"] == TOKEN
    assert env["PORTAL_OIDC_CLIENT_SECRET"] in secrets
    for secret in secrets:
        assert secret not in written.stdout + written.stderr

    before, mark = bucket_files(backend), gateway.access_mark()
    server.reset_calls()
    preview = project.preview(expect_no_changes=True)
    assert changes(preview.change_summary) == {}
    assert (server.count(reads=True), server.count(reads=False)) == (0, 0)
    # A preview only reads the bucket: no lock, no history, no backup (what CI's read-only key needs).
    operations = {(r.operation, r.key) for r in gateway.requests_since(mark)}
    print(f"[S3 requests] no-op preview: {sorted(operations)}")
    assert {op for op, _ in operations} <= READ_OPERATIONS
    assert ("GetObject", ".pulumi/stacks/dezky/demo.json") in operations
    assert bucket_files(backend) == before

    destroyed = project.destroy()
    assert changes(destroyed.summary.resource_changes or {}) == {"delete": CREATED}
    assert_authentik_empty(server)
    assert json.loads(stack_file.read_text())["checkpoint"]["latest"].get("resources") in (None, [])
    history = sorted((backend.files / ".pulumi" / "history" / "dezky" / "demo").glob("*.history.json"))
    assert [json.loads(h.read_text())["kind"] for h in history] == ["update", "destroy"]
    assert lock_files(backend) == []

    # Every object in the bucket, the stack's config file and all engine output: secrets encrypted.
    assert_only_ciphertext(project.written_text(), secrets)


def pulumi_up(cwd: Path, env: dict[str, str], stack: str) -> subprocess.Popen[str]:
    """Start ``pulumi up --yes --skip-preview`` the way a teammate types it, without waiting for it."""
    return subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--stack", stack, "--non-interactive", "--color=never"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_concurrent_ups_on_one_stack_leave_it_consistent(
    tmp_path: Path, server: AuthentikServer, gateway: VersityGW
) -> None:
    backend = gateway.backend("team-lock")
    alice = team_project(tmp_path / "alice", "shared", backend, server)
    # Bob works in his own clone of the repository: the same Pulumi.shared.yaml, his own PULUMI_HOME.
    bob_dir = tmp_path / "bob" / "project"
    shutil.copytree(alice.work_dir, bob_dir)
    alice_env = {**os.environ, **alice.env}
    bob_env = {**alice_env, "PULUMI_HOME": str(tmp_path / "bob" / "pulumi-home")}

    # Both start at the same moment, as when two people press enter together.
    ups = [pulumi_up(alice.work_dir, alice_env, "shared"), pulumi_up(bob_dir, bob_env, "shared")]
    stderr = [up.communicate(timeout=600)[1] for up in ups]
    succeeded = [up for up in ups if up.returncode == 0]
    refused = [(up, err) for up, err in zip(ups, stderr, strict=True) if up.returncode != 0]
    for _, err in refused:
        print(f"[refused up]\n{err.strip()}")
    assert len(succeeded) <= 1, "two updates of one stack ran at the same time"
    assert refused, "the two ups did not overlap"
    for up, err in refused:
        other = next(u for u in ups if u is not up)
        assert LOCK_MESSAGE in err
        assert f"(pid {other.pid})" in err  # the lock that refused it is the other up's
    if not succeeded:
        # Both wrote their lock within the same instant and each saw the other's (diy's lock is
        # check, write, check again): nothing ran, and the same command again goes through.
        retry = pulumi_up(alice.work_dir, alice_env, "shared")
        assert retry.communicate(timeout=600) and retry.returncode == 0
    assert lock_files(backend) == []

    exported = json.loads(alice.cli("stack", "export"))
    assert authentik_resources(exported["deployment"]) == AUTHENTIK_TYPES
    assert not exported["deployment"].get("pending_operations")
    assert changes(alice.preview().change_summary) == {}
    assert changes(alice.refresh().summary.resource_changes or {}) == {}
    assert_one_of_each(server)
    alice.destroy()


def test_stack_moves_from_a_local_file_backend_to_the_bucket(
    tmp_path: Path, server: AuthentikServer, gateway: VersityGW
) -> None:
    # A developer's stack in a local file backend (the project's default, .pulumi-local/state).
    local = EngineProject(tmp_path, "moving", extra_env=TEAM_ENV)
    configure(local, server)
    assert changes(local.up().summary.resource_changes or {}) == {"create": CREATED}
    stack_config = local.work_dir / "Pulumi.moving.yaml"
    config_before = stack_config.read_text()
    assert "encryptionsalt:" in config_before
    values_before = json.loads(local.cli("config", "--json", "--show-secrets"))

    # Pulumi's documented move (docs: "Migrating between state backends"): export with the
    # secrets shown, log in to the new backend, stack init with the same passphrase, import.
    checkpoint = tmp_path / "moving.checkpoint.json"
    local.cli("stack", "export", "--show-secrets", "--file", str(checkpoint))
    bucket = gateway.backend("team-moved")
    in_bucket = {"PULUMI_BACKEND_URL": bucket.url, **bucket.env}
    local.cli("stack", "init", "--secrets-provider", "passphrase", env=in_bucket)
    local.cli("stack", "import", "--file", str(checkpoint), env=in_bucket)

    # The stack's config (diy backends keep it in Pulumi.<stack>.yaml) and its salt stay as they were.
    assert stack_config.read_text() == config_before
    assert json.loads(local.cli("config", "--json", "--show-secrets", env=in_bucket)) == values_before
    moved = json.loads(local.cli("stack", "export", env=in_bucket))["deployment"]
    original = json.loads(checkpoint.read_text())["deployment"]
    assert [(r["urn"], r.get("id")) for r in moved["resources"]] == [
        (r["urn"], r.get("id")) for r in original["resources"]
    ]
    # The export held the secrets in plain text (so it is deleted); the import encrypted them again.
    secrets = secret_values(server)
    assert TOKEN in checkpoint.read_text()
    checkpoint.unlink()
    assert_only_ciphertext(bucket_text(bucket), secrets)

    server.reset_calls()
    preview = json.loads(local.cli("preview", "--expect-no-changes", "--json", env=in_bucket))
    assert changes(preview["changeSummary"]) == {}
    assert (server.count(reads=True), server.count(reads=False)) == (0, 0)

    # The old record goes, the objects and the stack's config file stay (the bucket manages them now).
    local.cli("stack", "rm", "--force", "--preserve-config", "--yes")
    assert not list(local.backend.rglob("moving.json"))
    assert stack_config.read_text() == config_before

    # The bucket's stack manages the objects: destroying it there removes them from authentik.
    local.cli("destroy", "--yes", "--skip-preview", env=in_bucket)
    assert_authentik_empty(server)
