"""No secret in plain text anywhere a run leaves traces: state, stack config, engine output (also of a
failed run), exception messages, the ``env`` command's output; ``.env`` holds exactly the secrets it is
for, with mode 0600.

The run goes through a proxy that echoes request bodies into its error pages (the worst case for an
error message), rotates the API token (a second key), and fails once on purpose.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pulumi.automation import CommandError

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from tests.engine.harness import REPO, changes
from tests.faults.support import (
    ENGINE_PASSWORD,
    ENGINE_TOKEN,
    SubPathProxy,
    engine_project,
    engine_server,
    secret_leaks,
)

ROTATED_TOKEN = "Hx5Wd8Pq2Lr7Tn4Vk9Bm3Cz6Fs1Jg0Ya"
SECRET_KEY = "Qe4Rt7Yu1Io9Pa3Sd6Fg2Hj5Kl8Zx0Cv"
POSTGRES_PASSWORD = "Bn6Mq9We2Rt5Yu8Io1Pa"
SET_KEY = "/api/v3/core/tokens/dezky-bootstrap-token/set_key/"


def run_env_command(
    project_dir: Path, env_file: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """``python -m dezky_infra env --stack dev`` for the project, writing ``env_file``."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "dezky_infra",
            "env",
            "--stack",
            "dev",
            "--cwd",
            str(project_dir),
            "--file",
            str(env_file),
        ],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_no_secret_in_state_output_logs_errors_or_files(tmp_path: Path, authentik_version: str) -> None:
    server = engine_server(authentik_version)
    proxy = SubPathProxy(server.url, "/ak")
    try:
        project = engine_project(tmp_path, server, authentikUrl=proxy.url, deadline_seconds=2)
        project.configure({}, {"authentikSecretKey": SECRET_KEY, "postgresPassword": POSTGRES_PASSWORD})
        project.up()

        # rotate the token while a proxy echoes the set_key body (the new key) into 502 pages: fails
        project.configure({}, {"authentikToken": ROTATED_TOKEN})
        proxy.echo_next(1000, 502, SET_KEY)
        with pytest.raises(CommandError) as failed:
            project.up()
        errors = f"{failed.value}\n{project.logs[-1].text}"
        assert "[secret]" in errors and f"did not answer POST {SET_KEY}" in errors
        proxy.close()
        proxy = SubPathProxy(server.url, "/ak")  # a healthy proxy on a new port
        project.configure({"authentikUrl": proxy.url}, {})
        # the token's key is updated; the readiness step, keyed by the URL, runs again
        assert changes(project.up().summary.resource_changes) == {"update": 1, "replace": 1}

        env_file = tmp_path / "dezky.env"
        command = run_env_command(project.work_dir, env_file, project.env)
        assert command.returncode == 0, command.stderr

        with AuthentikClient(ConnectionSettings(url=server.url, token=ROTATED_TOKEN)) as reader:
            providers = {p["name"]: p["client_secret"] for p in reader.list_all("providers/oauth2/")}
        secrets = {
            "first API token": ENGINE_TOKEN,
            "rotated API token": ROTATED_TOKEN,
            "bootstrap password": ENGINE_PASSWORD,
            "authentik secret key": SECRET_KEY,
            "postgres password": POSTGRES_PASSWORD,
            **{f"client secret of {name}": secret for name, secret in providers.items()},
        }
        traces = {
            **{
                str(path.relative_to(project.backend)): path.read_text(errors="replace")
                for path in project.state_files()
            },
            **{path.name: path.read_text() for path in project.work_dir.glob("Pulumi.*.yaml")},
            **{f"engine output #{i}": log.text for i, log in enumerate(project.logs)},
            "failed up's exception": errors,
            "env command output": command.stdout + command.stderr,
        }
        assert secret_leaks(secrets, traces) == []
        assert any('"ciphertext"' in text for text in traces.values())  # secrets are there, encrypted

        # .env: mode 0600, holds exactly the secrets the services need
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
        env_text = env_file.read_text()
        assert ROTATED_TOKEN in env_text and providers["dezky-portal"] in env_text
        allowed = {"rotated API token", "client secret of dezky-portal"}
        assert secret_leaks({k: v for k, v in secrets.items() if k not in allowed}, {".env": env_text}) == []
    finally:
        proxy.close()
        server.stop()
