"""Run every measurement of one benchmark invocation and collect the samples.

For each tenant count and repetition: the fair engine floor (no-op resources registering what ours
register, no authentik calls) and, when asked, the thin floor; then for each latency profile our
program through its whole lifecycle against a freshly wiped authentik, and the scripted route against
another fresh one. Every sample keeps its wall time, the authentik calls it caused (reads and writes)
and the calls by route, which is the evidence for where calls go; a fresh ``up`` also keeps a summary
of the state it wrote (``BenchProject.state_summary``), the evidence that the floor carries what ours
carries.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.breakdown import Breakdown, read_trace, spans_of
from bench.imports import ImportTimes, measure
from bench.noop import GENERATION_ENV
from bench.profiles import PROFILES, LatencyProfile
from bench.project import CLI_OPERATIONS, CLI_UP, COMMANDS, OPERATIONS, WIPED_UP, BenchProject
from bench.scripted import ScriptedRoute
from bench.tenants import READY_RESOURCE, TOKEN_RESOURCE, tenants
from tests.authentik_server import AuthentikServer, Call

TOKEN = "bench-platform-api-token-7f3e9a1c5b2d4e6f8091a2b3c4d5e6f7"
PASSWORD = "bench-akadmin-password-4c2e"
SCRIPTED_OP = "create all (scripted)"
MODES = {"ours": "authentik", "floor": "fair", "thin floor": "thin"}
"""Route -> ``dezky:benchMode`` of the program (``bench.workload.KITS``)."""
_FIRST = tenants(1)[0]
FIRST_TENANT = frozenset(
    {READY_RESOURCE, TOKEN_RESOURCE, _FIRST.group_name, _FIRST.provider_resource, _FIRST.app_resource}
)
"""The resources whose state ``Sample.state`` describes: the singletons and the first tenant's."""
_ID_SEGMENT = re.compile(
    r"^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|t\d{3}-[\w-]+)$"
)


@dataclass(frozen=True)
class Settings:
    """What to measure (see ``bench.cli`` for the command-line flags)."""

    tenants: tuple[int, ...]
    reps: int
    profiles: tuple[str, ...]
    code: Path
    floor: bool = True
    thin_floor: bool = False
    """Also run the thin floor (the first floor: a few inputs per no-op resource), to compare baselines."""
    scripted: bool = True
    scripted_reps: int | None = None
    import_runs: int = 5
    bootstrap_token: bool = True
    """Whether authentik starts with the API token (docker's AUTHENTIK_BOOTSTRAP_TOKEN) or without."""


@dataclass
class Sample:
    """One measured operation."""

    route: str
    """``ours`` (the dynamic providers), ``floor`` (fair no-op resources), ``thin floor`` or ``scripted``."""
    profile: str | None
    tenants: int
    rep: int
    op: str
    seconds: float | None
    reads: int = 0
    writes: int = 0
    changes: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    state: dict[str, Any] | None = None
    """After a fresh ``up``: the checkpoint's size and the first tenant's resources (see
    ``BenchProject.state_summary``)."""


def route_key(call: Call) -> str:
    """``"GET /api/v3/providers/oauth2/{id}/"``: the call with object ids folded, query dropped."""
    parts = ["{id}" if _ID_SEGMENT.match(part) else part for part in call.path.split("/")]
    return f"{call.method} {'/'.join(parts)}"


