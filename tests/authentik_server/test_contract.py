"""The contract layer: model loading per client release, response checks and the deviation lists."""

from __future__ import annotations

import dataclasses
import sys

import httpx
import pytest

from tests.authentik_server import contract, versions
from tests.authentik_server.conftest import TOKEN
from tests.authentik_server.replay import TRANSCRIPTS
from tests.authentik_server.server import AuthentikServer

OLD = contract.for_client(versions.V2025_10.client)
NEW = contract.for_client(versions.V2026_2.client)


def _client_modules() -> list[str]:
    return [
        name for name in sys.modules if name == "authentik_client" or name.startswith("authentik_client.")
    ]


def test_models_load_without_leaving_modules_behind() -> None:
    token = OLD.model("Token")
    assert token.__name__ == "Token"
    assert NEW.model("Group").__name__ == "Group"
    assert not _client_modules()  # neither release's modules nor the namespace stand-ins stay


def test_two_releases_side_by_side_never_mix() -> None:
    old, new = OLD.model("Group"), NEW.model("Group")
    assert old is not new
    assert "parent" in old.model_fields and "parents" not in old.model_fields
    assert "parents" in new.model_fields and "parent" not in new.model_fields
    # the nested models come from the same release as their owner
    assert contract.list_item_type(contract.field_type(new, "parents_obj")).__name__ == "RelatedGroup"
    old_user, new_user = OLD.model("User"), NEW.model("User")
    old_partial = contract.list_item_type(contract.field_type(old_user, "groups_obj"))
    new_partial = contract.list_item_type(contract.field_type(new_user, "groups_obj"))
    assert "parent" in old_partial.model_fields
    assert "parent" not in new_partial.model_fields
    assert old_user is OLD.model("User")  # loaded once


def test_every_contract_has_its_own_classes() -> None:
    """A further release is loaded the same way (a third Contract, here on 2026.2.2's files again)."""
    third = contract.Contract("third", NEW.root)
    assert third.model("Group") is not NEW.model("Group")
    assert third.model("Group").model_fields.keys() == NEW.model("Group").model_fields.keys()
    assert contract.nullable_fields(third.model("Group")) == contract.nullable_fields(NEW.model("Group"))
    assert not _client_modules()


def test_a_server_can_check_against_another_client() -> None:
    """versions.get() takes an AuthentikVersion: 2026.2's behaviour, another client's models."""
    other = dataclasses.replace(versions.V2026_2, client=versions.V2026_2.client)
    with AuthentikServer(bootstrap_token=TOKEN, version=other) as server:
        assert server.version is other and server.contract is NEW
        answer = httpx.get(
            server.url + "/api/v3/admin/version/", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.json()["version_current"] == "2026.2.2"


def test_an_already_imported_client_is_left_alone() -> None:
    sentinel = type(sys)("authentik_client")
    sys.modules["authentik_client"] = sentinel
    try:
        assert NEW.model("Version").__name__ == "Version"
        assert sys.modules["authentik_client"] is sentinel
    finally:
        del sys.modules["authentik_client"]


def test_each_version_has_its_client() -> None:
    for version in versions.VERSIONS.values():
        assert contract.for_client(version.client).client == version.client
    assert NEW.root.is_relative_to(contract.CONTRACTS_DIR)
    assert versions.V2026_2.client in contract.extra_clients()
    with pytest.raises(contract.ContractUnavailable, match=r"setup\.sh"):
        contract.package_dir("1999.1.1")


def test_nullable_fields_come_from_the_schema() -> None:
    assert contract.nullable_fields(OLD.model("Token")) == {"managed", "expires"}
    assert "client_type" not in contract.nullable_fields(OLD.model("OAuth2Provider"))
    assert "meta_icon" in contract.nullable_fields(OLD.model("Application"))


@pytest.mark.parametrize(
    "deviation",
    [(client, d) for client, listed in contract.DEVIATIONS.items() for d in listed],
    ids=lambda cd: f"{cd[0]}:{cd[1].model}.{'|'.join(cd[1].fields)}",
)
def test_each_deviation_is_real(deviation: tuple[str, contract.Deviation]) -> None:
    client, found = deviation
    cls = contract.for_client(client).model(found.model)
    assert found.kind in (contract.NULL, contract.ABSENT, contract.EXTRA)
    assert all(f == "*" or f in cls.model_fields for f in found.fields)
    folder = {v.client: v for v in versions.VERSIONS.values()}[client].transcripts
    if folder.exists():
        assert (folder / found.transcript).exists()


def test_check_response_rejects_unknown_null_and_missing() -> None:
    good = {"key": "abc"}
    OLD.check_response("TokenView", good)
    for bad in ({"key": "abc", "extra": 1}, {"key": None}, {}):
        with pytest.raises(contract.ContractViolation):
            OLD.check_response("TokenView", bad)


def test_deviations_are_narrow() -> None:
    base = {"authorize": "a", "token": "t", "user_info": "u"}
    OLD.check_response(
        "OAuth2ProviderSetupURLs", {"issuer": None, **base, "provider_info": None, "logout": None}
    )
    with pytest.raises(contract.ContractViolation):  # null authorize is not a recorded deviation
        OLD.check_response(
            "OAuth2ProviderSetupURLs",
            {**base, "authorize": None, "issuer": "i", "provider_info": "p", "logout": "l", "jwks": "j"},
        )
    with pytest.raises(contract.ContractViolation):  # unknown keys stay forbidden
        OLD.check_response(
            "OAuth2ProviderSetupURLs",
            {**base, "issuer": "i", "provider_info": "p", "logout": "l", "jwks": "j", "extra": "x"},
        )


def test_a_broken_response_is_a_loud_500(server: AuthentikServer) -> None:
    with server.db.lock:
        flow = next(iter(server.db.flows.values()))
        flow["designation"] = "not-a-designation"
    try:
        response = httpx.get(server.url + "/api/v3/flows/instances/", headers={"Authorization": "Bearer x"})
        assert response.status_code == 403  # authentication still comes first
        response = httpx.get(
            server.url + "/api/v3/flows/instances/", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status_code == 500
        assert "contract violation" in response.json()["detail"]
        assert server.contract_violations
    finally:
        server.contract_violations.clear()
        server.wipe()


def test_transcripts_folder_is_the_default_versions() -> None:
    assert versions.DEFAULT.transcripts == TRANSCRIPTS
