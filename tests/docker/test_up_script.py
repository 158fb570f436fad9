"""scripts/up.sh after `pulumi up`: verify, then say which app containers are ready and which still start.

`pulumi up` waits for postgres, authentik and Traefik, not for the apps (docs/docker.md): their first
start runs `npm install`. up.sh reads their health from Docker and says what still starts and how to
watch it. Everything up.sh calls is faked on PATH: `pulumi`, `python` (the dezky_infra commands) and
`docker` record their arguments; `docker` answers from files the test writes. setup.sh and
init-stack.sh are stand-ins in the copied project.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("bash", "env", "dirname", "cat", "printf")
"""What up.sh and the fakes run besides the fakes; PATH holds these and nothing else."""

FAKE_PULUMI = """#!/usr/bin/env bash
printf 'pulumi %s\\n' "$*" >> "$CALLS"
"""
FAKE_PYTHON = """#!/usr/bin/env bash
printf 'python %s\\n' "$*" >> "$CALLS"
case "$3" in
  workspace) echo 'export FAKE_WORKSPACE=1' ;;
  verify) echo 'ok    portal: login'; exit "${VERIFY_EXIT:-0}" ;;
esac
"""
FAKE_DOCKER = """#!/usr/bin/env bash
printf 'docker %s\\n' "$*" >> "$CALLS"
case "$1" in
  ps) cat "$DOCKER_PS" ;;
  inspect) cat "$DOCKER_INSPECT" ;;
esac
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """up.sh in an otherwise empty project, with setup.sh and init-stack.sh that only record."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "up.sh", root / "scripts" / "up.sh")
    (root / "scripts" / "setup.sh").write_text('printf "setup\\n" >> "$CALLS"\n')
    (root / "scripts" / "init-stack.sh").write_text('printf "init-stack %s\\n" "$*" >> "$CALLS"\n')
    return root


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found is not None, f"{tool} is needed to run up.sh"
        (folder / tool).symlink_to(found)
    for name, script in (("pulumi", FAKE_PULUMI), ("python", FAKE_PYTHON), ("docker", FAKE_DOCKER)):
        (folder / name).write_text(script)
        (folder / name).chmod(0o755)
    return folder


def up(
    project: Path, tools: Path, tmp_path: Path, containers: list[str], verify_exit: int = 0
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run up.sh for stack `dev` with Docker holding `containers` (`name|state|health|url` lines)."""
    calls, ps, inspect = tmp_path / "calls.log", tmp_path / "ps.txt", tmp_path / "inspect.txt"
    ps.write_text("".join(f"{line.split('|')[0]}\n" for line in containers))
    inspect.write_text("".join(f"/{line}\n" for line in containers))
    env = {
        "PATH": str(tools),
        "CALLS": str(calls),
        "DOCKER_PS": str(ps),
        "DOCKER_INSPECT": str(inspect),
        "VERIFY_EXIT": str(verify_exit),
    }
    result = subprocess.run(
        ["bash", "scripts/up.sh", "dev"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, calls.read_text().splitlines() if calls.exists() else []


STARTING = [
    "dezky-platform-api|running|starting|",
    "dezky-portal|running|starting|https://app.dezky.local",
    "dezky-ocis|running|healthy|https://files.dezky.local",
]


def test_up_says_which_apps_still_start_and_how_to_watch_them(
    project: Path, tools: Path, tmp_path: Path
) -> None:
    result, calls = up(project, tools, tmp_path, STARTING)
    assert result.returncode == 0, result.stderr
    assert calls[:5] == [
        "setup",
        "python -m dezky_infra workspace --stack dev",
        "init-stack dev",
        "pulumi up --yes --stack dev --non-interactive",
        "python -m dezky_infra env --stack dev --file .env",
    ]
    assert calls[5] == "python -m dezky_infra verify --stack dev --env-file .env"
    assert calls[6] == "docker ps --all --filter label=dezky.stack=dev --format {{.Names}}"
    assert calls[7].startswith("docker inspect --format ")
    assert calls[7].endswith(" dezky-platform-api dezky-portal dezky-ocis")
    report = result.stdout.split("ok    portal: login\n", 1)[1].splitlines()
    assert report == [
        "up: the apps are started, not waited for (a first start runs npm install: minutes):",
        "up:   starting  dezky-platform-api",
        "up:   starting  dezky-portal  https://app.dezky.local answers 404 until it is healthy",
        "up:   ready     dezky-ocis  https://files.dezky.local",
        "up: watch them: docker ps --filter label=dezky.stack=dev --format 'table {{.Names}}\\t{{.Status}}'",
        "up: follow one: docker logs --follow dezky-platform-api",
    ]


def test_up_says_when_every_app_is_ready(project: Path, tools: Path, tmp_path: Path) -> None:
    ready = [
        "dezky-platform-api|running|healthy|",
        "dezky-portal|running|healthy|https://app.dezky.local",
    ]
    result, _ = up(project, tools, tmp_path, ready)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-3:] == [
        "up: the apps are started, not waited for (a first start runs npm install: minutes):",
        "up:   ready     dezky-platform-api",
        "up:   ready     dezky-portal  https://app.dezky.local",
    ]


def test_up_names_a_failing_app_and_its_logs(project: Path, tools: Path, tmp_path: Path) -> None:
    failing = [
        "dezky-portal|running|unhealthy|https://app.dezky.local",
        "dezky-platform-api|exited||",
    ]
    result, _ = up(project, tools, tmp_path, failing)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "up:   failing   dezky-portal  unhealthy: docker logs dezky-portal" in lines
    assert "up:   failing   dezky-platform-api  exited: docker logs dezky-platform-api" in lines
    assert lines[-1] == "up: follow one: docker logs --follow dezky-portal"


def test_the_apps_are_reported_even_when_verify_fails(project: Path, tools: Path, tmp_path: Path) -> None:
    result, _ = up(project, tools, tmp_path, STARTING, verify_exit=1)
    assert result.returncode == 1
    assert "up:   starting  dezky-portal  https://app.dezky.local answers 404 until it is healthy" in (
        result.stdout.splitlines()
    )


def test_no_app_containers_no_report(project: Path, tools: Path, tmp_path: Path) -> None:
    """With the docker layer off (dezky:dockerEnabled: false) up.sh ends with verify, as before."""
    result, calls = up(project, tools, tmp_path, [])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "ok    portal: login"
    assert not [call for call in calls if call.startswith("docker inspect")]
