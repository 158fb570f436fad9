"""The benchmark harness: its pieces, then one real run at its smallest size.

The real run (one tenant, one repetition, the flat profile) drives the real engine (our program and
the fair floor) and the scripted route against the local authentik server, and checks that the
table, results.json and the PNG come out and agree with what the server saw, that ``verify`` was timed
and that the fair floor's state carries what ours carries. The numbers themselves are not judged here.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any, cast

import pulumi
import pytest

from bench.authentik_kit import AuthentikKit, Registration, registration
from bench.cli import main
from bench.noop import STAND_INS
from bench.profiles import MEASURED, PROFILES, measured_profile, route_of
from bench.project import CLI_PREVIEW, CLI_UP, OPERATIONS, WIPED_UP
from bench.report import resources, state_differences
from bench.tenants import tenants
from dezky_infra.authentik.provider.base import AuthentikResourceProvider


def test_the_real_profile_is_the_measurement_per_route_with_its_runs() -> None:
    recorded = json.loads(MEASURED.read_text())
    real = measured_profile()
    assert real == PROFILES["real"]
    assert real.source is not None
    assert real.source["date"] == recorded["machine"]["started_utc"]
    assert real.source["file"] in real.description and real.source["date"] in real.description
    for call in recorded["calls"]:
        runs = real.per_route[route_of(call)]
        assert {ms / 1000 for ms in call["runs_ms"]} <= set(runs)
    assert statistics.median(real.per_route["GET /api/v3/core/applications/*/"]) == pytest.approx(0.469)
    assert route_of(recorded["calls"][0]) == "GET /api/v3/flows/instances/"
    for route in (
        "GET /api/v3/providers/oauth2/{id}/",
        "POST /api/v3/core/tokens/dezky-bootstrap-token/set_key/",
        "GET /application/o/{id}/jwks/",
    ):
        assert real.measured(route), route
    assert not real.measured("GET /-/health/ready/")
    assert real.default_seconds == min(statistics.median(runs) for runs in real.per_route.values())
    assert PROFILES["flat"].default_seconds == 0.005 and not PROFILES["flat"].per_route


class _Recording(AuthentikKit):
    """Our kit, recording what each real resource would register instead of declaring it."""

    make = staticmethod(registration)


def registered() -> dict[str, Registration]:
    """What our kit's resources for one tenant register, by resource name."""
    kit, tenant, opts = _Recording("http://authentik"), tenants(1)[0], pulumi.ResourceOptions()
    made: list[Any] = [
        kit.ready(),
        kit.token("k" * 40, opts),
        kit.group(tenant, opts),
        kit.provider(tenant, opts),
        kit.application(tenant, 1, opts),
    ]
    return {one.name: one for one in cast(list[Registration], made)}


def test_the_stand_ins_give_exactly_our_resources_outputs_and_secrets() -> None:
    found = registered()
    for real in found.values():
        provider = cast(AuthentikResourceProvider[Any], real.provider)
        outputs = set(real.props) - set(provider.spec_type.model_fields)
        assert set(STAND_INS[provider.kind]({"scopes": [], "public_url": "", "slug": ""})) == outputs
    token, oauth2 = found["platform-api-token"], found["t000-provider"]
    assert isinstance(token.props["key"], pulumi.Output)  # a secret input, which the floor registers too
    assert token.opts is not None and token.opts.additional_secret_outputs == ["key"]
    assert oauth2.opts is not None and oauth2.opts.additional_secret_outputs == ["client_secret"]


def _samples(results: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s["route"], s["op"]): s for s in results["samples"]}


def test_quickest_run_prints_the_table_and_writes_json_and_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quickest = ["--tenants", "1", "--reps", "1", "--profiles", "flat", "--import-runs", "1"]
    assert main([*quickest, "--out", str(tmp_path)]) == 0

    printed = capsys.readouterr().out
    assert "ours/floor" in printed and "targets:" in printed
    assert "same outputs, secrets and inputs" in printed
    results = json.loads((tmp_path / "results.json").read_text())
    assert (tmp_path / "time_vs_tenants.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    samples = _samples(results)
    for op in OPERATIONS:
        assert samples[("ours", op)]["seconds"] > 0 and samples[("ours", op)]["error"] is None
        if op not in ("env", "verify"):
            floor = samples[("floor", op)]
            assert (floor["reads"], floor["writes"]) == (0, 0)
    stack_and_resources = resources(1) + 1
    for route in ("ours", "floor"):  # what a user types, then the Automation API's from nothing again
        assert samples[(route, CLI_UP)]["changes"] == {"create": stack_and_resources}
        assert samples[(route, CLI_PREVIEW)]["changes"] == {}
    assert (samples[("ours", CLI_PREVIEW)]["reads"], samples[("ours", CLI_PREVIEW)]["writes"]) == (0, 0)
    assert samples[("ours", "fresh up")]["changes"] == {"create": stack_and_resources}
    assert samples[("floor", "fresh up")]["changes"] == {"create": stack_and_resources}
    assert samples[("ours", "destroy")]["changes"] == {"delete": stack_and_resources}
    preview = samples[("ours", "no-op preview")]
    assert (preview["reads"], preview["writes"], preview["changes"]) == (0, 0, {})
    # after the wipe everything but the readiness step is made again, by ours and by the floor alike
    assert samples[("ours", WIPED_UP)]["changes"] == samples[("floor", WIPED_UP)]["changes"] == {"create": 4}
    assert samples[("ours", WIPED_UP)]["calls"]["POST /api/v3/core/tokens/"] == 1
    verify = samples[("ours", "verify")]
    assert verify["calls"]["POST /application/o/token/"] == 2  # the login's exchange and the wrong secret
    assert verify["calls"]["GET /application/o/{id}/.well-known/openid-configuration"] == 1
    ours_state, floor_state = samples[("ours", "fresh up")]["state"], samples[("floor", "fresh up")]["state"]
    for name, real in registered().items():  # the floor's state inputs: exactly what ours register
        given = {prop for prop, value in real.props.items() if value is not None}
        assert set(floor_state["resources"][name]["inputs"]) == given | {"__provider"}, name
    mismatches, normalised = state_differences(ours_state, floor_state)
    assert mismatches == [] and "t000-provider.scopes" in normalised
    scripted = samples[("scripted", "create all (scripted)")]
    assert (scripted["reads"], scripted["writes"]) == (5, 3)
    assert sum(scripted["calls"].values()) == 8
    assert results["imports"]["wall_import_s"] > 0
    assert {t["name"] for t in results["targets"]} >= {
        "no-op preview makes zero authentik calls",
        f"[flat] {CLI_UP} <= 1.3x the fair floor's at N=1",
    }
    (breakdown,) = results["breakdowns"]
    assert breakdown["title"] in printed and "none of ours" in printed
    spans = breakdown["spans"]
    assert len([s for s in spans if s["kind"] == "program"]) == 2  # the preview's run and the update's
    assert len([s for s in spans if s["label"] == "start and imports"]) == 2  # a provider host each
    created = sorted(s["label"].split()[1] for s in spans if s["label"].startswith("Create "))
    assert created == ["ApiToken", "Application", "Group", "OAuth2Provider", "Ready"], created
    assert all(0 <= s["start"] <= s["end"] <= breakdown["cli_seconds"] for s in spans)
    assert 0 < breakdown["authentik_busy_seconds"] < breakdown["cli_seconds"]
    assert "  at best: the fair floor's " in printed  # its own fresh `pulumi up --yes` ran beside
    assert {s["label"] for s in spans if s["kind"] == "authentik"} >= {"POST /api/v3/providers/oauth2/"}
