"""One password session per provider process, for the moment a fresh authentik has no API token yet.

On a fresh authentik the configured API token does not exist until ``ApiToken`` makes it, so the
providers log in as akadmin with the bootstrap password (``password_login``). A login is six
flow-executor calls, about a second on a real authentik (``29-latency.json``), and each one is an
authenticated session authentik keeps: so a provider process logs in at most once, whatever the
number of resources. Concurrent resources that need the session wait for the login in flight and
share its cookies, and later calls start on it rather than on the refused token; a password
authentik refused is remembered, so the other resources fail at once with the same message instead
of knocking again (authentik scores failed logins per user and IP).

The session ends as soon as it is not needed any more: when ``ApiToken`` has set the configured key,
every later call works with the token, and ``end`` logs the session out through the brand's
invalidation flow. A run that never makes the token (a refresh or destroy of a wiped authentik, a
stack whose token another stack took over, a create refused by ``adoptExisting: false``) ends it when
its process ends: the engine stops a provider with SIGINT and gives it 5 seconds, and ``end_all``
runs at exit. Only a process killed outright leaves its session to expire on authentik's schedule;
the sessions show the User-Agent ``dezky-infra``.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
from typing import TYPE_CHECKING, Final

from dezky_infra.authentik.api.errors import AuthentikAuthError
from dezky_infra.authentik.api.password_login import log_out, login_with_password

if TYPE_CHECKING:
    from dezky_infra.authentik.api.client import AuthentikClient
    from dezky_infra.authentik.api.connection import ConnectionSettings

LOG = logging.getLogger(__name__)
EXIT_TIMEOUT_SECONDS: Final = 2.0
"""How long the logout at exit may take per call (the engine kills a provider 5 s after SIGINT)."""

_lock = threading.Lock()
_cookies: dict[str, dict[str, str]] = {}
"""The session cookies of this process's login, by API root."""
_made_with: dict[str, ConnectionSettings] = {}
"""The settings each session was made with, by API root (to end it at exit)."""
_refused: dict[str, AuthentikAuthError] = {}
"""A login authentik refused, by API root: not tried again by this process."""
logins: dict[str, int] = {}
"""How many logins this process made, by API root (the benchmark and tests read it)."""


class CredentialsRefused(AuthentikAuthError):
    """authentik refused the API token and the bootstrap password: the connection, not a field, is wrong."""

    def __init__(
        self,
        token_refused: AuthentikAuthError,
        password_refused: AuthentikAuthError,
        settings: ConnectionSettings,
    ) -> None:
        super().__init__(
            password_refused.method,
            password_refused.path,
            password_refused.status,
            password_refused.detail,
            password_refused.hint,
        )
        token_key = settings.name_of("token")
        password_key = settings.name_of("bootstrap_password")
        self.args = (
            f"authentik refused both credentials: the API token in `{token_key}` ({token_refused.detail}) "
            f"and the password in `{password_key}` ({password_refused.detail}); set a token authentik "
            f"knows (`{settings.how_to_set('token', '<key>')}`), or on a fresh authentik "
            "the password it was first started with (it applies AUTHENTIK_BOOTSTRAP_PASSWORD only on the "
            "first start with an empty database)",
        )


def forget() -> None:
    """Drop every session, refusal and count (a test wiped authentik, or a new run begins)."""
    with _lock:
        _cookies.clear()
        _refused.clear()
        logins.clear()


def join(client: AuthentikClient, token_refused: AuthentikAuthError) -> None:
    """Switch ``client`` to this process's session, logging in first when there is none yet.

    Waits for a login in flight. Raises ``CredentialsRefused`` when the password is refused too, now
    or earlier in this process.
    """
    root = client.settings.api_root
    with _lock:
        if root in _refused:
            raise CredentialsRefused(token_refused, _refused[root], client.settings)
        if root not in _cookies:
            try:
                _log_in(client)
            except AuthentikAuthError as password_refused:
                _refused[root] = password_refused
                raise CredentialsRefused(token_refused, password_refused, client.settings) from None
            return
        _use(client, _cookies[root])


def resume(client: AuthentikClient) -> None:
    """Put ``client`` on this process's session if there is one: the token was refused before (or not
    made yet), so trying it first would cost every call a refused request. The session ends (``end``)
    as soon as the token works, and a session authentik dropped sends the client back (``leave``)."""
    with _lock:
        cookies = _cookies.get(client.settings.api_root)
        if cookies is not None:
            _use(client, cookies)


def log_in(client: AuthentikClient) -> None:
    """Log in now, whatever happened before, and share the session (readiness: on a fresh authentik the
    bootstrap password starts to work a little after the server answers)."""
    with _lock:
        _refused.pop(client.settings.api_root, None)
        _log_in(client)


def leave(client: AuthentikClient) -> None:
    """The session stopped working for ``client``: forget it (unless another login replaced it already)
    and put ``client`` back on the token, which may exist by now."""
    root = client.settings.api_root
    with _lock:
        if _cookies.get(root) == dict(client.http.cookies.items()):
            del _cookies[root]
    client.use_bearer()


def end(client: AuthentikClient) -> None:
    """Log out this process's session (the token works now) and forget it; ``client`` goes back to the
    token. Nothing happens when ``client`` is not on the shared session."""
    root = client.settings.api_root
    with _lock:
        if not client.session_mode or _cookies.get(root) != dict(client.http.cookies.items()):
            return
        del _cookies[root]
        log_out(client)
    client.use_bearer()


def end_for(client: AuthentikClient) -> None:
    """Log out this process's session for ``client``'s authentik, if there is one (a caller that knows
    the run is over: a test module against a real authentik, the benchmark)."""
    with _lock:
        cookies = _cookies.get(client.settings.api_root)
    if cookies is not None:
        _use(client, cookies)
        end(client)


def _log_in(client: AuthentikClient) -> None:
    """The login itself (caller holds the lock). A refused login leaves ``client`` on its token, not on a
    session without cookies (whose every call would be "no credentials were sent")."""
    client.http.cookies.clear()
    try:
        login_with_password(client)
    except BaseException:
        client.use_bearer()
        raise
    root = client.settings.api_root
    _cookies[root] = dict(client.http.cookies.items())
    _made_with[root] = client.settings
    logins[root] = logins.get(root, 0) + 1
    _end_all_at_exit()


@functools.cache
def _end_all_at_exit() -> None:
    atexit.register(end_all)


def end_all() -> None:
    """Log out every session this process still has (at exit: its run is over). Best effort and quick:
    authentik may be gone by now, and the session would expire anyway."""
    from dezky_infra.authentik.api.client import AuthentikClient  # noqa: PLC0415 (loaded already)

    with _lock:
        made_with = [_made_with[root] for root in _cookies]
    for settings in made_with:
        quick = settings.model_copy(
            update={"timeout_seconds": EXIT_TIMEOUT_SECONDS, "retry_deadline_seconds": 0.0}
        )
        try:
            with AuthentikClient(quick) as client:
                end_for(client)
        except Exception as exc:  # at exit nothing can act on it: logged, not raised
            LOG.debug("the session at %s was left to expire: %s", settings.url, type(exc).__name__)


def _use(client: AuthentikClient, cookies: dict[str, str]) -> None:
    client.http.cookies.clear()
    client.http.cookies.update(cookies)
    client.use_session()
