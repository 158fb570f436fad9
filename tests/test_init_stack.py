"""``scripts/init-stack.sh`` on a machine that has never seen Pulumi, and with the user's own choices.

A copy of the repository (what a clone holds) gets an empty ``PULUMI_HOME``, no backend, no login, no
passphrase and no terminal on stdin, as a new user's first run does. The real pulumi CLI runs. The
checkout's own stack files (``Pulumi.dev.yaml``, ``.pulumi-local/``) are never read nor written: a
developer who ran the scripts in it has both, and a clone has neither.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from dezky_infra.cli.workspace import PASSPHRASE_FILE, STATE_DIR
from tests.engine.harness import REPO, require_cli

TEMPLATE = "Pulumi.dev.example.yaml"


def new_user(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh clone and the environment of a new terminal on a machine that has never seen Pulumi: no
    pulumi on PATH, an empty PULUMI_HOME, nothing of Pulumi's set. The CLI cache is the one setup.sh
    made on this machine already (building it is scripts/install-pulumi.sh's business)."""
    cache = Path(require_cli()).parent.parent
    if not cache.name.startswith("pulumi-v"):
        pytest.skip(f"the pulumi CLI in use ({require_cli()}) is not one scripts/install-pulumi.sh built")
    home = tmp_path / "home"
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "PULUMI_HOME": str(home / ".pulumi"),
        "DEZKY_PULUMI_HOME": str(cache),
    }
    return clone(tmp_path / "clone"), env


def clone(destination: Path, checkout: Path = REPO) -> Path:
    """The checkout's files as a fresh clone has them (tracked and not ignored), nothing else."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=checkout,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = checkout / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # The venv scripts/setup.sh made on this machine (a clone would make its own, a minute of pip).
    (destination / ".venv").symlink_to(REPO / ".venv")
    return destination


def checkout_stack_files() -> dict[str, bytes]:
    """The checkout's own stack files and local state, which no test may write."""
    files = [*REPO.glob("Pulumi.*.yaml"), *(REPO / ".pulumi-local").rglob("*")]
    return {str(path): path.read_bytes() for path in files if path.is_file()}


@pytest.fixture(autouse=True)
def _checkout_untouched() -> Iterator[None]:
    before = checkout_stack_files()
    yield
    assert checkout_stack_files() == before


