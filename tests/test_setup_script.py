"""``. scripts/setup.sh`` in the user's own shell: PATH set up, nothing else of that shell changed.

docs/setup.md says to source it. It used to run ``set -euo pipefail`` in the sourcing shell, so the next
failing command closed an interactive shell. Here it runs in a copy of the scripts with a fake venv
(the requirements stamp already matching, so no pip) and a fake pulumi of the pinned version on PATH
(so scripts/install-pulumi.sh takes it as it is and builds nothing); a fake ``go`` that fails makes the
setup fail where a test needs that.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.engine.harness import REPO

HELPERS = ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python")
PINNED = next(
    line.split("=", 1)[1]
    for line in (REPO / "scripts" / "install-pulumi.sh").read_text().splitlines()
    if line.startswith("PULUMI_VERSION=")
)
# A shell's options, to compare before and after sourcing: $- has errexit (e) and nounset (u).
OPTIONS = 'local p=off; shopt -qo pipefail && p=on; echo "$1 flags=$- pipefail=$p"'


def executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{text}\n")
    path.chmod(0o755)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files setup.sh reads, a venv whose requirements are installed (a fake), a fake pulumi."""
    root = tmp_path / "repo"
    for name in (
        "scripts/setup.sh",
        "scripts/install-pulumi.sh",
        "requirements.txt",
        "requirements-dev.txt",
        "requirements-contracts.txt",
        "Pulumi.dev.example.yaml",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "tools", root / "tools")
    executable(root / ".venv" / "bin" / "python", "exit 0")
    requirements = (root / "requirements.txt").read_bytes() + (root / "requirements-dev.txt").read_bytes()
    (root / ".venv" / ".requirements.sha256").write_text(hashlib.sha256(requirements).hexdigest() + "\n")
    for line in (root / "requirements-contracts.txt").read_text().splitlines():  # installed already
        if line.startswith("authentik-client=="):
            release = line.split("==", 1)[1]
            (root / ".venv" / "contracts" / f"authentik-client-{release}" / "authentik_client").mkdir(
                parents=True
            )
    executable(tmp_path / "cli" / "pulumi", f'[ "$1" = version ] && echo v{PINNED}')
    for helper in HELPERS:
        executable(tmp_path / "cli" / helper, "exit 0")
    executable(tmp_path / "fake-go" / "go", "exit 1")
    return root


def shell(checkout: Path, script: str, *, works: bool = True, interactive: bool = False) -> str:
    """Run ``script`` in a bash in the checkout (``works=False``: no pulumi, so the setup fails)."""
    tmp = checkout.parent
    path = [str(tmp / "fake-go"), "/usr/bin", "/bin"]
    if works:
        path.insert(0, str(tmp / "cli"))
    env = {"PATH": ":".join(path), "HOME": str(tmp), "DEZKY_PULUMI_HOME": str(tmp / "cache")}
    prelude = f"o() {{ {OPTIONS}; }}\n"
    if interactive:  # commands from an rc file, as typed at the prompt; EOF on stdin then ends it
        rc = tmp / "rc.sh"
        rc.write_text(prelude + script)
        argv = ["bash", "--noprofile", "--rcfile", str(rc), "-i"]
    else:
        argv = ["bash", "--noprofile", "--norc", "-c", prelude + script]
    result = subprocess.run(
        argv,
        cwd=checkout,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout


def options_line(output: str, label: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(label + " "))[len(label) :]


def test_sourcing_in_an_interactive_shell_keeps_it_open(checkout: Path) -> None:
    out = shell(checkout, "o before\n. scripts/setup.sh\no after\nfalse\necho still-open\n", interactive=True)
    assert options_line(out, "after") == options_line(out, "before")
    assert "e" not in options_line(out, "after").split()[0]
    assert out.splitlines()[-1] == "still-open"


@pytest.mark.parametrize("caller", ["", "set -euo pipefail", "set -u"])
def test_sourcing_changes_no_option_of_the_caller(checkout: Path, caller: str) -> None:
    out = shell(
        checkout,
        f"{caller}\no before\n. scripts/setup.sh\necho status=$?\no after\n"
        'echo "path=$PATH skip=$PULUMI_SKIP_UPDATE_CHECK"\n',
    )
    assert "status=0" in out
    assert options_line(out, "after") == options_line(out, "before")
    assert f"path={checkout.parent / 'cli'}:{checkout / '.venv' / 'bin'}:" in out and "skip=true" in out
    # the setup's own variables stay out of the caller's shell
    leaked = shell(checkout, '. scripts/setup.sh\necho "[${here-}${python-}${stamp-}${pulumi_bin-}]"\n')
    assert leaked == "[]\n"


def test_a_failing_setup_returns_1_and_changes_nothing(checkout: Path) -> None:
    out = shell(
        checkout,
        "o before\n. scripts/setup.sh\necho status=$?\no after\n"
        'echo "path=$PATH skip=${PULUMI_SKIP_UPDATE_CHECK-unset}"\nfalse\necho still-open\n',
        works=False,
    )
    assert "status=1" in out
    assert options_line(out, "after") == options_line(out, "before")
    assert f"path={checkout.parent / 'fake-go'}:/usr/bin:/bin skip=unset" in out
    assert out.splitlines()[-1] == "still-open"


def test_a_failing_setup_stops_a_script_with_errexit(checkout: Path) -> None:
    """What scripts/*.sh do: `set -euo pipefail`, then `. scripts/setup.sh >/dev/null`."""
    out = shell(checkout, "set -euo pipefail\n. scripts/setup.sh >/dev/null\necho went-on\n", works=False)
    assert "went-on" not in out
    assert shell(checkout, "set -euo pipefail\n. scripts/setup.sh >/dev/null\necho went-on\n") == "went-on\n"


def test_the_setup_stops_at_its_own_first_error(checkout: Path) -> None:
    """Its own `set -e` still holds inside: a failing step ends it before the exports."""
    (checkout / ".venv" / ".requirements.sha256").write_text("stale\n")
    executable(checkout / ".venv" / "bin" / "pip", "exit 3")  # the reinstall fails
    out = shell(checkout, "bash scripts/setup.sh\necho status=$?\n")
    assert out == "status=3\n"  # no export line, and install-pulumi was never reached
    assert (checkout / ".venv" / ".requirements.sha256").read_text() == "stale\n"


def test_running_it_prints_exports_for_eval(checkout: Path) -> None:
    out = shell(checkout, 'eval "$(bash scripts/setup.sh)"\necho "pulumi=$(command -v pulumi)"\n')
    assert out == f"pulumi={checkout.parent / 'cli' / 'pulumi'}\n"


def test_it_makes_the_developers_stack_file_once_from_the_template(checkout: Path) -> None:
    template = (checkout / "Pulumi.dev.example.yaml").read_text()
    assert shell(checkout, ". scripts/setup.sh\necho status=$?\n") == "status=0\n"
    stack_file = checkout / "Pulumi.dev.yaml"
    assert stack_file.read_text() == template
    assert stack_file.stat().st_mode & 0o777 == 0o644
    stack_file.write_text(template + "encryptionsalt: v1:mine\n")  # init-stack's secrets, say
    assert shell(checkout, ". scripts/setup.sh\necho status=$?\n") == "status=0\n"
    assert stack_file.read_text() == template + "encryptionsalt: v1:mine\n"
    assert sorted(p.name for p in checkout.glob("Pulumi.*")) == ["Pulumi.dev.example.yaml", "Pulumi.dev.yaml"]
