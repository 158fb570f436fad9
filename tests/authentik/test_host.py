"""The provider host serves more than four engine calls at once (``host.serve_at_once``).

pulumi's dynamic provider host answers the engine from a ``ThreadPoolExecutor(max_workers=4)``. Here a pool
of 4 stands in for it, with a ``__main__`` that looks like the host: once an engine call on that pool has
run ``serve_at_once``, ten calls that wait for each other all run; without it they cannot.
"""

from __future__ import annotations

import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import pytest

from dezky_infra.authentik.provider import host

CALLS = host.CALLS_AT_ONCE


@pytest.fixture
def in_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process looks like pulumi's dynamic provider host (its module is ``__main__``)."""
    fake = types.ModuleType("__main__")
    setattr(fake, host.HOST_SERVICER, object)
    monkeypatch.setitem(sys.modules, "__main__", fake)


def all_meet(pool: ThreadPoolExecutor) -> bool:
    """Whether ``CALLS`` calls that each wait for all the others can run on ``pool`` at the same time."""
    meeting = threading.Barrier(CALLS, timeout=2)

    def call() -> bool:
        try:
            meeting.wait()
        except threading.BrokenBarrierError:
            return False
        return True

    return all(future.result() for future in [pool.submit(call) for _ in range(CALLS)])


def test_the_hosts_pool_serves_calls_at_once_after_an_engine_call_asked(in_the_host: None) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        pool.submit(host.serve_at_once).result()
        assert all_meet(pool)


def test_without_it_the_hosts_four_threads_cannot(in_the_host: None) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert not all_meet(pool)


def test_outside_the_host_no_pool_is_touched() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        pool.submit(host.serve_at_once).result()
        assert not all_meet(pool)


def test_a_pool_that_already_serves_more_keeps_its_number(in_the_host: None) -> None:
    with ThreadPoolExecutor(max_workers=CALLS + 6) as pool:
        pool.submit(host.serve_at_once).result()
        assert pool._max_workers == CALLS + 6
