"""``python -m bench``: measure, print the side-by-side table with ratios, write JSON and a PNG."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import plot, report
from bench.breakdown import bound_text
from bench.imports import ImportTimes
from bench.profiles import PROFILES
from bench.project import CLI_UP
from bench.runner import Runner, Sample, Settings, samples_as_json
from tests.engine.harness import REPO, let_plugins_stop_when_asked

DEFAULT_OUT = REPO / "bench" / "out"


def _counts(text: str) -> tuple[int, ...]:
    counts = tuple(int(part) for part in text.split(",") if part.strip())
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("give tenant counts >= 1, comma-separated, e.g. 1,10,100")
    return counts


def _profiles(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in PROFILES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"profiles are {', '.join(PROFILES)}; got {text!r}")
    return names


def parse_args(argv: list[str] | None) -> tuple[Settings, Path, Path | None]:
    """The settings, the output directory and a results.json to re-report, from the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--tenants", type=_counts, default=(1, 10, 100), help="tenant counts (default 1,10,100)"
    )
    parser.add_argument(
        "--reps", type=int, default=3, help="repetitions per measurement; medians (default 3)"
    )
    parser.add_argument(
        "--profiles", type=_profiles, default=tuple(PROFILES), help="latency profiles: flat,real"
    )
    parser.add_argument(
        "--no-floor", action="store_true", help="skip the fair engine floor (no ratios to it)"
    )
    parser.add_argument(
        "--thin-floor",
        action="store_true",
        help="also run the thin floor (no-op resources with a few inputs: the first, unfair baseline)",
    )
    parser.add_argument(
        "--no-scripted", action="store_true", help="skip the scripted one-process-per-call route"
    )
    parser.add_argument("--scripted-reps", type=int, default=None, help="repetitions of the scripted route")
    parser.add_argument(
        "--import-runs", type=int, default=5, help="interpreters per import timing (default 5)"
    )
    parser.add_argument(
        "--no-bootstrap-token",
        action="store_true",
        help="start authentik without the API token (the first one is made through a password login)",
    )
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose dezky_infra is measured")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where results.json and the PNG go")
    parser.add_argument(
        "--report-only", type=Path, default=None, metavar="RESULTS_JSON", help="re-report a saved run"
    )
    args = parser.parse_args(argv)
    if args.reps < 1 or args.import_runs < 1:
        parser.error("--reps and --import-runs must be >= 1")
    settings = Settings(
        tenants=tuple(sorted(set(args.tenants))),
        reps=args.reps,
        profiles=args.profiles,
        code=args.code.resolve(),
        floor=not args.no_floor,
        thin_floor=args.thin_floor,
        scripted=not args.no_scripted,
        scripted_reps=args.scripted_reps,
        import_runs=args.import_runs,
        bootstrap_token=not args.no_bootstrap_token,
    )
    return settings, args.out, args.report_only


def _git(code: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(code), *args], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _meta(settings: Settings, started: float, load_before: tuple[float, ...]) -> dict[str, Any]:
    pulumi = subprocess.run(["pulumi", "version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_seconds": round(time.time() - started, 1),
        "code": str(settings.code),
        "git_head": _git(settings.code, "rev-parse", "--short", "HEAD"),
        "git_dirty": _git(settings.code, "status", "--short", "--", "dezky_infra").splitlines(),
        "pulumi": pulumi,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "settings": {**asdict(settings), "code": str(settings.code)},
        "profiles": {name: asdict(PROFILES[name]) for name in settings.profiles},
    }


def write_report(
    meta: dict[str, Any],
    imports: ImportTimes,
    samples: list[Sample],
    out: Path,
    breakdowns: list[dict[str, Any]],
) -> tuple[dict[str, Any], Path]:
    """Summarize ``samples`` into results.json and the PNG under ``out``; return the results."""
    cells = report.summarize(samples)
    profiles = [p for p in PROFILES if any(s.profile == p for s in samples)]
    counts = sorted({s.tenants for s in samples})
    out.mkdir(parents=True, exist_ok=True)
    png = plot.plot(cells, profiles, out / "time_vs_tenants.png")
    results = {
        "meta": meta,
        "imports": asdict(imports),
        "summary": report.cells_as_json(cells),
        "fits": report.fits(cells, profiles, counts),
        "targets": [asdict(t) for t in report.targets(cells, profiles, counts)],
        "samples": samples_as_json(samples),
        "breakdowns": breakdowns,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return results, png


def print_report(results: dict[str, Any], imports: ImportTimes, samples: list[Sample]) -> None:
    """The table, the provider start numbers and the targets on stdout."""
    cells = report.summarize(samples)
    profiles = [p for p in PROFILES if any(s.profile == p for s in samples)]
    counts = sorted({s.tenants for s in samples})
    load = results["meta"].get("load_average")
    if load:
        before, after = (" ".join(f"{x:.2f}" for x in load[when]) for when in ("before", "after"))
        print(f"load average (1/5/15 min): {before} before the run, {after} after")
    print(report.table(cells, profiles, counts))
    print("\nstate:\n" + report.state_text(cells, counts))
    print("\nauthentik calls by route (ours):\n" + report.calls_text(cells, profiles, counts))
    print(
        f"\nprovider start: -X importtime total {imports.importtime_total_s:.3f} s; "
        f"`python -c 'import dezky_infra.authentik'` {imports.wall_import_s:.3f} s "
        f"(bare interpreter {imports.wall_bare_s:.3f} s), median of {imports.runs}"
    )
    if imports.client_setup_s is not None:
        print(f"  one AuthentikClient (made per resource operation): {imports.client_setup_s * 1000:.1f} ms")
    heaviest = ", ".join(f"{name} {seconds:.3f}" for name, seconds in imports.heaviest.items())
    print(f"  import time by package [s]: {heaviest}")
    found = [report.Target(**t) for t in results["targets"]]
    print("\ntargets:\n" + report.targets_text(found))
    for found in results.get("breakdowns", []):
        print("\n" + found["text"])
        floor = cells.get(("floor", None, found.get("tenants", 0), CLI_UP))
        bound = bound_text(found, floor.seconds if floor else None)
        if bound:
            print(bound)
    for sample in samples:
        if sample.error:
            where = f"{sample.route} {sample.profile} N={sample.tenants} {sample.op}"
            print(f"FAILED: {where}: {sample.error[:300]}")


def main(argv: list[str] | None = None) -> int:
    """Run (or reload), print, write; exit 1 when any measurement failed (the targets only inform)."""
    settings, out, reload = parse_args(argv)
    let_plugins_stop_when_asked()  # run in the background, every operation would wait 5 s for its plugins
    if reload is not None:
        saved = json.loads(reload.read_text())
        meta, imports = saved["meta"], ImportTimes(**saved["imports"])
        samples = [Sample(**sample) for sample in saved["samples"]]
        breakdowns = saved.get("breakdowns", [])
    else:
        started, load_before = time.time(), os.getloadavg()
        runner = Runner(settings)
        imports, samples = runner.run()
        breakdowns = [{**found.as_json(), "text": found.text()} for found in runner.breakdowns]
        meta = _meta(settings, started, load_before)
    results, png = write_report(meta, imports, samples, out, breakdowns)
    print_report(results, imports, samples)
    print(f"\nwrote {out / 'results.json'} and {png}")
    return 1 if any(sample.error for sample in samples) else 0
