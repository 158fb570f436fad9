"""scripts/certs.sh on a fresh clone, before scripts/setup.sh made the developer's Pulumi.dev.yaml:
docs/setup.md runs it before the first `up`, so it reads the committed template instead."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.test_certs_script import REPO, run_certs, tool_path


def test_a_fresh_clone_reads_the_names_from_the_template(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "certs.sh", project / "scripts" / "certs.sh")
    shutil.copy2(REPO / "Pulumi.dev.example.yaml", project / "Pulumi.dev.example.yaml")
    result = run_certs(project, tool_path(tmp_path / "bin", with_mkcert=True), tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (project / "certs").iterdir()) == [
        "dezky.local-key.pem",
        "dezky.local.pem",
        "rootCA.pem",
    ]
    assert not (project / "Pulumi.dev.yaml").exists()  # making it is setup.sh's business
