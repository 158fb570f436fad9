"""A stack made by the last landed release keeps working with the current code.

The stack is brought up by that release's code (a checkout of its commit, against authentik 2025.10,
the release it knew), then the current code previews it (no change), refreshes it (no change), updates
it (nothing to do) and destroys it. State records where each dynamic provider's code lives and the
inputs that release declared (a group's one ``parent``, now ``parents``); moving modules or renaming an
input must not break any of it.
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

PREVIOUS_RELEASE = "988e87bafcd7f6e8966aae12a50bd983890e492c"
"""The last release that landed (stop 17) before the library layout, the versions table and ``parents``."""
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


def test_a_stack_made_by_the_previous_release_survives_preview_refresh_up_and_destroy(
    tmp_path: Path, target: Target
) -> None:
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
        # the one change a refresh makes: the groups' `parent` (none) is read back as `parents: []`, the
        # input's new name; authentik's objects are untouched, and a second refresh finds nothing
        assert changes(project.refresh().summary.resource_changes) == {"update": 2}
        assert changes(project.refresh().summary.resource_changes) == {}
        assert changes(project.preview().change_summary) == {}
        assert changes(project.up().summary.resource_changes) == {}
        destroyed = project.destroy()  # by the current code, from the old release's state
        assert changes(destroyed.summary.resource_changes) == {"delete": 12}
    finally:
        project.destroy()
        if target.server is not None:
            assert_contract_kept(target.server)
