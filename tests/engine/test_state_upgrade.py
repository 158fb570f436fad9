"""State written by the release before "one declaration per resource" still reads without a diff.

The stack is brought up by that release's code (a checkout of its commit), then the current code
previews it: no change, and a refresh shows none either. This is the guarantee a refactoring of the
resource declarations must keep (issue: "behaviour stays the same").
"""

from __future__ import annotations

import subprocess
import tarfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest

from tests.conftest import assert_contract_kept
from tests.engine.harness import REPO, EngineProject, changes
from tests.engine.stacks import configure_stack
from tests.target import Target, module_target, target_versions

PREVIOUS_RELEASE = "6885cf791707b44d803f88f67e0f6dabdc120684"
"""The last commit before the resources' fields were declared once (by their specs)."""
TOKEN = "state-upgrade-platform-api-token-3b5d7f9a1c"
PASSWORD = "state-upgrade-akadmin-password-8e"


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    yield from module_target(bootstrap_token=None, password=PASSWORD, version=target_versions()[0])


def checkout(commit: str, into: Path) -> Path:
    """The repository's files at ``commit`` (``git archive``), without touching the working tree."""
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # Python < 3.11.4 (Debian 12's 3.11.2) has no filters; this is our own repository's archive
            tar.extractall(into)  # noqa: S202
    return into


def test_a_stack_made_by_the_previous_release_previews_no_change(tmp_path: Path, target: Target) -> None:
    previous = checkout(PREVIOUS_RELEASE, tmp_path / "previous")
    project = EngineProject(tmp_path / "stack", program=previous / "__main__.py", code=previous)
    configure_stack(project, target, TOKEN, [{"slug": "acme"}, {"slug": "globex"}])
    project.set_object(
        "oidcClients", {"stalwart": {"name": "Mail", "redirect_uris": ["https://mail.{domain}/cb"]}}
    )
    try:
        assert changes(project.up().summary.resource_changes) == {"create": 12}
        project.env["PYTHONPATH"] = str(REPO)  # from here on, the current code
        project.stack.workspace.env_vars["PYTHONPATH"] = str(REPO)
        (project.work_dir / "__main__.py").write_text((REPO / "__main__.py").read_text())
        assert changes(project.preview(diff=True).change_summary) == {}
        assert changes(project.refresh().summary.resource_changes) == {}
        assert changes(project.preview().change_summary) == {}
    finally:
        project.destroy()
        if target.server is not None:
            assert_contract_kept(target.server)
