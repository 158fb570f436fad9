"""dezky-infra as a library another Pulumi program installs: build the wheel, install it into a fresh
virtualenv (no checkout on the path), and run a program of its own through the real engine against the
local authentik server, connected by environment variables alone (``AUTHENTIK_URL``, ``AUTHENTIK_TOKEN``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.authentik_server import AuthentikServer
from tests.engine.harness import REPO, require_cli

TOKEN = "package-test-token-6d0c8e1f2a3b4c5d"
SOURCES = ("dezky_infra", "pyproject.toml", "README.md")
"""What the wheel is built from (copied, so the build leaves nothing in the checkout)."""
PROGRAM = """\
import pulumi

from dezky_infra.authentik import Application, Group, OAuth2Provider

provider = OAuth2Provider(
    "grafana", name="lib-grafana", redirect_uris=[{"url": "https://grafana.example.com/login"}]
)
app = Application(
    "grafana-app",
    name="Grafana",
    slug="lib-grafana",
    provider=provider.pk,
    public_url="https://auth.example.com",
)
ops = Group("ops", name="lib-ops", attributes={"team": "ops"})
pulumi.export("client_id", provider.client_id)
pulumi.export("client_secret", provider.client_secret)
pulumi.export("issuer", app.issuer)
"""


def run(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; on failure the test fails with its output."""
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd, env=env)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources."""
    root = tmp_path_factory.mktemp("package")
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, source / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w", str(root / "dist")])
    (built,) = (root / "dist").glob("dezky_infra-*.whl")
    return built


@pytest.fixture(scope="module")
def environment(wheel: Path) -> Path:
    """A fresh virtualenv with the wheel installed (its dependencies at the tested lock's versions)."""
    target = wheel.parent.parent / "venv"
    venv.create(target, with_pip=True)
    pins = [line for line in (REPO / "requirements.txt").read_text().splitlines() if "==" in line]
    constraints = wheel.parent / "constraints.txt"  # pip takes no extras in a constraint
    constraints.write_text("\n".join(re.sub(r"\[.*?\]", "", pin) for pin in pins) + "\n")
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    run([*pip, str(wheel), "-c", str(constraints)])
    return target


def test_the_wheel_holds_the_package_only_and_says_it_is_typed(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"dezky_infra", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "dezky_infra/py.typed" in names
    assert "dezky_infra/authentik/api/client.py" in names
    metadata = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-py3')[0]}.dist-info/METADATA").decode()
    assert "Provides-Extra: docker" in metadata and "Provides-Extra: verify" in metadata
    requirements = [line.split(";")[0] for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requirements and not [requirement for requirement in requirements if "==" in requirement]


def test_the_console_script_runs_from_the_fresh_environment(environment: Path) -> None:
    done = run([str(environment / "bin" / "dezky-infra"), "--help"], cwd=environment)
    assert done.stdout.startswith("`dezky-infra <command>`")
    missing = subprocess.run(
        [str(environment / "bin" / "dezky-infra"), "verify", "--stack", "dev"],
        capture_output=True,
        text=True,
        check=False,
        cwd=environment,
    )
    assert (missing.returncode, missing.stderr) == (
        2,
        "dezky-infra: `verify` needs the `verify` extra: pip install 'dezky-infra[verify]'\n",
    )


@pytest.fixture
def server(authentik_version: str) -> Iterator[AuthentikServer]:
    with AuthentikServer(bootstrap_token=TOKEN, version=authentik_version) as srv:
        yield srv


def test_another_program_uses_the_resources_connected_by_environment_variables(
    environment: Path, server: AuthentikServer, tmp_path: Path
) -> None:
    program = tmp_path / "program"
    program.mkdir()
    (program / "__main__.py").write_text(PROGRAM)
    (program / "Pulumi.yaml").write_text(
        f"name: sso\nruntime:\n  name: python\n  options:\n    virtualenv: {environment}\n"
    )
    (tmp_path / "state").mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "AUTHENTIK_", "PYTHON"))},
        "PATH": f"{Path(require_cli()).parent}:{os.environ['PATH']}",
        "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "AUTHENTIK_URL": server.url,
        "AUTHENTIK_TOKEN": TOKEN,
    }

    def pulumi(*args: str) -> str:
        return run(["pulumi", *args, "--stack", "dev", "--non-interactive"], cwd=program, env=env).stdout

    run(["pulumi", "stack", "init", "dev", "--non-interactive"], cwd=program, env=env)
    up = pulumi("up", "--yes")
    assert "4 created" in up, up  # the stack and its three resources
    assert TOKEN not in up
    outputs = json.loads(pulumi("stack", "output", "--json", "--show-secrets"))
    assert outputs["issuer"] == "https://auth.example.com/application/o/lib-grafana/"
    assert outputs["client_id"] and outputs["client_secret"]
    with server.db.lock:
        assert [g.name for g in server.db.groups.values() if g.name == "lib-ops"] == ["lib-ops"]
    state = pulumi("stack", "export")
    assert outputs["client_secret"] not in state and TOKEN not in state
    assert "dezky:" not in (program / "Pulumi.yaml").read_text()  # no stack config was needed
    pulumi("preview", "--expect-no-changes")  # fails the run (and the test) on any change
    pulumi("destroy", "--yes")
    with server.db.lock:
        assert not [g for g in server.db.groups.values() if g.name == "lib-ops"]
    assert not server.contract_violations and not server.errors
