"""What the providers need from the process that hosts them: pulumi's dynamic provider host.

The engine runs every dynamic resource in one ``python -m pulumi.dynamic`` process (the script
``pulumi-resource-pulumi-python``), which it starts with its own address as the last argument. Two things
this host does not do the way a user needs, and this module does for the providers:

- **Warnings that always arrive.** ``pulumi.log.warn`` has no engine connection in this process and
  prints to stderr, which the engine copies asynchronously; a warning printed just before the run ends
  can be lost (a takeover's "took over" warning went missing in 2 of 4 crash recoveries). ``warn`` sends
  it over the engine's own ``Log`` call instead, and returns once the engine has it.
- **User errors without a traceback.** The host turns any exception into its Python traceback. An
  ``AuthentikError`` (authentik unreachable, credentials refused, a name that names nothing) is the
  user's to fix, not our bug: ``report_user_errors`` makes the host show its message alone, the way a
  ``pulumi.RunError`` shows in the program. Every other exception keeps its traceback.

- **More than four calls at once.** The host serves the engine's calls from a thread pool of 4
  (``ThreadPoolExecutor(max_workers=4)`` in ``pulumi/dynamic/__main__.py``), whatever ``--parallel``
  says: at 100 tenants the 300 creates waited in four lines for authentik's answers (the traced fresh
  ``up`` spent 11 of its 17 s so). ``serve_at_once`` lets that pool grow to ``CALLS_AT_ONCE``, the
  ``-parallelism`` Terraform uses against authentik by default; ``pulumi up --parallel N`` still caps
  it below that.

- **Where the time goes** (``traced``, ``trace_start``): with ``DEZKY_TRACE`` naming a file, each
  provider method the engine calls (check, diff, create, ...) appends one JSON line with what it did to
  which object and when, and the host one line for its start and imports. The benchmark reads it for its
  breakdown of a ``pulumi up``; nothing is traced without the variable.

Outside that host (tests, the program itself) ``warn`` is ``pulumi.log.warn`` and nothing is patched.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import pulumi

from dezky_infra.authentik.api.errors import AuthentikError

HOST_SERVICER = "DynamicResourceProviderServicer"
"""What tells pulumi's dynamic provider host module (it runs as ``__main__``)."""
CALLS_AT_ONCE = 10
"""How many engine calls the host serves at the same time (``serve_at_once``): Terraform's default
``-parallelism``, with which terraform-provider-authentik meets authentik unless told otherwise."""
TRACE_VARIABLE = "DEZKY_TRACE"
"""A file to append one JSON line per engine call to (``trace_calls``)."""


def _host() -> ModuleType | None:
    """Pulumi's dynamic provider host module, when this process is that host."""
    main = sys.modules.get("__main__")
    return main if main is not None and hasattr(main, HOST_SERVICER) else None


@functools.cache
def _engine() -> Any:
    """An ``Engine`` client to the engine that started this host (None outside the host)."""
    if _host() is None:
        return None
    address = next((arg for arg in reversed(sys.argv[1:]) if not arg.startswith("-")), None)
    if address is None:
        return None
    import grpc  # noqa: PLC0415 - only in the host process
    from pulumi.runtime.proto import engine_pb2_grpc  # noqa: PLC0415

    return engine_pb2_grpc.EngineStub(grpc.insecure_channel(address))


def warn(message: str) -> None:
    """A warning the engine shows for this run: sent and acknowledged before the provider goes on."""
    engine = _engine()
    if engine is None:
        pulumi.log.warn(message)
        return
    from pulumi.runtime.proto import engine_pb2  # noqa: PLC0415

    engine.Log(engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message, urn="", streamId=0))


class _Traceback:
    """The host's ``traceback`` module, except that a user error is formatted as its message alone."""

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)

    @staticmethod
    def format_exc(limit: int | None = None, chain: bool = True) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, AuthentikError):
            return str(error)
        return traceback.format_exc(limit=limit, chain=chain)


def report_user_errors() -> None:
    """Make the host report ``AuthentikError`` by its message alone (once; nothing outside the host)."""
    host = _host()
    if host is not None and getattr(host, "traceback", None) is traceback:
        host.traceback = _Traceback()  # type: ignore[attr-defined]


def serve_at_once(calls: int = CALLS_AT_ONCE) -> None:
    """Let the host's thread pool grow to ``calls`` threads (never shrink it); called from an engine
    call, which runs on one of the pool's threads. Outside the host, or if pulumi's host no longer serves
    from a ``ThreadPoolExecutor`` this way, nothing changes: the host keeps its own number."""
    if _host() is None:
        return
    worker_args = getattr(threading.current_thread(), "_args", ())
    reference = worker_args[0] if worker_args else None
    pool = reference() if isinstance(reference, weakref.ref) else None
    if isinstance(pool, ThreadPoolExecutor) and isinstance(getattr(pool, "_max_workers", None), int):
        pool._max_workers = max(pool._max_workers, calls)


_trace_lock = threading.Lock()


@functools.cache
def _trace_path() -> str | None:
    """The trace file, in the provider host with ``DEZKY_TRACE`` set (None otherwise)."""
    return os.environ.get(TRACE_VARIABLE) if _host() is not None else None


def trace_start() -> None:
    """With ``DEZKY_TRACE`` set in the host, say when the process started and when our code had loaded
    (the engine call that loaded it is the first one, and ``traced`` cannot time it whole)."""
    path = _trace_path()
    if path:
        loaded = {"call": "start and imports", "urn": "", "start": process_start(), "end": time.time()}
        trace_line(path, loaded)


T = TypeVar("T")


def traced(
    call: str, what: Callable[[Any, dict[str, Any]], str]
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Time a provider method into the trace (``DEZKY_TRACE``) as ``<call> <what(self, props)>``, its
    last dict argument being the properties; with no trace file, the method itself."""

    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def timed(self: Any, *args: Any) -> T:
            path = _trace_path()
            if not path:
                return method(self, *args)
            start = time.time()
            try:
                return method(self, *args)
            finally:
                props = next((arg for arg in reversed(args) if isinstance(arg, dict)), {})
                label = f"{call} {what(self, props)}"
                trace_line(path, {"call": label, "urn": "", "start": start, "end": time.time()})

        return timed

    return decorate


def process_start() -> float:
    """When this process started (Linux's /proc; else now, which makes the span empty)."""
    try:
        stat = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime")
        )
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()
    return boot + int(stat[19]) / os.sysconf("SC_CLK_TCK")


def trace_line(path: str, line: dict[str, Any]) -> None:
    """Append ``line`` (with this process's id) to the trace file ``path``."""
    with _trace_lock, open(path, "a", encoding="utf-8") as trace:
        trace.write(json.dumps({**line, "pid": os.getpid()}) + "\n")
