"""What each authentik release can do (``versions``), and how a process learns which one it talks to."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from dezky_infra.authentik.api import versions
from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.errors import AuthentikAuthError
from dezky_infra.authentik.api.versions import DIALECTS, Release, UnsupportedVersion, dialect_for
from tests.authentik_server import AuthentikServer
from tests.conftest import ADMIN_TOKEN

OLD, NEW = DIALECTS


@pytest.mark.parametrize(
    ("text", "release"),
    [
        ("2025.10.4", Release(2025, 10, 4)),
        ("2026.2.2", Release(2026, 2, 2)),
        ("2025.12.0-rc1", Release(2025, 12, 0)),
        ("2024.10", Release(2024, 10, 0)),
        ("dev", None),
        ("", None),
    ],
)
def test_release_numbers_parse_as_authentik_writes_them(text: str, release: Release | None) -> None:
    assert Release.parse(text) == release


@pytest.mark.parametrize(
    ("release", "dialect"),
    [
        (Release(2024, 10, 0), OLD),
        (Release(2025, 10, 4), OLD),
        (Release(2025, 12, 0), NEW),
        (Release(2026, 2, 2), NEW),
        (Release(2026, 8, 5), NEW),
    ],
)
def test_each_release_speaks_the_dialect_of_the_newest_change_before_it(
    release: Release, dialect: versions.Dialect
) -> None:
    assert dialect_for(release) is dialect


def test_a_release_without_what_the_providers_need_is_refused_in_one_line() -> None:
    with pytest.raises(UnsupportedVersion) as raised:
        dialect_for(Release(2024, 8, 3))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("authentik 2024.8.3 is too old for dezky-infra: it needs 2024.10 or later")


@pytest.mark.parametrize(
    ("release", "warned"),
    [
        (Release(2025, 10, 4), False),
        (Release(2025, 12, 3), False),
        (Release(2026, 2, 7), False),
        (Release(2025, 8, 6), True),
        (Release(2026, 5, 1), True),
    ],
)
def test_only_releases_outside_the_tested_range_are_warned_about(release: Release, warned: bool) -> None:
    server = versions.Server(release, dialect_for(release), f"authentik {release}")
    warning = server.warning()
    assert (warning is not None) is warned
    if warning is not None:
        assert warning.startswith(f"authentik {release} is outside the range dezky-infra is tested with")
        assert "(2025.10 to 2026.2)" in warning


# How a Host picks a brand (transcript 31 of each release): exact, case, subdomain, no dot, port.
HOSTS = [
    ("acme.auth.dezky.local", True, True),
    ("ACME.Auth.Dezky.LOCAL", True, True),
    ("sub.acme.auth.dezky.local", True, True),
    ("xacme.auth.dezky.local", True, False),
    ("acme.auth.dezky.local:8443", False, False),
    ("auth.dezky.local", False, False),
]


@pytest.mark.parametrize(("host", "before", "after"), HOSTS)
def test_brand_matching_as_each_release_does_it(host: str, before: bool, after: bool) -> None:
    assert OLD.brand_serves("acme.auth.dezky.local", host) is before
    assert NEW.brand_serves("acme.auth.dezky.local", host) is after


def test_a_domain_with_a_port_serves_only_that_host_with_the_port() -> None:
    for dialect in DIALECTS:
        assert dialect.brand_serves("port.auth.dezky.local:8443", "port.auth.dezky.local:8443")
        assert not dialect.brand_serves("port.auth.dezky.local:8443", "port.auth.dezky.local")


def test_the_longest_matching_domain_wins() -> None:
    domains = ["auth.dezky.local", "acme.auth.dezky.local"]
    for dialect in DIALECTS:
        assert dialect.brand_for(domains, "acme.auth.dezky.local") == "acme.auth.dezky.local"
        assert dialect.brand_for(domains, "portal.auth.dezky.local") == "auth.dezky.local"
        assert dialect.brand_for(domains, "beta.dezky.local") is None


def test_a_process_asks_authentik_once_and_warns_once(fresh_authentik: AuthentikServer) -> None:
    warnings: list[str] = []
    settings = ConnectionSettings(url=fresh_authentik.url, token=ADMIN_TOKEN, retry_deadline_seconds=2)
    for _ in range(3):
        with AuthentikClient(settings) as client:
            server = versions.learn(client, warnings.append)
    assert server.release == Release.parse(fresh_authentik.version.release)
    assert [c.path for c in fresh_authentik.calls] == ["/api/v3/admin/version/"]
    assert warnings == []  # both recorded releases are tested ones


def test_resources_that_start_together_ask_once(fresh_authentik: AuthentikServer) -> None:
    """The engine reads a stack's resources at once (a refresh): the first asks, the others wait for
    its answer instead of asking too (seen as a second ``admin/version/`` on a busy machine)."""
    fresh_authentik.faults.latency(0.0, {"GET /api/v3/admin/version/": 0.3})
    settings = ConnectionSettings(url=fresh_authentik.url, token=ADMIN_TOKEN, retry_deadline_seconds=2)

    def learn(_: int) -> versions.Server:
        with AuthentikClient(settings) as client:
            return versions.learn(client)

    with ThreadPoolExecutor(max_workers=4) as engine:  # the provider host's four workers
        learned = set(engine.map(learn, range(4)))
    assert len(learned) == 1
    assert [c.path for c in fresh_authentik.calls] == ["/api/v3/admin/version/"]


def test_without_credentials_the_anonymous_current_brand_tells_the_dialect(
    fresh_authentik: AuthentikServer,
) -> None:
    settings = ConnectionSettings(url=fresh_authentik.url, retry_deadline_seconds=2)
    with AuthentikClient(settings) as client:
        with pytest.raises(AuthentikAuthError):  # a provider logs in and asks again instead
            versions.learn(client)
        server = versions.learn(client, anonymous=True)
    expected = OLD if fresh_authentik.version.name == "2025.10" else NEW
    assert (server.release, server.dialect) == (None, expected)


def test_an_untested_release_is_warned_about_once_per_process() -> None:
    answers = {"/api/v3/admin/version/": {"version_current": "2026.8.5"}}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answers[request.url.path]))
    warnings: list[str] = []
    settings = ConnectionSettings(url="https://newer.example", token="t", retry_deadline_seconds=0)
    versions.forget()
    for _ in range(2):
        with AuthentikClient(settings, transport=transport) as client:
            assert versions.learn(client, warnings.append).dialect is NEW
    assert warnings == [
        "authentik 2026.8.5 is outside the range dezky-infra is tested with (2025.10 to 2026.2); carrying "
        "on with the 2025.12 dialect: check the result with `python -m dezky_infra verify`"
    ]
    versions.forget()
