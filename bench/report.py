"""Medians, ratios, the issue's targets and the printed table.

Everything here works on ``Sample``s only, so ``results.json`` can be re-reported without re-running.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bench.profiles import PROFILES
from bench.project import CLI_UP, OPERATIONS, WIPED_UP
from bench.runner import SCRIPTED_OP, Sample

FLOOR_TARGET = 1.3
"""What a user types (a fresh ``pulumi up --yes``, preview included) at every tenant count, and the
Automation API's fresh ``up`` at the largest, within this factor of the fair floor of the same command."""


@dataclass(frozen=True)
class Cell:
    """The medians of one (route, profile, tenants, op) over its successful repetitions."""

    route: str
    profile: str | None
    tenants: int
    op: str
    seconds: float
    reads: float
    writes: float
    runs: int
    calls: dict[str, int]
    """Calls by route of the last repetition (they do not vary between repetitions)."""
    min_seconds: float = 0.0
    max_seconds: float = 0.0
    """The spread of the wall time over the repetitions."""
    state: dict[str, Any] | None = None
    """The state summary of the last repetition's fresh ``up`` (``Sample.state``)."""


Key = tuple[str, str | None, int, str]


def summarize(samples: Iterable[Sample]) -> dict[Key, Cell]:
    """Median wall time and calls per (route, profile, tenants, op); failed samples are left out."""
    groups: dict[Key, list[Sample]] = defaultdict(list)
    for sample in samples:
        if sample.seconds is not None:
            groups[(sample.route, sample.profile, sample.tenants, sample.op)].append(sample)
    return {key: _cell(key, group) for key, group in groups.items()}


def _cell(key: Key, group: list[Sample]) -> Cell:
    seconds = [s.seconds for s in group if s.seconds is not None]
    return Cell(
        *key,
        seconds=statistics.median(seconds),
        reads=statistics.median(s.reads for s in group),
        writes=statistics.median(s.writes for s in group),
        runs=len(group),
        calls=group[-1].calls,
        min_seconds=min(seconds),
        max_seconds=max(seconds),
        state=group[-1].state,
    )


def resources(tenants: int) -> int:
    """authentik resources of the benchmark program: readiness, token, 3 per tenant."""
    return 2 + 3 * tenants


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


@dataclass(frozen=True)
class Row:
    """One printed line: an operation of our program next to its references."""

    profile: str
    tenants: int
    op: str
    ours: Cell | None
    floor: Cell | None
    scripted: Cell | None
    thin_floor: Cell | None = None

    @property
    def vs_floor(self) -> float | None:
        """ours ÷ engine floor."""
        return _ratio(self.ours.seconds if self.ours else None, self.floor.seconds if self.floor else None)

    @property
    def vs_scripted(self) -> float | None:
        """ours ÷ scripted route (fresh ``up`` only)."""
        return _ratio(
            self.ours.seconds if self.ours else None, self.scripted.seconds if self.scripted else None
        )


def rows(cells: dict[Key, Cell], profiles: Iterable[str], counts: Iterable[int]) -> list[Row]:
    """Every (profile, tenants, op) line of the table."""
    return [
        Row(
            profile,
            count,
            op,
            ours=cells.get(("ours", profile, count, op)),
            floor=cells.get(("floor", None, count, op)),
            scripted=cells.get(("scripted", profile, count, SCRIPTED_OP)) if op == "fresh up" else None,
            thin_floor=cells.get(("thin floor", None, count, op)),
        )
        for profile in profiles
        for count in counts
        for op in OPERATIONS
    ]


def linear_fit(points: list[tuple[int, float]]) -> dict[str, float] | None:
    """Least squares ``calls = intercept + per_tenant * N`` and the largest relative residual."""
    if len({n for n, _ in points}) < 2:
        return None
    slope, intercept = statistics.linear_regression([n for n, _ in points], [c for _, c in points])
    worst = max(abs(c - (intercept + slope * n)) / max(c, 1.0) for n, c in points)
    return {"per_tenant": slope, "intercept": intercept, "max_relative_residual": worst}


def fits(cells: dict[Key, Cell], profiles: Iterable[str], counts: list[int]) -> list[dict[str, Any]]:
    """Calls per tenant for each of our operations (total calls, reads, writes)."""
    found = []
    for profile in profiles:
        for op in OPERATIONS:
            present = [cells[("ours", profile, n, op)] for n in counts if ("ours", profile, n, op) in cells]
            fit = linear_fit([(c.tenants, c.reads + c.writes) for c in present])
            if fit is not None:
                found.append({"profile": profile, "op": op, **fit})
    return found


