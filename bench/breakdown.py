"""Where one fresh ``pulumi up --yes`` spends its time, from what each process recorded.

The run is traced three ways, all on the wall clock: the benchmark times the ``pulumi`` process; the
providers' host appends one line per engine call (``Check``, ``Diff``, ``Create`` ...) and one for its
own start and imports (``DEZKY_TRACE``, ``dezky_infra.authentik.provider.host``), and the benchmark
program one line per run of it (the preview's and the update's); the local authentik server keeps when
each call arrived and was answered. ``Breakdown`` lays them on one time line from the moment the CLI
started: what ran when, authentik's calls by route, and the gaps in which none of ours ran (the CLI and
the engine alone: start, plans, checkpoints).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tests.authentik_server import Call

GAP_SECONDS = 0.1
"""Shorter stretches in which none of ours runs are not listed as gaps."""


@dataclass(frozen=True)
class Span:
    """Something that ran: ``kind`` is program, provider or authentik; ``label`` says what."""

    kind: str
    label: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def read_trace(path: Path) -> list[dict[str, Any]]:
    """The trace file's lines (none when nothing was traced)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _resource(urn: str) -> str:
    """``OAuth2Provider tenant-000-provider`` from a URN."""
    if not urn:
        return ""
    kind = urn.split("::")[-2].rsplit(":", 1)[-1]
    return f"{kind} {urn.rsplit('::', 1)[-1]}"


def spans_of(trace: Iterable[dict[str, Any]], calls: Iterable[Call], route: Any) -> list[Span]:
    """Every traced span and authentik call, in start order; ``route`` names a call's route."""
    found = [
        Span(
            "program" if line["call"] == "program" else "provider",
            line["call"] if not line.get("urn") else f"{line['call']} {_resource(line['urn'])}",
            line["start"],
            line["end"],
        )
        for line in trace
    ]
    found += [Span("authentik", route(call), call.started, call.answered) for call in calls if call.started]
    return sorted(found, key=lambda span: (span.start, span.end))


def covered(spans: Iterable[Span]) -> float:
    """The time at least one of ``spans`` runs (their union)."""
    total, reach = 0.0, float("-inf")
    for span in sorted(spans, key=lambda s: s.start):
        if span.end > reach:
            total += span.end - max(span.start, reach)
            reach = span.end
    return total


def gaps(spans: Iterable[Span], start: float, end: float) -> list[tuple[float, float]]:
    """The stretches of ``start..end`` in which none of ``spans`` runs (``GAP_SECONDS`` or longer)."""
    found: list[tuple[float, float]] = []
    reach = start
    for span in sorted(spans, key=lambda s: s.start):
        if span.start - reach >= GAP_SECONDS:
            found.append((reach, span.start))
        reach = max(reach, span.end)
    if end - reach >= GAP_SECONDS:
        found.append((reach, end))
    return found


@dataclass(frozen=True)
class Breakdown:
    """One traced ``pulumi up --yes``: the CLI's start and end and every span in between."""

    title: str
    cli_start: float
    cli_end: float
    spans: list[Span]
    profile: str
    tenants: int

    def of_kind(self, kind: str) -> list[Span]:
        return [span for span in self.spans if span.kind == kind]

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "profile": self.profile,
            "tenants": self.tenants,
            "cli_seconds": self.cli_end - self.cli_start,
            "authentik_busy_seconds": covered(self.of_kind("authentik")),
            "spans": [
                {**asdict(s), "start": s.start - self.cli_start, "end": s.end - self.cli_start}
                for s in self.spans
            ],
        }

    def text(self) -> str:
        """The time line and its sums, as the report prints them."""
        total = self.cli_end - self.cli_start
        lines = [f"{self.title}: {total:.2f} s from the pulumi process's start to its end", ""]
        lines.append(f"  {'at s':>6} {'for s':>6}  what")
        for span in self.spans:
            if span.kind == "authentik":
                continue  # summed by route below
            at = span.start - self.cli_start
            lines.append(f"  {at:6.2f} {span.seconds:6.2f}  {span.kind}: {span.label}")
        by_route: dict[str, list[Span]] = defaultdict(list)
        for span in self.of_kind("authentik"):
            by_route[span.label].append(span)
        lines += ["", "  authentik calls by route (count, summed time, first at):"]
        for label, found in sorted(by_route.items(), key=lambda kv: min(s.start for s in kv[1])):
            first = min(s.start for s in found) - self.cli_start
            summed = sum(s.seconds for s in found)
            lines.append(f"    {len(found):>3} x {summed:5.2f} s  at {first:5.2f}  {label}")
        idle = gaps(self.spans, self.cli_start, self.cli_end)
        busy = {kind: covered(self.of_kind(kind)) for kind in ("authentik", "provider", "program")}
        lines += [
            "",
            f"  authentik busy {busy['authentik']:.2f} s; our providers {busy['provider']:.2f} s; the "
            f"program {busy['program']:.2f} s; none of ours {sum(b - a for a, b in idle):.2f} s (the CLI "
            "and the engine alone)",
            "  gaps >= 0.1 s in which none of ours ran: "
            + ", ".join(f"{a - self.cli_start:.2f}-{b - self.cli_start:.2f}" for a, b in idle),
        ]
        return "\n".join(lines)


def bound_text(breakdown: dict[str, Any], floor_seconds: float | None) -> str | None:
    """What ours could be at best, had our providers cost nothing: the fair floor of the same command
    plus the time authentik was busy with our calls in the traced run. At a few tenants those calls lie
    one after another on the dependency chain (ready, token, provider, application; the preview's
    lookups before), so they add to the engine's time instead of overlapping it."""
    busy = breakdown.get("authentik_busy_seconds")
    if floor_seconds is None or busy is None:
        return None
    best = floor_seconds + busy
    return (
        f"  at best: the fair floor's {floor_seconds:.2f} s + authentik busy {busy:.2f} s = {best:.2f} s, "
        f"{best / floor_seconds:.2f}x the floor (the traced run took {breakdown['cli_seconds']:.2f} s, "
        f"{breakdown['cli_seconds'] / floor_seconds:.2f}x)"
    )
