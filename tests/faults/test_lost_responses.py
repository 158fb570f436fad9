"""Lost responses: authentik commits a write, then the connection is reset before the answer arrives.

The client retries (POST too), authentik answers the retried create with a unique-violation 400, and
the resource adopts the object its own lost create made. When no retry is left (deadline spent), the
create fails and the next one (the next ``pulumi up``) adopts it. Never a duplicate provider,
application, group or token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import CreateResult

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.errors import AuthentikUnavailableError
from dezky_infra.authentik.application import ApplicationProvider
from dezky_infra.authentik.group import GroupProvider
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.authentik.provider.base import AuthentikResourceProvider
from dezky_infra.authentik.token import ApiTokenProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import configured
from tests.engine.harness import changes
from tests.faults.support import assert_no_duplicates, engine_admin, engine_project, engine_server

SERVICE_KEY = "lost-response-service-key-5e4d3c2b1a09"
NO_RETRY = {"dezky:authentikRetryDeadlineSeconds": "0"}


@dataclass(frozen=True)
class Case:
    """One resource type: its provider, inputs, the create route, and where it shows in the inventory."""

    name: str
    provider: Callable[[], AuthentikResourceProvider[Any]]
    inputs: Callable[[AuthentikClient], dict[str, Any]]
    route: str
    kind: str
    key: str


def _app_inputs(admin: AuthentikClient) -> dict[str, Any]:
    flows = {f["slug"]: f["pk"] for f in admin.list_all("flows/instances/")}
    made = admin.post(
        "providers/oauth2/",
        {
            "name": "app-backing-provider",
            "authorization_flow": flows["default-provider-authorization-implicit-consent"],
            "invalidation_flow": flows["default-provider-invalidation-flow"],
            "redirect_uris": [{"matching_mode": "strict", "url": "https://app.dezky.local/cb"}],
        },
    )
    return {
        "name": "Dezky Portal",
        "slug": "dezky-portal",
        "provider": made["pk"],
        "public_url": "https://auth.dezky.local",
    }


CASES = [
    Case(
        "group",
        GroupProvider,
        lambda _: {"name": "tenant-acme", "attributes": {"tier": "gold"}},
        "/api/v3/core/groups/",
        "groups",
        "tenant-acme",
    ),
    Case(
        "oauth2 provider",
        OAuth2ProviderProvider,
        lambda _: {"name": "dezky-portal", "redirect_uris": [{"url": "https://app.dezky.local/cb"}]},
        "/api/v3/providers/oauth2/",
        "providers",
        "dezky-portal",
    ),
    Case(
        "application",
        ApplicationProvider,
        _app_inputs,
        "/api/v3/core/applications/",
        "applications",
        "dezky-portal",
    ),
    Case(
        "token",
        ApiTokenProvider,
        lambda _: {"identifier": "dezky-bootstrap-token", "key": SERVICE_KEY},
        "/api/v3/core/tokens/",
        "tokens",
        "dezky-bootstrap-token",
    ),
]


def _create(
    case: Case, server: AuthentikServer, admin: AuthentikClient, **config: str
) -> tuple[Any, dict[str, Any]]:
    provider = configured(case.provider(), server, **config)
    inputs = provider.check({}, case.inputs(admin)).inputs
    return provider, inputs


def assert_created_once(
    case: Case, server: AuthentikServer, admin: AuthentikClient, created: CreateResult
) -> None:
    """The object exists exactly once, the create's id and outputs are the live object's."""
    inventory = assert_no_duplicates(admin)
    assert inventory[case.kind][case.key] == 1
    assert [c for c in server.calls if c.dropped], "the fault did not fire"
    if case.kind == "providers":
        live = admin.get(f"providers/oauth2/{created.id}/")
        assert (created.outs or {})["client_secret"] == live["client_secret"]
    if case.kind == "tokens":
        with AuthentikClient(ConnectionSettings(url=server.url, token=SERVICE_KEY)) as owner:
            assert owner.get("core/users/me/")["user"]["username"] == "akadmin"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_lost_create_response_is_retried_and_adopted(
    case: Case, fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    provider, inputs = _create(case, fresh_authentik, admin)
    fresh_authentik.faults.drop_response_after_write(1, path_prefix=case.route)
    created = provider.create(inputs)
    posts = [c.status for c in fresh_authentik.calls if c.method == "POST" and c.path == case.route]
    assert posts == [201, 400]  # committed (response lost), then the retry hit the unique name
    assert_created_once(case, fresh_authentik, admin, created)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_lost_create_response_without_retry_time_is_adopted_by_the_next_create(
    case: Case, fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    """The deadline is spent when the response is lost: this run fails, the next one adopts."""
    provider, inputs = _create(case, fresh_authentik, admin, **NO_RETRY)
    fresh_authentik.faults.drop_response_after_write(1, path_prefix=case.route)
    with pytest.raises(AuthentikUnavailableError):
        provider.create(inputs)
    next_run = configured(case.provider(), fresh_authentik)
    created = next_run.create(inputs)
    assert_created_once(case, fresh_authentik, admin, created)


def test_lost_set_key_response_is_retried(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    case = CASES[-1]
    provider, inputs = _create(case, fresh_authentik, admin)
    fresh_authentik.faults.drop_response_after_write(
        1, path_prefix="/api/v3/core/tokens/dezky-bootstrap-token/set_key/"
    )
    created = provider.create(inputs)
    set_keys = [c.status for c in fresh_authentik.calls if c.path.endswith("/set_key/")]
    assert set_keys == [204, 204]
    assert_created_once(case, fresh_authentik, admin, created)


def test_lost_token_create_on_a_fresh_authentik_in_session_mode(authentik: AuthentikServer) -> None:
    """No API token yet: the provider logs in with the password; the lost create is still adopted."""
    authentik.wipe(bootstrap_token=None)
    authentik.faults.clear()
    authentik.reset_calls()
    try:
        tokens = configured(ApiTokenProvider(), authentik, **{"dezky:authentikToken": SERVICE_KEY})
        inputs = tokens.check({}, {"identifier": "dezky-bootstrap-token", "key": SERVICE_KEY}).inputs
        authentik.faults.drop_response_after_write(1, path_prefix="/api/v3/core/tokens/")
        created = tokens.create(inputs)
        with AuthentikClient(ConnectionSettings(url=authentik.url, token=SERVICE_KEY)) as owner:
            assert_created_once(CASES[-1], authentik, owner, created)
    finally:
        authentik.faults.clear()
        authentik.wipe()


def test_lost_update_and_delete_responses(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    groups = configured(GroupProvider(), fresh_authentik)
    inputs = groups.check({}, {"name": "tenant-acme"}).inputs
    created = groups.create(inputs)
    changed = groups.check({}, {"name": "tenant-acme", "attributes": {"tier": "gold"}}).inputs
    fresh_authentik.faults.drop_response_after_write(1, path_prefix=f"/api/v3/core/groups/{created.id}/")
    groups.update(created.id, created.outs or {}, changed)
    assert admin.get(f"core/groups/{created.id}/")["attributes"] == {"tier": "gold"}
    fresh_authentik.faults.drop_response_after_write(1, path_prefix=f"/api/v3/core/groups/{created.id}/")
    groups.delete(created.id, changed)  # the retried DELETE sees 404: already gone is fine
    assert admin.get_or_none(f"core/groups/{created.id}/") is None
    deletes = [c.status for c in fresh_authentik.calls if c.method == "DELETE"]
    assert deletes == [204, 404]


ROUTES = (
    "/api/v3/core/tokens/",
    "/api/v3/providers/oauth2/",
    "/api/v3/core/applications/",
    "/api/v3/core/groups/",
)


def test_engine_up_with_lost_responses_never_duplicates(tmp_path: Path, authentik_version: str) -> None:
    """One lost create response per kind: the up retries and adopts. Then a lost response with no retry
    time left fails that up, and the next up adopts the orphan."""
    server = engine_server(authentik_version)
    try:
        project = engine_project(tmp_path, server)
        for route in ROUTES:
            server.faults.drop_response_after_write(1, path_prefix=route)
        up = project.up()
        assert changes(up.summary.resource_changes) == {"create": 10}
        assert sum(1 for c in server.calls if c.dropped) == len(ROUTES)
        with engine_admin(server) as admin:
            before = assert_no_duplicates(admin)
        assert before["providers"] == {"dezky-portal": 1, "ocis-provider": 1}
        assert changes(project.refresh().summary.resource_changes) == {}

        project.configure({"authentikRetryDeadlineSeconds": "0"}, {})
        project.set_object("tenants", [{"slug": "acme"}, {"slug": "globex"}, {"slug": "initech"}])
        server.faults.drop_response_after_write(1, path_prefix="/api/v3/core/groups/")
        with pytest.raises(Exception, match="did not answer POST /api/v3/core/groups/"):
            project.up()
        with engine_admin(server) as admin:
            assert assert_no_duplicates(admin)["groups"]["tenant-initech"] == 1  # the orphan

        project.configure({"authentikRetryDeadlineSeconds": "10"}, {})
        up = project.up()
        assert changes(up.summary.resource_changes) == {"create": 1}
        with engine_admin(server) as admin:
            after = assert_no_duplicates(admin)
        assert after["groups"]["tenant-initech"] == 1
        assert changes(project.preview().change_summary) == {}
    finally:
        server.stop()