@dataclass(frozen=True)
class Target:
    """One of the issue's goals, checked against the medians."""

    name: str
    met: bool | None
    detail: str


def targets(cells: dict[Key, Cell], profiles: list[str], counts: list[int]) -> list[Target]:
    """The issue's targets; ``met`` is None when the run did not measure what a target needs."""
    found: list[Target] = []
    largest = max(counts)
    goals = [(CLI_UP, count) for count in counts] + [("fresh up", largest)]
    for profile in profiles:
        for op, count in goals:
            row = next(r for r in rows(cells, [profile], [count]) if r.op == op)
            ratio = row.vs_floor
            found.append(
                Target(
                    f"[{profile}] {op} <= {FLOOR_TARGET}x the fair floor's at N={count}",
                    None if ratio is None else ratio <= FLOOR_TARGET,
                    "not measured" if ratio is None else f"{ratio:.2f}x",
                )
            )
    ours = [c for c in cells.values() if c.route == "ours"]

    def check(name: str, op: str, bad: Any, show: Any) -> None:
        measured = [c for c in ours if c.op == op]
        failing = [c for c in measured if bad(c)]
        detail = ", ".join(f"{c.profile} N={c.tenants}: {show(c)}" for c in (failing or measured))
        found.append(Target(name, (not failing) if measured else None, detail or "not measured"))

    check("no-op preview makes zero authentik calls", "no-op preview",
          lambda c: c.reads + c.writes > 0, lambda c: f"{c.reads:g}r/{c.writes:g}w")  # fmt: skip
    check("no-op up makes zero writes", "no-op up", lambda c: c.writes > 0, lambda c: f"{c.writes:g}w")
    check("refresh reads at most once per resource", "refresh",
          lambda c: c.reads > resources(c.tenants),
          lambda c: f"{c.reads:g} reads / {resources(c.tenants)} resources")  # fmt: skip
    for fit in fits(cells, profiles, counts):
        if fit["op"] == "fresh up":
            found.append(
                Target(
                    f"[{fit['profile']}] fresh-up calls grow linearly with tenants",
                    fit["max_relative_residual"] <= 0.05 if len(counts) > 2 else None,
                    f"{fit['per_tenant']:.2f} calls/tenant + {fit['intercept']:.1f}, worst residual "
                    f"{fit['max_relative_residual']:.1%}"
                    + ("" if len(counts) > 2 else " (two tenant counts always fit a line)"),
                )
            )
    return found


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def table(cells: dict[Key, Cell], profiles: list[str], counts: list[int]) -> str:
    """The side-by-side table: wall time medians (and min-max over the repetitions), ratios, calls;
    the thin floor's column only when it was measured."""
    thin = any(c.route == "thin floor" for c in cells.values())
    header = (
        f"{'N':>4}  {'operation':<21}{'ours s':>8}{'min-max':>13}{'floor s':>9}{'ours/floor':>11}"
        + (f"{'thin s':>8}{'ours/thin':>10}" if thin else "")
        + f"{'reads':>7}{'writes':>7}{'script s':>10}{'ours/script':>12}"
    )
    out: list[str] = []
    for profile in profiles:
        out += ["", f"profile {profile}: {PROFILES[profile].description}", header, "-" * len(header)]
        for row in rows(cells, [profile], counts):
            ours = row.ours
            if ours is None and row.floor is None:
                continue
            spread = f"{ours.min_seconds:.2f}-{ours.max_seconds:.2f}" if ours and ours.runs > 1 else ""
            thin_s = row.thin_floor.seconds if row.thin_floor else None
            vs_thin = _ratio(ours.seconds if ours else None, thin_s)
            thin_cells = f"{_num(thin_s):>8}{_num(vs_thin, '{:.2f}x'):>10}" if thin else ""
            out.append(
                f"{row.tenants:>4}  {row.op:<21}{_num(ours.seconds if ours else None):>8}{spread:>13}"
                f"{_num(row.floor.seconds if row.floor else None):>9}"
                f"{_num(row.vs_floor, '{:.2f}x'):>11}{thin_cells}"
                f"{_num(ours.reads if ours else None, '{:g}'):>7}"
                f"{_num(ours.writes if ours else None, '{:g}'):>7}"
                f"{_num(row.scripted.seconds if row.scripted else None):>10}"
                f"{_num(row.vs_scripted, '{:.2f}x'):>12}"
            )
    return "\n".join(out)


