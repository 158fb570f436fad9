"""The documented stack-move and recovery command blocks, run verbatim in a fresh shell.

Each block is found by its first line (a ``#`` comment) in README.md or a page of docs/ (today
docs/team.md and docs/recovery.md), wherever it moves. The shell starts as a new terminal would: no
pulumi on PATH, an empty PULUMI_HOME, no backend or passphrase variables, no terminal on stdin; the
block sets itself up. The stack is the dev stack of a clone with the docker layer off, against the
local authentik-compatible server behind a proxy that can hold answers (so a kill lands mid-create).
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dezky_infra.cli.workspace import resolve
from tests.authentik_server import AuthentikServer
from tests.engine.harness import REPO, require_cli
from tests.faults.support import SubPathProxy, kill_engine, wait_for
from tests.test_init_stack import new_user

MOVE = "# move the dev stack from the local backend to the team's"
RECOVER = "# recover the dev stack after a run died half way"
PASSWORD = "Bq7Wx2Lm9Rt4Zp8Kd3Hs"
TENANTS = tuple(f"t{i:02d}" for i in range(12))
GROUPS_ROUTE = "/api/v3/core/groups/"


DOCUMENTS = (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")))
"""Where the documented blocks may stand."""


def block(first_line: str) -> str:
    """The one ``sh`` block that starts with ``first_line``, in README.md or docs/*.md."""
    found = [
        match[1]
        for document in DOCUMENTS
        for match in re.finditer(r"^```sh\n(.*?)^```$", document.read_text(), re.MULTILINE | re.DOTALL)
        if match[1].startswith(first_line + "\n")
    ]
    assert len(found) == 1, f"{len(found)} sh blocks start with {first_line!r} in README.md and docs/*.md"
    return found[0]


def test_each_block_is_documented_once() -> None:
    assert block(MOVE).splitlines()[-1] == "rm dev.checkpoint.json"
    assert block(RECOVER).splitlines()[-1].startswith("pulumi up ")


@dataclass
class DevStack:
    project: Path
    env: dict[str, str]
    """A fresh shell's environment: nothing of Pulumi's, no pulumi on PATH."""
    server: AuthentikServer
    proxy: SubPathProxy

    def shell(self, script: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``script`` in a new bash that stops at the first failing command."""
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script],
            cwd=self.project,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if check:
            assert result.returncode == 0, (
                f"{script}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def pulumi(self, *args: str) -> str:
        """pulumi in the stack's own workspace (the local default backend and passphrase)."""
        setup = '. scripts/setup.sh && eval "$(python -m dezky_infra workspace --stack dev)"\n'
        return self.shell(setup + " ".join(["pulumi", *args, "--stack", "dev", "--non-interactive"])).stdout

    def groups(self) -> Counter[str]:
        with self.server.db.lock:
            return Counter(group.name for group in self.server.db.groups.values())


@pytest.fixture
def dev_stack(tmp_path: Path) -> Iterator[DevStack]:
    project, env = new_user(tmp_path)
    server = AuthentikServer(bootstrap_token=None, akadmin_password=PASSWORD).start()
    proxy = SubPathProxy(server.url, "/ak")
    stack = DevStack(project, env, server, proxy)
    tenants = "\n".join(
        f"pulumi config set --path 'tenants[{i}].slug' {slug}" for i, slug in enumerate(TENANTS)
    )
    stack.shell(
        f"""bash scripts/init-stack.sh dev
. scripts/setup.sh && eval "$(python -m dezky_infra workspace --stack dev)"
pulumi stack select dev
pulumi config set dockerEnabled false
pulumi config set authentikUrl {proxy.url}
pulumi config set authentikPublicUrl {proxy.url}
pulumi config set authentikRetryDeadlineSeconds 10
pulumi config rm authentikCaBundle
printf %s {PASSWORD} | pulumi config set --secret authentikBootstrapPassword
{tenants}
"""
    )
    try:
        yield stack
    finally:
        proxy.close()
        server.stop()


def test_the_recovery_block_recovers_a_killed_up(dev_stack: DevStack) -> None:
    # a pulumi up killed while authentik's answers to committed group creates are held back
    workspace = resolve(dev_stack.project, "dev", dev_stack.env, create=False).env
    bin_dir = Path(require_cli()).parent
    up_env = {**dev_stack.env, **workspace}
    up_env["PATH"] = f"{bin_dir}:{dev_stack.project / '.venv' / 'bin'}:{up_env['PATH']}"
    dev_stack.proxy.slow_answers(f"POST {GROUPS_ROUTE}", 3.0)
    engine = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--stack", "dev", "--non-interactive"],
        cwd=dev_stack.project,
        env=up_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    committed = lambda: sum(  # noqa: E731
        1 for m, p, s in dev_stack.proxy.committed if m == "POST" and p == GROUPS_ROUTE and s == 201
    )
    wait_for(lambda: committed() >= 3, 120, "three committed group creates")
    kill_engine(engine)
    dev_stack.proxy.slow_answers(f"POST {GROUPS_ROUTE}", 0.0)
    # docs/recovery.md's step for "failed to load checkpoint: EOF", when the kill left an empty sidecar
    subprocess.run(
        ["find", ".pulumi-local/state", "-name", "*.json.attrs", "-empty", "-delete"],
        cwd=dev_stack.project,
        check=True,
    )
    assert (
        "locked"
        in dev_stack.shell(
            '. scripts/setup.sh && eval "$(python -m dezky_infra workspace --stack dev)"\n'
            "pulumi up --yes --stack dev --non-interactive",
            check=False,
        ).stderr
    )

    recovered = dev_stack.shell(block(RECOVER))
    assert "PULUMI_ACCESS_TOKEN" not in recovered.stderr
    deployment = json.loads(dev_stack.pulumi("stack", "export"))["deployment"]
    assert not deployment.get("pending_operations")
    groups = dev_stack.groups()
    assert all(groups[f"tenant-{slug}"] == 1 for slug in TENANTS), groups  # each once: no duplicate
    assert set(json.loads(dev_stack.pulumi("stack", "output", "tenant_groups", "--json"))) == {
        g.pk for g in dev_stack.server.db.groups.values() if g.name.startswith("tenant-")
    }
    dev_stack.pulumi("preview", "--expect-no-changes")


def test_the_move_block_moves_the_stack_with_a_private_export(dev_stack: DevStack, tmp_path: Path) -> None:
    dev_stack.pulumi("up", "--yes", "--skip-preview")
    team = tmp_path / "team-state"
    team.mkdir()
    lines = block(MOVE).splitlines()
    login = next(i for i, line in enumerate(lines) if line.startswith("pulumi login "))
    lines[login] = f"pulumi login {team.as_uri()}"  # a second file backend stands in for the bucket
    assert lines[-1] == "rm dev.checkpoint.json"
    # the block up to its last line, then a look at the export it is about to remove
    moved = dev_stack.shell("\n".join(lines[:-1]) + "\nstat -c %a dev.checkpoint.json\n")
    checkpoint = dev_stack.project / "dev.checkpoint.json"
    assert moved.stdout.splitlines()[-1] == "600"
    assert stat.S_IMODE(checkpoint.stat().st_mode) == 0o600
    assert PASSWORD in checkpoint.read_text()  # plain text: hence 0600 and the rm
    dev_stack.shell(lines[-1])
    assert not checkpoint.exists()
    # the stack now lives in the team's backend, and the local record is gone
    assert list(team.rglob("dev.json"))
    assert not list((dev_stack.project / ".pulumi-local" / "state").rglob("dev.json"))
    assert (
        subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", "dev.checkpoint.json"], cwd=REPO, check=False
        ).returncode
        == 0
    )
