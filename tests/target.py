"""The authentik the engine, verify and end-to-end fault tests run against: the local server, or a real one.

By default every test starts the local authentik-compatible server. With
``DEZKY_ACCEPTANCE_AUTHENTIK_URL`` set (plus ``DEZKY_ACCEPTANCE_AKADMIN_PASSWORD``, and optionally
``DEZKY_ACCEPTANCE_AUTHENTIK_TOKEN`` for the tests' own admin calls and ``DEZKY_ACCEPTANCE_CA_BUNDLE``)
the tests marked ``acceptance`` run against that authentik instead (``scripts/acceptance.sh``), the way
terraform-provider-authentik's acceptance suite does. A real authentik is shared and stays as it was:

- every object a test makes carries a per-run, per-module name prefix (``dezky:namePrefix``), so two
  runs, or two modules of one run, never meet each other's objects;
- at the end of each module every object with its prefix is deleted, whether the tests passed or not;
  nothing else is touched (flows, keys, mappings, users, other people's objects and sessions);
- what only the local server can do (count calls, inject faults, stop, wipe) is asked for through
  ``Target.local(why)``, which skips the test with that reason in acceptance mode, never silently.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from dezky_infra.authentik.api import sessions, versions
from dezky_infra.authentik.api.client import USER_AGENT, AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.lookups import forget_reference_data
from dezky_infra.authentik.api.password_login import log_out, login_with_password
from dezky_infra.authentik.provider.base import AuthentikResourceProvider
from tests.authentik_server import AuthentikServer
from tests.authentik_server.versions import VERSIONS as SERVER_VERSIONS

URL_VARIABLE: Final = "DEZKY_ACCEPTANCE_AUTHENTIK_URL"
PASSWORD_VARIABLE: Final = "DEZKY_ACCEPTANCE_AKADMIN_PASSWORD"
TOKEN_VARIABLE: Final = "DEZKY_ACCEPTANCE_AUTHENTIK_TOKEN"
CA_VARIABLE: Final = "DEZKY_ACCEPTANCE_CA_BUNDLE"
RUN_ID: Final = secrets.token_hex(3)
"""This test run's part of every acceptance prefix (``t<run>-<module>-``)."""
_MODULES = itertools.count(1)
LOCAL_VERSIONS: Final = tuple(SERVER_VERSIONS)
"""The authentik releases the local server can be; every suite that asks for ``authentik_version`` runs on
each (``conftest.pytest_generate_tests``)."""
REAL: Final = "real"
"""The ``authentik_version`` in acceptance mode: whatever release the real authentik is (detected)."""
P = TypeVar("P", bound=AuthentikResourceProvider[Any])


def acceptance_url() -> str | None:
    """The real authentik's base URL in acceptance mode, else None."""
    return os.environ.get(URL_VARIABLE) or None


def target_versions() -> tuple[str, ...]:
    """What ``authentik_version`` takes: each release of the local server, or the real authentik's own."""
    return (REAL,) if acceptance_url() else LOCAL_VERSIONS


