"""scripts/certs.sh: the mkcert files Pulumi.dev.yaml names, made once and kept, or one line saying
what to install. mkcert is replaced by a fake on PATH that records its arguments and writes files."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOLS = ("bash", "env", "sed", "head", "tr", "dirname", "mkdir", "chmod", "cp", "cat", "printf")
"""What certs.sh and the fake mkcert run; PATH holds these and nothing else."""

FAKE_MKCERT = """#!/usr/bin/env bash
# Records its arguments; -CAROOT prints the fake CA folder; otherwise writes -cert-file and -key-file
# world-readable, so the test sees certs.sh restrict the key.
printf '%s\\n' "$*" >> "$MKCERT_LOG"
if [ "$1" = "-CAROOT" ]; then echo "$MKCERT_CAROOT"; exit 0; fi
while [ $# -gt 0 ]; do
  case "$1" in
    -cert-file) echo "certificate for $*" > "$2"; chmod 644 "$2"; shift 2 ;;
    -key-file) echo "PRIVATE KEY" > "$2"; chmod 644 "$2"; shift 2 ;;
    *) shift ;;
  esac
done
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project with just what certs.sh reads: itself and Pulumi.dev.yaml."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "certs.sh", root / "scripts" / "certs.sh")
    shutil.copy2(REPO / "Pulumi.dev.example.yaml", root / "Pulumi.dev.yaml")  # as setup.sh makes it
    return root


def tool_path(folder: Path, *, with_mkcert: bool) -> str:
    """A PATH of links to `TOOLS`, plus the fake mkcert when asked: no other mkcert can be found."""
    folder.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found is not None, f"{tool} is needed to run certs.sh"
        (folder / tool).symlink_to(found)
    if with_mkcert:
        (folder / "mkcert").write_text(FAKE_MKCERT)
        (folder / "mkcert").chmod(0o755)
    return str(folder)


def run_certs(project: Path, path: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    caroot = tmp_path / "caroot"
    caroot.mkdir(exist_ok=True)
    (caroot / "rootCA.pem").write_text("ROOT CA CERTIFICATE\n")
    env = {"PATH": path, "MKCERT_LOG": str(tmp_path / "mkcert.log"), "MKCERT_CAROOT": str(caroot)}
    return subprocess.run(
        ["bash", str(project / "scripts" / "certs.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_makes_the_files_the_dev_stack_names_for_both_wildcards(project: Path, tmp_path: Path) -> None:
    result = run_certs(project, tool_path(tmp_path / "bin", with_mkcert=True), tmp_path)
    assert result.returncode == 0, result.stderr
    certs = project / "certs"
    assert sorted(p.name for p in certs.iterdir()) == ["dezky.local-key.pem", "dezky.local.pem", "rootCA.pem"]
    assert (tmp_path / "mkcert.log").read_text().splitlines() == [
        "-cert-file certs/dezky.local.pem -key-file certs/dezky.local-key.pem "
        "*.dezky.local *.auth.dezky.local",
        "-CAROOT",
    ]
    assert mode(certs / "dezky.local-key.pem") == 0o600
    assert (certs / "rootCA.pem").read_text() == "ROOT CA CERTIFICATE\n"
    assert "PRIVATE KEY" not in result.stdout + result.stderr


def test_a_second_run_keeps_every_file(project: Path, tmp_path: Path) -> None:
    path = tool_path(tmp_path / "bin", with_mkcert=True)
    assert run_certs(project, path, tmp_path).returncode == 0
    certs = project / "certs"
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in certs.iterdir()}
    (tmp_path / "mkcert.log").unlink()
    second = run_certs(project, path, tmp_path)
    assert second.returncode == 0, second.stderr
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in certs.iterdir()} == before
    assert not (tmp_path / "mkcert.log").exists(), "mkcert is not called when every file exists"
    assert second.stdout.splitlines() == [
        "certs: keeping certs/dezky.local.pem and certs/dezky.local-key.pem",
        "certs: keeping certs/rootCA.pem",
    ]
    assert mode(certs / "dezky.local-key.pem") == 0o600


def test_a_certificate_without_its_key_is_made_again(project: Path, tmp_path: Path) -> None:
    path = tool_path(tmp_path / "bin", with_mkcert=True)
    assert run_certs(project, path, tmp_path).returncode == 0
    (project / "certs" / "dezky.local-key.pem").unlink()
    assert run_certs(project, path, tmp_path).returncode == 0
    assert mode(project / "certs" / "dezky.local-key.pem") == 0o600
    assert (tmp_path / "mkcert.log").read_text().count("-cert-file") == 2


def test_without_mkcert_one_line_says_what_to_install(project: Path, tmp_path: Path) -> None:
    result = run_certs(project, tool_path(tmp_path / "bin", with_mkcert=False), tmp_path)
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr == (
        "certs: mkcert is not installed; install it (https://github.com/FiloSottile/mkcert#installation) "
        "and run scripts/certs.sh again\n"
    )
    assert not (project / "certs").exists()
