"""Which pulumi ``scripts/install-pulumi.sh`` picks: a recent one on PATH as it is, else a build, said why.

The pulumi binaries here are small fakes that report a version; ``go`` is a fake that records that a
build was started and fails, so no test builds anything (CI's own setup exercises the real build: it
has no pulumi on PATH and an empty cache).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.engine.harness import REPO

SCRIPT = REPO / "scripts" / "install-pulumi.sh"
HELPERS = ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python")
MIN_VERSION = next(
    line.split("=", 1)[1] for line in SCRIPT.read_text().splitlines() if line.startswith("PULUMI_VERSION=")
)


def executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{text}\n")
    path.chmod(0o755)


def fake_pulumi(directory: Path, version: str, helpers: tuple[str, ...] = HELPERS) -> Path:
    executable(directory / "pulumi", f'[ "$1" = version ] && echo v{version}')
    for helper in helpers:
        executable(directory / helper, "exit 0")
    return directory


def run(tmp_path: Path, *path_dirs: Path) -> subprocess.CompletedProcess[str]:
    """The script with only ``path_dirs`` + a fake go + the basic tools on PATH, and an empty cache."""
    go_log = tmp_path / "go.log"
    executable(tmp_path / "fake-go" / "go", f'echo "$@" >> {go_log}; exit 1')
    path = ":".join([*(str(d) for d in path_dirs), str(tmp_path / "fake-go"), "/usr/bin", "/bin"])
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": path, "HOME": str(tmp_path), "DEZKY_PULUMI_HOME": str(tmp_path / "cache")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("version", [MIN_VERSION, "3.274.1", "4.0.0"])
def test_a_recent_pulumi_on_path_is_used_as_it_is(tmp_path: Path, version: str) -> None:
    installed = fake_pulumi(tmp_path / "official" / "bin", version)
    result = run(tmp_path, installed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == str(installed)
    assert result.stderr == f"install-pulumi: using pulumi v{version} found on PATH in {installed}\n"
    assert not (tmp_path / "go.log").exists()  # no build


def test_helpers_found_elsewhere_on_path_count(tmp_path: Path) -> None:
    cli = fake_pulumi(tmp_path / "cli", "3.280.0", helpers=())
    helpers = fake_pulumi(tmp_path / "helpers", "0.0.0")
    (helpers / "pulumi").unlink()
    assert run(tmp_path, cli, helpers).returncode == 0


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda d: None, "no pulumi on PATH"),
        (
            lambda d: fake_pulumi(d, "3.100.0"),
            f"pulumi v3.100.0 on PATH ({{dir}}) is older than the minimum v{MIN_VERSION}",
        ),
        (
            lambda d: fake_pulumi(d, "3.280.0", helpers=HELPERS[1:]),
            "pulumi v3.280.0 on PATH ({dir}) has no pulumi-language-python beside it or on PATH",
        ),
    ],
    ids=["none", "too-old", "no-language-host"],
)
def test_otherwise_it_builds_and_says_why_in_one_line(tmp_path: Path, setup: object, reason: str) -> None:
    directory = tmp_path / "bin"
    directory.mkdir()
    setup(directory)  # type: ignore[operator]
    result = run(tmp_path, directory)
    expected = reason.format(dir=directory)
    building = [line for line in result.stderr.splitlines() if "building pulumi" in line]
    assert building == [
        f"install-pulumi: building pulumi v{MIN_VERSION} from Go modules: {expected} (takes several minutes)"
    ]
    assert (tmp_path / "go.log").exists()  # the build started (the fake go then stops it)
    assert result.returncode != 0


def test_no_pulumi_and_no_go_names_both_ways_out(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        env={
            "PATH": f"{empty}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            "DEZKY_PULUMI_HOME": str(tmp_path / "c"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "install-pulumi: error: no pulumi on PATH, and no go command to build one: install Pulumi "
        "(https://www.pulumi.com/docs/install/) or Go\n"
    )


def test_a_changed_language_host_rebuilds_the_host_alone(tmp_path: Path) -> None:
    """The cached CLI is the pinned one and only tools/pulumi-language-python changed: one `go build`
    of the host (seconds), not the whole CLI (minutes), and then the cache is whole again."""
    bin_dir = fake_pulumi(tmp_path / "cache" / "bin", MIN_VERSION)
    (bin_dir / ".language-host.sha256").write_text("built from older sources\n")
    go_log = tmp_path / "go.log"
    # A go that records its arguments and writes what `go build -o FILE` would.
    executable(
        tmp_path / "fake-go" / "go",
        f'echo "$PWD: $*" >> {go_log}\n'
        'while [ $# -gt 0 ]; do [ "$1" = -o ] && printf "#!/bin/sh\\n" > "$2"; shift; done',
    )
    env = {
        "PATH": f"{tmp_path / 'fake-go'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DEZKY_PULUMI_HOME": str(tmp_path / "cache"),
    }

    def install() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    first = install()
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == str(bin_dir)
    assert (
        first.stderr
        == f"install-pulumi: rebuilding pulumi-language-python in {bin_dir}: its sources changed\n"
    )
    calls = go_log.read_text().splitlines()
    assert len(calls) == 1
    assert calls[0].startswith(f"{REPO / 'tools' / 'pulumi-language-python'}: build ")
    assert sorted(p.name for p in bin_dir.iterdir()) == sorted([".language-host.sha256", "pulumi", *HELPERS])
    second = install()
    assert second.stderr == f"install-pulumi: using cached pulumi v{MIN_VERSION} in {bin_dir}\n"
    assert len(go_log.read_text().splitlines()) == 1