def new_user_env(home: Path, **extra: str) -> dict[str, str]:
    """A new user's environment: pulumi and python on PATH, nothing Pulumi-specific set."""
    bin_dir = Path(require_cli()).parent
    path = os.pathsep.join([str(bin_dir), str(REPO / ".venv" / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
    return {"PATH": path, "HOME": str(home), "PULUMI_HOME": str(home / ".pulumi"), **extra}


def init_stack(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "scripts/init-stack.sh", "dev"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def snapshot(project: Path) -> dict[str, str]:
    """Hash of every file the run may touch in the project (stack config, local state, passphrase)."""
    files = [project / "Pulumi.dev.yaml", *sorted((project / ".pulumi-local").rglob("*"))]
    return {
        str(path.relative_to(project)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in files
        if path.is_file() and "/.lock" not in str(path) and not path.name.endswith(".bak")
    }


def pulumi(project: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["pulumi", *args, "--stack", "dev", "--non-interactive"],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


def test_init_stack_on_a_fresh_machine_then_again(tmp_path: Path) -> None:
    project = clone(tmp_path / "clone")
    env = new_user_env(tmp_path / "home")
    first = init_stack(project, env)
    assert first.returncode == 0, first.stderr
    state, passphrase = project / STATE_DIR, project / PASSPHRASE_FILE
    lines = first.stderr.splitlines()
    # the developer's own stack file, made from the committed template, which stays as it was
    assert (
        lines.count(f"setup: made Pulumi.dev.yaml from {TEMPLATE}: your own stack settings (git-ignored)")
        == 1
    )
    assert (project / TEMPLATE).read_bytes() == (REPO / TEMPLATE).read_bytes()
    assert sum(str(state) in line for line in lines) == 1
    assert sum(str(passphrase) in line for line in lines) == 1
    assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
    assert passphrase.read_text() not in first.stdout + first.stderr
    assert any(p.name.startswith("dev.json") for p in (state / ".pulumi" / "stacks").rglob("*"))
    # the secrets are there, encrypted with the generated passphrase, and readable with it
    with_passphrase = {
        **env,
        "PULUMI_BACKEND_URL": state.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE_FILE": str(passphrase),
    }
    stack_file = (project / "Pulumi.dev.yaml").read_text()
    assert "encryptionsalt:" in stack_file and stack_file.count("secure: v1:") == 2
    assert len(pulumi(project, with_passphrase, "config", "get", "authentikToken").strip()) >= 36
    # pulumi rewrote the file: the template's settings are there, as pulumi writes them
    template = yaml.safe_load((REPO / TEMPLATE).read_text())["config"]
    assert set(yaml.safe_load(stack_file)["config"]) > set(template)
    # the clone's ignore rules keep the private files out of git
    private = ["Pulumi.dev.yaml", PASSPHRASE_FILE, f"{STATE_DIR}/.pulumi/stacks/dezky/dev.json"]
    ignored = subprocess.run(
        ["git", "check-ignore", *private], check=False, cwd=REPO, capture_output=True, text=True
    )
    assert ignored.stdout.split() == private

    before = snapshot(project)
    second = init_stack(project, env)
    assert second.returncode == 0, second.stderr
    assert "generated" not in second.stderr and "setup: made" not in second.stderr
    assert snapshot(project) == before


@pytest.mark.parametrize("how", ["PULUMI_BACKEND_URL", "pulumi login"])
def test_the_users_backend_and_passphrase_are_respected(tmp_path: Path, how: str) -> None:
    project = clone(tmp_path / "clone")
    theirs = tmp_path / "their-state"
    theirs.mkdir()
    env = new_user_env(tmp_path / "home", PULUMI_CONFIG_PASSPHRASE="their passphrase")
    if how == "PULUMI_BACKEND_URL":
        env["PULUMI_BACKEND_URL"] = theirs.as_uri()
    else:
        subprocess.run(
            ["pulumi", "login", theirs.as_uri(), "--non-interactive"],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=True,
            timeout=60,
        )
    result = init_stack(project, env)
    assert result.returncode == 0, result.stderr
    assert not (project / ".pulumi-local").exists()
    assert "pulumi state:" not in result.stderr and "pulumi secrets:" not in result.stderr
    assert any(p.name.startswith("dev.json") for p in theirs.rglob("*"))
    env.setdefault("PULUMI_BACKEND_URL", theirs.as_uri())
    assert pulumi(project, env, "config", "get", "authentikBootstrapPassword").strip()


def test_a_new_user_without_pulumi_on_path_gets_it_from_the_setup(tmp_path: Path) -> None:
    """The script is a first command: it sets itself up (scripts/setup.sh) instead of expecting pulumi
    on PATH. The CLI cache is the one setup.sh made on this machine already (building it is
    scripts/install-pulumi.sh's business, tested in test_install_pulumi.py)."""
    project, env = new_user(tmp_path)
    assert shutil.which("pulumi", path=env["PATH"]) is None
    first = init_stack(project, env)
    assert first.returncode == 0, first.stderr
    assert "pulumi: command not found" not in first.stderr
    assert (project / "Pulumi.dev.yaml").read_text().count("secure: v1:") == 2


def test_a_developers_stack_files_never_reach_a_clone(tmp_path: Path) -> None:
    """A developer ran the scripts in their checkout: its Pulumi.dev.yaml now holds secrets encrypted
    with the passphrase in its .pulumi-local/. Neither reaches a clone (the teammate who pulls, or
    the tests' own copies), and init-stack works there as on a fresh machine."""
    checkout = clone(tmp_path / "checkout")
    subprocess.run(["git", "init", "-q"], cwd=checkout, check=True)
    env = new_user_env(tmp_path / "home")
    assert init_stack(checkout, env).returncode == 0
    assert "encryptionsalt:" in (checkout / "Pulumi.dev.yaml").read_text()

    teammate = clone(tmp_path / "teammate", checkout)
    leaked = [name for name in ("Pulumi.dev.yaml", ".pulumi-local") if (teammate / name).exists()]
    result = init_stack(teammate, new_user_env(tmp_path / "teammate-home"))
    assert result.returncode == 0, result.stderr
    assert leaked == []
    assert (teammate / "Pulumi.dev.yaml").read_text().count("secure: v1:") == 2


def test_the_template_is_committed_without_secrets() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", TEMPLATE], cwd=REPO, capture_output=True, check=False
    )
    assert tracked.returncode == 0, "the dev stack template is committed"
    document = yaml.safe_load((REPO / TEMPLATE).read_text())
    assert list(document) == ["config"]  # no encryptionsalt, no secretsprovider
    assert "secure" not in json.dumps(document), "no `secure:` value"
    ignored = subprocess.run(
        [
            "git",
            "check-ignore",
            "--no-index",
            "Pulumi.dev.yaml",
            "Pulumi.alice.yaml",
            TEMPLATE,
            "Pulumi.yaml",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == ["Pulumi.dev.yaml", "Pulumi.alice.yaml"]
