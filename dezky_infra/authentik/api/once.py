"""``OncePerKey``: what a provider process asks authentik once, however many resources ask at once.

The engine runs several resources' calls at the same time in one provider process, and many of them
need the same facts (authentik's release, the flow list): the first asker of a key computes it, the
others that arrive meanwhile wait for that answer instead of asking again, and later ones get it at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class OncePerKey(Generic[K, V]):
    """Values computed at most once per key for the life of the process (until ``clear``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[K, V] = {}
        self._computing: dict[K, threading.Lock] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value of ``key``, from ``compute`` if nobody has it yet; a failed ``compute`` raises to
        its caller and leaves the key to the next asker."""
        with self._lock:
            if key in self._values:
                return self._values[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                self._values[key] = value
        return value

    def __contains__(self, key: K) -> bool:
        with self._lock:
            return key in self._values

    def clear(self) -> None:
        """Forget every value (a test changed what is behind the keys)."""
        with self._lock:
            self._values.clear()
