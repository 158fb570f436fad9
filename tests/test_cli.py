"""The command line's own behaviour: help on stdout with status 0, a clear line for what it does not know."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dezky_infra import __version__
from dezky_infra.cli import COMMANDS, main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dezky_infra", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
def test_help_goes_to_stdout_with_status_0(flag: str) -> None:
    done = run(flag)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("`dezky-infra <command>`")
    for command in COMMANDS:
        assert f"  {command} " in done.stdout


def test_an_unknown_command_is_named_with_the_ones_there_are() -> None:
    done = run("deploy")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "dezky-infra: unknown command 'deploy'; the commands are env, verify, review, workspace "
        "(--help says more)\n"
    )


def test_no_command_says_so() -> None:
    done = run()
    assert done.returncode == 2
    assert done.stderr.startswith("dezky-infra: no command given; the commands are env")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"dezky-infra {__version__}\n"


def test_a_command_whose_extra_is_missing_says_which_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "jwt", None)  # as if PyJWT were not installed
    for name in [m for m in sys.modules if m.startswith("dezky_infra.cli.verify")]:
        monkeypatch.delitem(sys.modules, name)
    assert main(["verify", "--stack", "dev"]) == 2
    assert capsys.readouterr().err == (
        "dezky-infra: `verify` needs the `verify` extra: pip install 'dezky-infra[verify]'\n"
    )
