"""The server's advanceable clock: expiry tests move time forward instead of sleeping.

Transcript 28 redeems a code ~65 s after it was issued (access_code_validity minutes=1) and calls
userinfo 3.5 s after an access token with a 2 s validity was issued. A test (or the replay) calls
``AuthentikServer.advance_clock(seconds)`` where the capture waited. The clock drives what the OIDC
endpoints compare and sign: authorization-code, access-token and refresh-token expiry, and the JWT
``iat``/``exp``/``auth_time`` claims. Everything else (API timestamps, API-token and session expiry)
keeps reading the wall clock through ``state.now()``.
"""

from __future__ import annotations

import datetime as dt
import threading


class Clock:
    """Wall-clock time plus an offset that only ever grows (time never runs backwards)."""

    def __init__(self) -> None:
        self._offset = dt.timedelta()
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """The server's current time, timezone-aware UTC."""
        with self._lock:
            offset = self._offset
        return dt.datetime.now(dt.UTC) + offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (>= 0)."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += dt.timedelta(seconds=seconds)

    @property
    def offset(self) -> float:
        """Seconds the clock is ahead of the wall clock."""
        with self._lock:
            return self._offset.total_seconds()