def _calls_by_route(calls: list[Call]) -> dict[str, int]:
    counted = Counter(route_key(call) for call in calls)
    return dict(sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Runner:
    """Owns the local authentik server for the whole run."""

    def __init__(self, settings: Settings, say: Callable[[str], None] = _say) -> None:
        self.settings = settings
        self.say = say
        self.samples: list[Sample] = []
        self.breakdowns: list[Breakdown] = []
        self.server = AuthentikServer(
            bootstrap_token=TOKEN if settings.bootstrap_token else None, akadmin_password=PASSWORD
        )

    def run(self) -> tuple[ImportTimes, list[Sample]]:
        """Everything, in order; returns the import times and all samples (``self.breakdowns`` holds
        the traced runs: one fresh ``pulumi up`` at the smallest tenant count per profile)."""
        settings = self.settings
        self.say(f"bench: import times ({settings.import_runs} interpreters each)")
        imports = measure(settings.code, settings.import_runs)
        self.server.start()
        try:
            for count in settings.tenants:
                for rep in range(settings.reps):
                    if settings.floor:
                        self.lifecycle("floor", None, count, rep)
                    if settings.thin_floor:
                        self.lifecycle("thin floor", None, count, rep)
                    for name in settings.profiles:
                        self.lifecycle("ours", PROFILES[name], count, rep)
                        if settings.scripted and rep < (settings.scripted_reps or settings.reps):
                            self.scripted(PROFILES[name], count, rep)
            for name in settings.profiles:
                found = self.breakdown(PROFILES[name], min(settings.tenants))
                if found is not None:
                    self.breakdowns.append(found)
        finally:
            self.server.stop()
        return imports, self.samples

    def _fresh(self, profile: LatencyProfile | None, *, token: bool) -> None:
        self.server.faults.clear()
        self.server.wipe(bootstrap_token=TOKEN if token else None)
        if profile is not None:
            profile.apply(self.server)
        self.server.reset_calls()

    def operations(self, route: str) -> list[str]:
        """What ``route`` goes through: the floors skip the commands, and ``verify`` needs a checkout
        that has it."""
        package = self.settings.code / "dezky_infra"
        has_verify = (package / "verify.py").exists() or (package / "cli" / "verify").is_dir()
        return [
            op
            for op in OPERATIONS
            if (route == "ours" or op not in COMMANDS) and (op != "verify" or has_verify)
        ]

    def lifecycle(self, route: str, profile: LatencyProfile | None, count: int, rep: int) -> None:
        """One stack through ``OPERATIONS`` on a freshly wiped authentik; wiped again before ``WIPED_UP``."""
        self._fresh(profile, token=self.settings.bootstrap_token)
        label = f"{route} {profile.name if profile else '-'} N={count} rep {rep + 1}/{self.settings.reps}"
        with tempfile.TemporaryDirectory(prefix="dezky-bench-") as tmp:
            project = BenchProject(Path(tmp), self.settings.code)
            project.configure(
                {
                    "authentikUrl": self.server.url,
                    "authentikPublicUrl": self.server.url,
                    "benchMode": MODES[route],
                    "benchTenants": str(count),
                },
                {"authentikToken": TOKEN, "authentikBootstrapPassword": PASSWORD},
            )
            for op in self.operations(route):
                if op == WIPED_UP:
                    self.server.wipe(bootstrap_token=None)
                    project.set_env(GENERATION_ENV, "1")
                if op == OPERATIONS[len(CLI_OPERATIONS)]:  # after the CLI's: start over, untimed
                    project.stack.destroy(color="never")
                    self.server.wipe(bootstrap_token=TOKEN if self.settings.bootstrap_token else None)
                self.server.reset_calls()
                sample = Sample(route, profile.name if profile else None, count, rep, op, None)
                self.samples.append(sample)
                try:
                    done = project.run(op)
                except RuntimeError as exc:
                    sample.error = str(exc)
                    self.say(f"bench: [{label}] {op}: FAILED\n{exc}")
                    return
                calls = self.server.calls
                sample.seconds = done.seconds
                sample.changes = done.changes
                sample.reads = sum(1 for c in calls if not c.is_write)
                sample.writes = sum(1 for c in calls if c.is_write)
                sample.calls = _calls_by_route(calls)
                if op == "fresh up":
                    sample.state = project.state_summary(FIRST_TENANT)
                self.say(
                    f"bench: [{label}] {op}: {done.seconds:.2f} s, "
                    f"{sample.reads} reads, {sample.writes} writes, changes {done.changes or '{}'}"
                )

    def breakdown(self, profile: LatencyProfile, count: int) -> Breakdown | None:
        """One fresh ``pulumi up --yes`` of ours, traced (``bench.breakdown``): where its time goes."""
        self._fresh(profile, token=self.settings.bootstrap_token)
        with tempfile.TemporaryDirectory(prefix="dezky-bench-") as tmp:
            project = BenchProject(Path(tmp), self.settings.code)
            project.configure(
                {
                    "authentikUrl": self.server.url,
                    "authentikPublicUrl": self.server.url,
                    "benchMode": MODES["ours"],
                    "benchTenants": str(count),
                },
                {"authentikToken": TOKEN, "authentikBootstrapPassword": PASSWORD},
            )
            trace = Path(tmp) / "trace.jsonl"
            started = time.time()
            try:
                project.typed(CLI_UP, trace=trace)
            except RuntimeError as exc:
                self.say(f"bench: [breakdown] FAILED\n{exc}")
                return None
            ended = time.time()
            spans = spans_of(read_trace(trace), self.server.calls, route_key)
        title = f"one fresh `pulumi up --yes` of {count} tenant(s), profile {profile.name}"
        return Breakdown(title, started, ended, spans, profile.name, count)

    def scripted(self, profile: LatencyProfile, count: int, rep: int) -> None:
        """The scripted route on a fresh authentik that has the API token (the guide made it by hand)."""
        self._fresh(profile, token=True)
        route = ScriptedRoute(self.server.url, TOKEN)
        sample = Sample("scripted", profile.name, count, rep, SCRIPTED_OP, None)
        self.samples.append(sample)
        try:
            done = route.run(tenants(count))
        except RuntimeError as exc:
            sample.error = str(exc)
            self.say(f"bench: [scripted {profile.name} N={count}] FAILED: {exc}")
            return
        sample.seconds, sample.reads, sample.writes = done.seconds, done.reads, done.writes
        sample.calls = _calls_by_route(self.server.calls)
        self.say(
            f"bench: [scripted {profile.name} N={count} rep {rep + 1}] {done.seconds:.2f} s, "
            f"{done.reads} reads, {done.writes} writes ({done.transport}, one process per call)"
        )


def samples_as_json(samples: list[Sample]) -> list[dict[str, Any]]:
    """Plain dicts for results.json."""
    return [asdict(sample) for sample in samples]
