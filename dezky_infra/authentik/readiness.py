"""``AuthentikReady``: wait until authentik answers an authenticated API call, then let others go.

A container that started is not an authentik that works: the Go router answers 503 "authentik
starting" for a while, ``/-/health/ready/`` can be 200 before the bootstrap token exists, and a proxy
answers 502 in between. Every authentik resource depends on this one. Its create polls
``/-/health/ready/`` and then ``core/users/me/`` (with the token, or the bootstrap-password session on a
fresh authentik) until both work or ``dezky:authentikRetryDeadlineSeconds`` passes (the one setting for
how long to wait for authentik), and then fails with one line naming the URL, the setting and the last
thing seen. Then authentik's release is learned (``versions``): an untested one is warned about, one too
old stops the run here. It runs again only when its ``trigger`` (e.g. the container id) changes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi

from dezky_infra.authentik.api import lookups, sessions
from dezky_infra.authentik.api.errors import AuthentikAuthError, AuthentikError, AuthentikUnavailableError
from dezky_infra.authentik.api.password_login import PasswordLoginError
from dezky_infra.authentik.provider.base import AuthentikResourceProvider, ResourceSpec
from dezky_infra.authentik.provider.declaration import UNSET, AuthentikResource, Unset

if TYPE_CHECKING:
    from dezky_infra.authentik.api.client import AuthentikClient


class ReadinessSpec(ResourceSpec):
    """Inputs: what to wait for."""

    replace_on: ClassVar[frozenset[str]] = frozenset({"trigger"})

    trigger: str = ""
    """Changes when authentik was (re)created, e.g. the server container's id: a change waits again."""


def wait_until_ready(client: AuthentikClient, timeout_seconds: float, clock: Any = time.monotonic) -> str:
    """Poll health, then an authenticated call, until both succeed; return the username that answered.

    A rejected token is "not ready yet" too: on a fresh authentik the worker applies the bootstrap
    token and password a little after the server answers. When a bootstrap password is configured it is
    tried as soon as the token is refused, and again at each poll while both are refused.
    """
    import httpx  # noqa: PLC0415 (loaded with the first connection, like the client itself)

    deadline = clock() + timeout_seconds
    health_url = f"{client.settings.url}/-/health/ready/"
    last_seen = "nothing yet"
    while True:
        try:
            health = client.http.get(health_url)
            if health.status_code == 200:
                return _authenticated_user(client)
            last_seen = f"{health_url} answered HTTP {health.status_code}"
            if health.status_code == 404:  # a proxy without a route to authentik yet, or no authentik
                last_seen += (
                    f" (a proxy that routes nothing there yet, or `{client.settings.name_of('url')}` "
                    f"({client.settings.url}) is not authentik's base URL)"
                )
        except httpx.TransportError as exc:
            tls_failure = client.tls_failure(exc)
            if tls_failure is not None:
                raise tls_failure from None  # an untrusted certificate will not fix itself: stop now
            last_seen = f"{health_url}: {type(exc).__name__}"
        except (AuthentikUnavailableError, AuthentikAuthError, PasswordLoginError) as exc:
            last_seen = str(exc)
        if clock() >= deadline:
            raise AuthentikUnavailableError(
                f"authentik at {client.settings.url} was not ready within {timeout_seconds:g}s "
                f"(`{client.settings.name_of('retry_deadline_seconds')}` sets how long to wait); "
                f"last seen: {last_seen}"
            )
        time.sleep(min(2.0, max(0.0, deadline - clock())))


def _authenticated_user(client: AuthentikClient) -> str:
    """``core/users/me/`` with the token, or after a password login when the token is refused; both
    refused is ``CredentialsRefused``, naming both settings (the next poll tries both again)."""
    try:
        return str(client.get("core/users/me/")["user"]["username"])
    except AuthentikAuthError as exc:
        if not exc.token_rejected or client.settings.bootstrap_password is None or client.session_mode:
            raise
        token_refused = exc
    try:
        sessions.log_in(client)
    except AuthentikAuthError as password_refused:
        raise sessions.CredentialsRefused(token_refused, password_refused, client.settings) from None
    return str(client.get("core/users/me/")["user"]["username"])


def declared(state: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs a read gives back: what state says (nothing exists in authentik to read)."""
    return {"trigger": state.get("trigger", "")}


class ReadinessProvider(AuthentikResourceProvider[ReadinessSpec]):
    """Dynamic provider whose create is the wait; nothing exists in authentik for it."""

    spec_type: ClassVar[type[ResourceSpec]] = ReadinessSpec
    kind: ClassVar[str] = "Ready"

    def create_object(self, client: AuthentikClient, spec: ReadinessSpec) -> tuple[str, dict[str, Any]]:
        user = wait_until_ready(client, client.settings.retry_deadline_seconds)
        self.server(client)  # its release, said first: an untested one warns, one too old stops here
        lookups.prefetch(client, self._connect)  # authentik was just made: its names are checked next
        return f"authentik-ready-{spec.trigger or 'external'}", {"user": user}

    def read_object(
        self, client: AuthentikClient, id_: str, props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        # Nothing to read back: readiness was a moment, not an object.
        return declared(props), {"user": props.get("user")}

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: ReadinessSpec
    ) -> dict[str, Any]:
        return {"user": olds.get("user")}

    def delete_object(self, client: AuthentikClient, id_: str, props: Mapping[str, Any]) -> None:
        """Nothing to delete."""


class AuthentikReady(AuthentikResource, name="Ready", provider=ReadinessProvider):
    """A step that completes once authentik serves authenticated API calls; outputs the ``user``."""

    user: pulumi.Output[str]
    """The username the authenticated call answered for (akadmin, or the token's user)."""

    def __init__(
        self,
        resource_name: str,
        *,
        trigger: pulumi.Input[str] | Unset = UNSET,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, locals(), opts)


__all__ = ["AuthentikError", "AuthentikReady", "wait_until_ready"]
