"""Name lookups do not wait in line: one resource's names are asked at the same time, resources that
check at the same time ask each name once (the engine runs several resources' checks and creates at
once), and once ``AuthentikReady`` is created the whole lists are on their way before anyone asks."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest

from dezky_infra.authentik.api.lookups import REFERENCE_PATHS
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.authentik.readiness import ReadinessProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import configured, stack_config

PORTAL: dict[str, Any] = {
    "name": "dezky-portal",
    "client_id": "dezky-portal",
    "redirect_uris": [{"url": "https://app.dezky.local/api/auth/callback"}],
}
SLOW_SECONDS = 0.4
"""About what one flow or keypair lookup takes on a real authentik (29-latency.json)."""
LOOKUP_ROUTES = (
    "/api/v3/flows/instances/",
    "/api/v3/crypto/certificatekeypairs/",
    "/api/v3/propertymappings/",
)


def lookups(server: AuthentikServer) -> Counter[str]:
    """The lookups the server answered, by path and query."""
    return Counter(
        f"{call.path}?{call.query_string}" for call in server.calls if call.path.startswith(LOOKUP_ROUTES)
    )


def slow_lookups(server: AuthentikServer) -> None:
    server.faults.latency(
        0.0,
        {
            "GET /api/v3/flows/instances/": SLOW_SECONDS,
            "GET /api/v3/crypto/certificatekeypairs/": SLOW_SECONDS,
            "GET /api/v3/propertymappings/provider/scope/": SLOW_SECONDS,
        },
    )


def test_one_resources_names_are_asked_at_the_same_time(fresh_authentik: AuthentikServer) -> None:
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    inputs = provider.check({}, PORTAL).inputs  # learn the release first: this test times the lookups
    configured(provider, fresh_authentik)
    slow_lookups(fresh_authentik)
    started = time.monotonic()
    created = provider.create(inputs)
    elapsed = time.monotonic() - started
    assert created.outs["authentik_ids"]["scopes"]
    assert len(lookups(fresh_authentik)) == 4  # two flows, the key, the scope mappings
    assert elapsed < 2 * SLOW_SECONDS, elapsed  # one after another they took at least 4 x 0.4 s


def test_resources_checking_at_once_ask_each_name_once(fresh_authentik: AuthentikServer) -> None:
    provider = configured(OAuth2ProviderProvider(), fresh_authentik)
    slow_lookups(fresh_authentik)
    clients = [{**PORTAL, "name": f"client-{n}", "client_id": f"client-{n}"} for n in range(8)]
    with ThreadPoolExecutor(max_workers=4) as engine:  # the provider host's four workers
        results = list(engine.map(lambda news: provider.check({}, news), clients))
    assert all(result.failures == [] for result in results)
    asked = lookups(fresh_authentik)
    assert set(asked.values()) == {1}, asked
    assert len(asked) == 4


def whole_lists_asked(server: AuthentikServer) -> Counter[str]:
    """The reference lists asked for whole (no name in the query), by path."""
    return Counter(
        call.path
        for call in server.calls
        if call.path.startswith(LOOKUP_ROUTES) and not ({"slug", "name"} & set(call.query))
    )


def test_a_created_ready_prefetches_the_lists_the_names_are_then_found_in(
    fresh_authentik: AuthentikServer,
) -> None:
    """authentik was just made: the lists are asked while the token is made, not after it."""
    ready = configured(ReadinessProvider(), fresh_authentik)
    provider = OAuth2ProviderProvider()  # in the same process: configured without forgetting the lists
    provider.configure(ConfigureRequest(Config(stack_config(fresh_authentik), "dezky")))
    slow_lookups(fresh_authentik)
    ready.create(ready.check({}, {"trigger": "t"}).inputs)
    time.sleep(2 * SLOW_SECONDS)  # the token is made meanwhile (about 0.3 s on a real authentik)
    started = time.monotonic()
    created = provider.create(provider.check({}, PORTAL).inputs)
    assert time.monotonic() - started < SLOW_SECONDS  # nothing left to wait for
    assert created.outs["authentik_ids"]["signing_key"]
    assert whole_lists_asked(fresh_authentik) == Counter({f"/api/v3/{path}": 1 for path in REFERENCE_PATHS})
    assert len(lookups(fresh_authentik)) == 3  # and nothing asked by name


def test_a_lookup_asks_itself_when_the_prefetch_failed(fresh_authentik: AuthentikServer) -> None:
    ready = configured(ReadinessProvider(), fresh_authentik)
    provider = OAuth2ProviderProvider()
    provider.configure(ConfigureRequest(Config(stack_config(fresh_authentik), "dezky")))
    fresh_authentik.faults.fail_next(1, status=400, path_prefix="/api/v3/flows/instances/")
    ready.create(ready.check({}, {"trigger": "t"}).inputs)
    assert provider.check({}, PORTAL).failures == []
    flows = [call.status for call in fresh_authentik.calls if call.path == "/api/v3/flows/instances/"]
    assert flows == [400, 200]  # the prefetch's, then the check's own
