"""Taking over an object authentik already holds: announced, refusable (dezky:adoptExisting false), asked
for explicitly (adopt), and recognised without reading authentik's (translatable) error texts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pulumi
import pytest

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.errors import AuthentikValidationError
from dezky_infra.authentik.group import GroupProvider
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.authentik.provider.adoption import Adoption, AdoptionRefused, create_or_adopt, find_by
from dezky_infra.authentik.token import ApiTokenProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import ADMIN_TOKEN, configured

REFUSE = {"dezky:adoptExisting": "false"}


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What the providers pulumi.log.warn (the engine shows it under the resource)."""
    seen: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *args, **kwargs: seen.append(message))
    yield seen


def test_taking_over_is_announced(
    fresh_authentik: AuthentikServer, admin: AuthentikClient, warnings: list[str]
) -> None:
    theirs = admin.post("core/groups/", {"name": "tenant-acme", "attributes": {"by": "hand"}})
    groups = configured(GroupProvider(), fresh_authentik)
    created = groups.create(groups.check({}, {"name": "tenant-acme"}).inputs)
    assert created.id == theirs["pk"]
    assert admin.get(f"core/groups/{theirs['pk']}/")["attributes"] == {}  # converged to the declaration
    assert warnings == [
        f"Group `tenant-acme`: took over the existing authentik object with this name (pk {theirs['pk']}); "
        "this stack did not make it (made by hand, by another stack, or by an earlier run whose answer was "
        "lost), and manages it from now on"
    ]


def test_with_adopt_existing_false_a_create_refuses_naming_the_way_to_ask(
    fresh_authentik: AuthentikServer, admin: AuthentikClient, warnings: list[str]
) -> None:
    theirs = admin.post("core/groups/", {"name": "tenant-acme", "attributes": {"by": "hand"}})
    groups = configured(GroupProvider(), fresh_authentik, **REFUSE)
    fresh_authentik.reset_calls()
    with pytest.raises(AdoptionRefused) as raised:
        groups.create(groups.check({}, {"name": "tenant-acme"}).inputs)
    assert str(raised.value) == (
        f"Group `tenant-acme` already exists in authentik (pk {theirs['pk']}, matched by its name) and is "
        "not in this stack's state; `dezky:adoptExisting` is false, so it was not taken over. To take it "
        "over on purpose: `pulumi config set --path 'dezky:adopt[\"tenant-acme\"]' true`, then `pulumi up` "
        "(`pulumi import` cannot import dynamic-provider resources: pulumi/pulumi#16175)"
    )
    assert [c.method for c in fresh_authentik.calls if c.is_write] == ["POST"]  # the refused create only
    assert admin.get(f"core/groups/{theirs['pk']}/")["attributes"] == {"by": "hand"}
    assert warnings == []
    # asked for explicitly, it is taken over even with adoptExisting false
    asked = groups.create(groups.check({}, {"name": "tenant-acme", "adopt": True}).inputs)
    assert asked.id == theirs["pk"]


def test_a_token_is_refused_or_taken_over_the_same_way(
    fresh_authentik: AuthentikServer, admin: AuthentikClient, warnings: list[str]
) -> None:
    admin.post("core/tokens/", {"identifier": "dezky-bootstrap-token", "intent": "api", "expiring": False})
    tokens = configured(ApiTokenProvider(), fresh_authentik, **REFUSE)
    inputs = tokens.check({}, {"identifier": "dezky-bootstrap-token", "key": ADMIN_TOKEN}).inputs
    with pytest.raises(AdoptionRefused, match="ApiToken `dezky-bootstrap-token` already exists"):
        tokens.create(inputs)
    configured(ApiTokenProvider(), fresh_authentik).create(inputs)
    assert warnings[0].startswith("ApiToken `dezky-bootstrap-token`: took over the existing authentik object")


def test_adopt_is_never_a_change_after_the_create(fresh_authentik: AuthentikServer) -> None:
    providers = configured(OAuth2ProviderProvider(), fresh_authentik)
    declared = {"name": "p", "redirect_uris": [{"url": "https://a.dezky.local/cb"}]}
    created = providers.create(providers.check({}, {**declared, "adopt": True}).inputs)
    assert providers.diff(created.id, created.outs, providers.check({}, declared).inputs).changes is False


def german_authentik(existing: list[dict[str, Any]], field: str, message: str) -> httpx.MockTransport:
    """An authentik whose brand speaks German: the 400 for a taken natural key is not in English."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(400, json={field: [message]})
        if request.method == "GET":
            page = {"next": 0, "previous": 0, "count": len(existing), "current": 1, "total_pages": 1}
            return httpx.Response(200, json={"pagination": page, "results": existing})
        return httpx.Response(200, json={**existing[0], **json.loads(request.content)})

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(
    ("kind", "path", "field", "value", "pk", "message"),
    [
        (
            "OAuth2Provider",
            "providers/oauth2/",
            "name",
            "dezky-portal",
            "pk",
            "OAuth2/OpenID Anbieter mit diesem Name existiert bereits.",
        ),
        (
            "Brand",
            "core/brands/",
            "domain",
            "acme.auth.dezky.local",
            "brand_uuid",
            "Brand mit diesem Domain existiert bereits.",
        ),
    ],
)
def test_the_natural_key_is_recognised_in_any_language(
    kind: str, path: str, field: str, value: str, pk: str, message: str
) -> None:
    settings = ConnectionSettings(url="http://authentik.test", token="t" * 40, retry_deadline_seconds=0)
    adoption = Adoption(kind, field, value, allowed=True)
    theirs = [{pk: "7", field: value}]

    def adopt(transport: httpx.MockTransport) -> dict[str, Any]:
        with AuthentikClient(settings, transport=transport) as client:
            return create_or_adopt(
                client, path, {field: value}, adoption, lambda: find_by(client, path, field, value, pk=pk)
            )

    assert adopt(german_authentik(theirs, field, message))[pk] == "7"
    # the same German 400 with no object holding the key is about something else: it stands
    with pytest.raises(AuthentikValidationError, match="existiert bereits"):
        adopt(german_authentik([], field, message))