CALLS_SHOWN = (WIPED_UP, "verify")
"""Operations whose calls by route the printed report lists (results.json has every operation's)."""


def calls_text(cells: dict[Key, Cell], profiles: list[str], counts: list[int]) -> str:
    """Our calls by route for ``CALLS_SHOWN`` (they do not depend on the profile: the first one's),
    each route marked ``*`` where the ``real`` profile has no measurement for it."""
    real = PROFILES["real"]
    out: list[str] = []
    for op in CALLS_SHOWN:
        for count in counts:
            cell = next((cells[k] for p in profiles if (k := ("ours", p, count, op)) in cells), None)
            if cell is None:
                continue
            out.append(f"  {op}, N={count}: {sum(cell.calls.values())} calls")
            out += [
                f"    {n:>6}  {route}{'' if real.measured(route) else '  *'}"
                for route, n in cell.calls.items()
            ]
    if out:
        out.append("  (* = no measurement in the real profile: waits its default)")
    return "\n".join(out)


def state_differences(ours: dict[str, Any], floor: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Where a floor's state (``Sample.state``) differs from ours: ``(mismatches, normalised)``.

    A mismatch is a resource missing, other output names or secrets, or an input ours lacks.
    ``normalised`` lists the inputs only ours has: defaults our providers' ``check`` fills in (the
    floor registers what the resource registers, and checks nothing).
    """
    mismatches: list[str] = []
    normalised: list[str] = []
    for name, mine in ours["resources"].items():
        theirs = floor["resources"].get(name)
        if theirs is None:
            mismatches.append(f"{name} is missing")
            continue
        mismatches += [f"{name}.{part}" for part in ("outputs", "secret") if theirs[part] != mine[part]]
        mismatches += [
            f"{name}.{extra} (input)" for extra in sorted(set(theirs["inputs"]) - set(mine["inputs"]))
        ]
        normalised += [f"{name}.{added}" for added in sorted(set(mine["inputs"]) - set(theirs["inputs"]))]
    return mismatches, normalised


def _by_resource(paths: list[str]) -> str:
    """``a.x, a.y, b.z`` as ``a: x, y; b: z``."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        resource, _, prop = path.partition(".")
        grouped[resource].append(prop)
    return "; ".join(f"{resource}: {', '.join(props)}" for resource, props in grouped.items())


def state_text(cells: dict[Key, Cell], counts: list[int]) -> str:
    """The checkpoint size after a fresh ``up``, ours next to each floor, and how the fair floor's
    state compares with ours (``state_differences``)."""
    out: list[str] = []
    for count in counts:
        found = {
            route: cell.state
            for route in ("ours", "floor", "thin floor")
            for cell in cells.values()
            if cell.route == route and cell.tenants == count and cell.op == "fresh up" and cell.state
        }
        if "ours" not in found:
            continue
        sizes = ", ".join(f"{route} {state['bytes'] / 1024:.0f} KiB" for route, state in found.items())
        out.append(f"  N={count}: checkpoint after fresh up: {sizes}")
    fair = next((c for c in cells.values() if c.route == "floor" and c.op == "fresh up" and c.state), None)
    ours = next((c for c in cells.values() if c.route == "ours" and c.op == "fresh up" and c.state), None)
    if fair and ours and fair.state and ours.state:
        mismatches, normalised = state_differences(ours.state, fair.state)
        out.append(
            "  fair floor vs ours, first tenant's resources: "
            + (f"DIFFER in {', '.join(mismatches)}" if mismatches else "same outputs, secrets and inputs")
            + (
                f"; ours' check fills in {len(normalised)} defaults ({_by_resource(normalised)})"
                if normalised
                else ""
            )
        )
    return "\n".join(out)


def targets_text(found: list[Target]) -> str:
    """One line per target."""
    mark = {True: "MET ", False: "MISS", None: "n/a "}
    return "\n".join(f"  [{mark[t.met]}] {t.name}: {t.detail}" for t in found)


def cells_as_json(cells: dict[Key, Cell]) -> list[dict[str, Any]]:
    """The summary for results.json."""
    return [
        {
            "route": c.route,
            "profile": c.profile,
            "tenants": c.tenants,
            "op": c.op,
            "median_seconds": c.seconds,
            "median_reads": c.reads,
            "median_writes": c.writes,
            "runs": c.runs,
            "min_seconds": c.min_seconds,
            "max_seconds": c.max_seconds,
            "calls_by_route": c.calls,
        }
        for c in cells.values()
    ]