@dataclass
class Target:
    """One authentik for a test module, and what the tests may assume about it."""

    url: str
    password: str
    prefix: str
    """Put before every name the module's stacks give authentik (empty on the local server)."""
    server: AuthentikServer | None = None
    """The local server; None against a real authentik."""
    token: str | None = None
    """An API token for the tests' own calls (None: they log in with the password)."""
    ca_bundle: str | None = None
    sessions_before: frozenset[str] = frozenset()
    """Authenticated sessions that existed when the module started (acceptance mode)."""

    @property
    def acceptance(self) -> bool:
        """True against a real authentik."""
        return self.server is None

    def local(self, why: str) -> AuthentikServer:
        """The local server, for what only it can do; in acceptance mode the test is skipped with ``why``."""
        if self.server is None:
            pytest.skip(f"needs the local authentik-compatible server: {why}")
        return self.server

    def release_line(self) -> str:
        """The authentik release line this target is (``2026.2``): the local server's, or the real one's
        as the providers learn it."""
        if self.server is not None:
            return self.server.version.name
        with self.admin() as admin:
            server = versions.learn(admin)
        return server.release.line if server.release is not None else server.name

    def named(self, name: str) -> str:
        """``name`` as a stack of this module gives it to authentik."""
        return f"{self.prefix}{name}"

    def stack_config(self, token: str) -> tuple[dict[str, str], dict[str, str]]:
        """Plain and secret stack config that points a stack at this authentik, with its API token
        ``token`` (a new key each run against a real authentik, so the token does not exist yet)."""
        plain = {"authentikUrl": self.url, "authentikPublicUrl": self.url}
        if self.prefix:
            plain["namePrefix"] = self.prefix
        if self.ca_bundle:
            plain["authentikCaBundle"] = self.ca_bundle
        key = f"{token}-{RUN_ID}" if self.acceptance else token
        return plain, {"authentikToken": key, "authentikBootstrapPassword": self.password}

    def provider_config(self, **overrides: str) -> dict[str, str]:
        """Stack config as a dynamic provider's ``configure()`` receives it, for this authentik."""
        config = {
            "dezky:authentikUrl": self.url,
            "dezky:authentikToken": self.token or "",
            "dezky:authentikBootstrapPassword": self.password,
            "dezky:authentikCaBundle": self.ca_bundle or "",
            "dezky:authentikRetryDeadlineSeconds": "5",
            **overrides,
        }
        return {key: value for key, value in config.items() if value != ""}

    def configured(self, provider: P, **overrides: str) -> P:
        """``provider`` configured for this authentik, in a fresh "process" (no session, no lookups)."""
        forget_reference_data()
        sessions.forget()
        versions.forget()
        provider.configure(ConfigureRequest(Config(self.provider_config(**overrides), "dezky")))
        return provider

    def end_provider_sessions(self) -> None:
        """Log out the session the providers of this process logged in with (none with a token)."""
        with AuthentikClient(ConnectionSettings(url=self.url, ca_bundle=self.ca_bundle)) as client:
            sessions.end_for(client)

    @contextmanager
    def admin(self) -> Iterator[AuthentikClient]:
        """A client acting for "someone else" (the UI, a script), with the token or a password session
        that is logged out again."""
        settings = ConnectionSettings(
            url=self.url,
            token=self.token,
            bootstrap_password=self.password,
            ca_bundle=self.ca_bundle,
            retry_deadline_seconds=10,
        )
        with AuthentikClient(settings) as client:
            if self.token is None:
                login_with_password(client)
            try:
                yield client
            finally:
                if client.session_mode:
                    log_out(client)

    def our_sessions(self, admin: AuthentikClient) -> set[str]:
        """The authenticated sessions dezky-infra opened (its User-Agent), by uuid."""
        rows = admin.list_all("core/authenticated_sessions/")
        return {
            row["uuid"]
            for row in rows
            if row["user_agent"]["string"].startswith(USER_AGENT) and not row["current"]  # not this one
        }

    def clean_up(self) -> None:
        """Delete every object whose name carries this target's prefix, and the sessions dezky-infra
        opened since the module started and could not log out itself (a provider process that never
        made its token keeps its session: ``dezky_infra.authentik.api.sessions``); nothing else."""
        if not self.prefix:
            return
        with self.admin() as admin:
            for uuid in self.our_sessions(admin) - self.sessions_before:
                admin.delete(f"core/authenticated_sessions/{uuid}/")
            apps = admin.list_all("core/applications/", {"superuser_full_list": "true"})
            for app in apps:
                if app["slug"].startswith(self.prefix):
                    admin.delete(f"core/applications/{app['slug']}/")
            for kind, field_name, key in (
                ("providers/oauth2/", "name", "pk"),
                ("core/groups/", "name", "pk"),
                ("core/tokens/", "identifier", "identifier"),
                ("core/brands/", "domain", "brand_uuid"),
            ):
                for row in admin.list_all(kind):
                    if str(row[field_name]).startswith(self.prefix):
                        admin.delete(f"{kind}{row[key]}/")


def module_target(*, bootstrap_token: str | None, password: str, version: str) -> Iterator[Target]:
    """A test module's authentik: a fresh local server of release ``version`` with ``bootstrap_token`` and
    ``password``, or in acceptance mode the real one (``version`` is then ``REAL``), with this module's
    own prefix, cleaned up at the end. Use it as the body of a module-scoped fixture that takes the
    ``authentik_version`` parameter (``yield from module_target(..., version=authentik_version)``)."""
    url = acceptance_url()
    if url is None:
        server = AuthentikServer(
            bootstrap_token=bootstrap_token, akadmin_password=password, version=version
        ).start()
        try:
            yield Target(url=server.url, password=password, prefix="", server=server, token=bootstrap_token)
        finally:
            server.stop()
        return
    password_env = os.environ.get(PASSWORD_VARIABLE)
    if not password_env:
        pytest.fail(f"acceptance mode needs {PASSWORD_VARIABLE} (akadmin's password) beside {URL_VARIABLE}")
    target = Target(
        url=url.rstrip("/"),
        password=password_env,
        prefix=f"t{RUN_ID}-{next(_MODULES)}-",
        token=os.environ.get(TOKEN_VARIABLE) or None,
        ca_bundle=os.environ.get(CA_VARIABLE) or None,
    )
    with target.admin() as admin:
        target.sessions_before = frozenset(target.our_sessions(admin))
    try:
        yield target
    finally:
        target.end_provider_sessions()
        target.clean_up()
