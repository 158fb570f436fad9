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

Outside that host (tests, the program itself) ``warn`` is ``pulumi.log.warn`` and nothing is patched.
"""

from __future__ import annotations

import functools
import sys
import traceback
from types import ModuleType
from typing import Any

import pulumi

from dezky_infra.authentik.api.errors import AuthentikError

HOST_SERVICER = "DynamicResourceProviderServicer"
"""What tells pulumi's dynamic provider host module (it runs as ``__main__``)."""


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
