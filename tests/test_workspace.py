"""Where state and secrets go (``cli.workspace``): the user's choice untouched, local defaults else."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from dezky_infra.cli import workspace
from dezky_infra.cli.workspace import PASSPHRASE_FILE, STATE_DIR, WorkspaceError, resolve
from tests.engine.harness import REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "Pulumi.yaml").write_text("name: dezky\nruntime: python\n")
    return root


def nothing_chosen(tmp_path: Path) -> dict[str, str]:
    """An environment with no backend, login or passphrase (an empty PULUMI_HOME)."""
    home = tmp_path / "pulumi-home"
    home.mkdir(exist_ok=True)
    return {"PULUMI_HOME": str(home)}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_nothing_chosen_gives_the_local_backend_and_a_passphrase_file(project: Path, tmp_path: Path) -> None:
    resolved = resolve(project, "dev", nothing_chosen(tmp_path))
    state = project / STATE_DIR
    passphrase = project / PASSPHRASE_FILE
    assert resolved.env == {
        "PULUMI_BACKEND_URL": state.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE_FILE": str(passphrase),
    }
    assert state.is_dir()
    assert mode(passphrase) == 0o600
    assert len(passphrase.read_text()) >= 32
    # one line each, saying where; never the passphrase
    assert len(resolved.notes) == 2
    assert str(state) in resolved.notes[0] and str(passphrase) in resolved.notes[1]
    assert "generated now" in resolved.notes[1]
    assert all("\n" not in note and passphrase.read_text() not in note for note in resolved.notes)
    # the local backend's note says where to read on about sharing the stack
    assert "docs/team.md moves it to a shared one" in resolved.notes[0]
    assert (REPO / "docs" / "team.md").is_file()


def test_a_second_resolve_keeps_the_passphrase(project: Path, tmp_path: Path) -> None:
    environ = nothing_chosen(tmp_path)
    resolve(project, "dev", environ)
    first = (project / PASSPHRASE_FILE).read_text()
    again = resolve(project, "dev", environ)
    assert (project / PASSPHRASE_FILE).read_text() == first
    assert not any("generated now" in note for note in again.notes)


def test_a_loose_passphrase_file_is_tightened(project: Path, tmp_path: Path) -> None:
    resolve(project, "dev", nothing_chosen(tmp_path))
    (project / PASSPHRASE_FILE).chmod(0o644)
    resolve(project, "dev", nothing_chosen(tmp_path))
    assert mode(project / PASSPHRASE_FILE) == 0o600


def test_the_users_backend_url_is_used_untouched(project: Path, tmp_path: Path) -> None:
    environ = {**nothing_chosen(tmp_path), "PULUMI_BACKEND_URL": "s3://team-bucket?region=eu-west-1"}
    resolved = resolve(project, "dev", environ)
    assert "PULUMI_BACKEND_URL" not in resolved.env
    assert resolved.backend_url == "s3://team-bucket?region=eu-west-1"
    assert not (project / STATE_DIR).exists()
    # a self-managed backend still needs a passphrase: the project's file, since none was given
    assert resolved.env == {"PULUMI_CONFIG_PASSPHRASE_FILE": str(project / PASSPHRASE_FILE)}


@pytest.mark.parametrize("variable", ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"])
def test_the_users_passphrase_is_used_untouched(project: Path, tmp_path: Path, variable: str) -> None:
    environ = {**nothing_chosen(tmp_path), "PULUMI_BACKEND_URL": "file:///tmp/theirs", variable: ""}
    resolved = resolve(project, "dev", environ)
    assert resolved.env == {} and resolved.notes == ()
    assert not (project / ".pulumi-local").exists()


def test_a_pulumi_login_is_the_users_backend(project: Path, tmp_path: Path) -> None:
    environ = nothing_chosen(tmp_path)
    credentials = Path(environ["PULUMI_HOME"]) / "credentials.json"
    credentials.write_text(json.dumps({"current": "https://api.pulumi.com", "accessTokens": {}}))
    resolved = resolve(project, "dev", environ)
    assert resolved.env == {}  # Pulumi Cloud encrypts the stack's secrets itself
    assert resolved.backend_url == "https://api.pulumi.com"
    credentials.write_text(json.dumps({"current": "gs://their-bucket"}))
    assert resolve(project, "dev", environ).env == {
        "PULUMI_CONFIG_PASSPHRASE_FILE": str(project / PASSPHRASE_FILE)
    }


def test_a_logout_leaves_no_current_backend(project: Path, tmp_path: Path) -> None:
    environ = nothing_chosen(tmp_path)
    (Path(environ["PULUMI_HOME"]) / "credentials.json").write_text(json.dumps({"accessTokens": {}}))
    assert "PULUMI_BACKEND_URL" in resolve(project, "dev", environ).env


def test_an_unreadable_credentials_file_counts_as_a_choice(project: Path, tmp_path: Path) -> None:
    environ = nothing_chosen(tmp_path)
    (Path(environ["PULUMI_HOME"]) / "credentials.json").write_text("not json")
    assert "PULUMI_BACKEND_URL" not in resolve(project, "dev", environ).env


def test_an_access_token_means_pulumi_cloud(project: Path, tmp_path: Path) -> None:
    environ = {**nothing_chosen(tmp_path), "PULUMI_ACCESS_TOKEN": "pul-token"}
    assert resolve(project, "dev", environ).env == {}


def test_the_projects_backend_url_is_the_users_choice(project: Path, tmp_path: Path) -> None:
    (project / "Pulumi.yaml").write_text("name: dezky\nruntime: python\nbackend:\n  url: file:///srv/state\n")
    resolved = resolve(project, "dev", nothing_chosen(tmp_path))
    assert resolved.backend_url == "file:///srv/state"
    assert "PULUMI_BACKEND_URL" not in resolved.env


@pytest.mark.parametrize(
    "backend",
    [
        'backend: {url: "file:///srv/state"}\n',
        "backend:\n  # the team's\n  url: 'file:///srv/state'  # here\n",
    ],
    ids=["flow style", "quoted with comments"],
)
def test_the_projects_backend_url_is_read_as_yaml_in_any_style(
    project: Path, tmp_path: Path, backend: str
) -> None:
    (project / "Pulumi.yaml").write_text(f"name: dezky\nruntime: python\n{backend}")
    assert resolve(project, "dev", nothing_chosen(tmp_path)).backend_url == "file:///srv/state"


def test_a_stack_file_that_is_not_yaml_is_named(project: Path, tmp_path: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  dezky:domain: [unclosed\n")
    with pytest.raises(
        WorkspaceError, match=r"^Pulumi.dev.yaml is not valid YAML \(line \d+\): fix or restore it$"
    ):
        resolve(project, "dev", nothing_chosen(tmp_path))


def test_a_stack_with_its_own_secrets_provider_gets_no_passphrase(project: Path, tmp_path: Path) -> None:
    (project / "Pulumi.staging.yaml").write_text("secretsprovider: awskms://alias/dezky\nconfig: {}\n")
    resolved = resolve(project, "staging", nothing_chosen(tmp_path))
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in resolved.env
    assert not (project / PASSPHRASE_FILE).exists()


def test_an_encrypted_stack_without_its_passphrase_file_is_an_error(project: Path, tmp_path: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("encryptionsalt: v1:abc:def\nconfig: {}\n")
    with pytest.raises(WorkspaceError) as raised:
        resolve(project, "dev", nothing_chosen(tmp_path))
    message = str(raised.value)
    assert "Pulumi.dev.yaml" in message and PASSPHRASE_FILE in message
    assert "PULUMI_CONFIG_PASSPHRASE" in message
    assert not (project / PASSPHRASE_FILE).exists()  # never a new passphrase for old secrets


def test_a_reading_command_does_not_make_a_passphrase(project: Path, tmp_path: Path) -> None:
    resolved = resolve(project, "dev", nothing_chosen(tmp_path), create=False)
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" not in resolved.env
    assert not (project / PASSPHRASE_FILE).exists()


def test_the_command_prints_exports_and_notes(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("PULUMI_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("PULUMI_HOME", nothing_chosen(tmp_path)["PULUMI_HOME"])
    assert workspace.main(["--stack", "dev", "--cwd", str(project)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"export PULUMI_BACKEND_URL={(project / STATE_DIR).as_uri()}",
        f"export PULUMI_CONFIG_PASSPHRASE_FILE={project / PASSPHRASE_FILE}",
    ]
    assert err.count("\n") == 2
    assert (project / PASSPHRASE_FILE).read_text() not in out + err


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


def test_a_committed_stack_file_gets_no_passphrase_of_this_machine(project: Path, tmp_path: Path) -> None:
    """A committed stack file is a shared stack: a passphrase made here would encrypt its secrets
    for this machine alone, and the commit would hand teammates secrets they cannot decrypt."""
    git(project, "init", "-q")
    (project / "Pulumi.staging.yaml").write_text("config:\n  dezky:domain: staging.dezky.example\n")
    git(project, "add", "-f", "Pulumi.staging.yaml")
    with pytest.raises(WorkspaceError) as raised:
        resolve(project, "staging", nothing_chosen(tmp_path))
    message = str(raised.value)
    assert message.startswith("Pulumi.staging.yaml is committed, so the stack is shared")
    assert PASSPHRASE_FILE in message and "PULUMI_CONFIG_PASSPHRASE_FILE" in message
    assert not (project / PASSPHRASE_FILE).exists()
    # the team's passphrase, put where docs/team.md says, is used
    (project / PASSPHRASE_FILE).write_text("the team's passphrase")
    (project / PASSPHRASE_FILE).chmod(0o600)
    assert resolve(project, "staging", nothing_chosen(tmp_path)).env["PULUMI_CONFIG_PASSPHRASE_FILE"] == str(
        project / PASSPHRASE_FILE
    )


def test_an_untracked_stack_file_gets_the_local_passphrase(project: Path, tmp_path: Path) -> None:
    git(project, "init", "-q")
    (project / "Pulumi.dev.yaml").write_text("config: {}\n")
    assert "PULUMI_CONFIG_PASSPHRASE_FILE" in resolve(project, "dev", nothing_chosen(tmp_path)).env
