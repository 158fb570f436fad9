"""``OncePerKey``: one computation per key however many ask at once; a failure is not remembered."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from dezky_infra.authentik.api.once import OncePerKey


def test_askers_that_arrive_together_get_one_computation() -> None:
    once: OncePerKey[str, int] = OncePerKey()
    computed = 0
    started = threading.Event()
    release = threading.Event()

    def compute() -> int:
        nonlocal computed
        computed += 1
        started.set()
        release.wait(5)
        return 42

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [pool.submit(once.get, "root", compute) for _ in range(8)]
        assert started.wait(5)
        release.set()
        assert [answer.result() for answer in answers] == [42] * 8
    assert computed == 1
    assert "root" in once and "other" not in once


def test_a_failed_computation_leaves_the_key_to_the_next_asker() -> None:
    once: OncePerKey[str, int] = OncePerKey()

    def fail() -> int:
        raise RuntimeError("authentik is not up yet")

    with pytest.raises(RuntimeError):
        once.get("root", fail)
    assert "root" not in once
    assert once.get("root", lambda: 7) == 7


def test_clear_forgets_the_values() -> None:
    once: OncePerKey[str, int] = OncePerKey()
    once.get("root", lambda: 1)
    once.clear()
    assert once.get("root", lambda: 2) == 2
