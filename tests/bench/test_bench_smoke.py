"""The benchmark harness end to end at its smallest size: one tenant, one repetition, one profile.

It runs the real engine (our program, the engine floor) and the scripted route against the local
authentik server, and checks that the table, results.json and the PNG come out and agree with what
the server saw. The numbers themselves are not judged here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from bench.project import OPERATIONS
from bench.report import resources


def test_quickest_run_prints_the_table_and_writes_json_and_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quickest = ["--tenants", "1", "--reps", "1", "--profiles", "flat", "--import-runs", "1"]
    assert main([*quickest, "--out", str(tmp_path)]) == 0

    printed = capsys.readouterr().out
    assert "ours/floor" in printed and "targets:" in printed
    results = json.loads((tmp_path / "results.json").read_text())
    assert (tmp_path / "time_vs_tenants.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    samples = {(s["route"], s["op"]): s for s in results["samples"]}
    for op in OPERATIONS:
        assert samples[("ours", op)]["seconds"] > 0 and samples[("ours", op)]["error"] is None
        floor = samples[("floor", op)]
        assert (floor["reads"], floor["writes"]) == (0, 0)
    stack_and_resources = resources(1) + 1
    assert samples[("ours", "fresh up")]["changes"] == {"create": stack_and_resources}
    assert samples[("ours", "destroy")]["changes"] == {"delete": stack_and_resources}
    preview = samples[("ours", "no-op preview")]
    assert (preview["reads"], preview["writes"], preview["changes"]) == (0, 0, {})
    scripted = samples[("scripted", "create all (scripted)")]
    assert (scripted["reads"], scripted["writes"]) == (5, 3)
    assert sum(scripted["calls"].values()) == 8
    assert results["imports"]["wall_import_s"] > 0
    assert {t["name"] for t in results["targets"]} >= {"no-op preview makes zero authentik calls"}
