"""The contract layer: model loading, response checks and the explicit deviation list."""

from __future__ import annotations

import sys

import httpx
import pytest

from tests.authentik_server import contract
from tests.authentik_server.conftest import TOKEN
from tests.authentik_server.replay import TRANSCRIPTS
from tests.authentik_server.server import AuthentikServer


def test_models_load_without_leaving_stub_packages() -> None:
    token = contract.model("Token")
    assert token.__name__ == "Token"
    package = sys.modules.get("authentik_client")
    assert package is None or getattr(package, "__file__", None)  # never our namespace stub


def test_nullable_fields_come_from_the_schema() -> None:
    assert contract.nullable_fields(contract.model("Token")) == {"managed", "expires"}
    assert "client_type" not in contract.nullable_fields(contract.model("OAuth2Provider"))


@pytest.mark.parametrize("deviation", contract.DEVIATIONS, ids=lambda d: f"{d.model}.{'|'.join(d.fields)}")
def test_each_deviation_is_real(deviation: contract.Deviation) -> None:
    cls = contract.model(deviation.model)
    assert deviation.kind in (contract.NULL, contract.ABSENT, contract.EXTRA)
    assert all(f == "*" or f in cls.model_fields for f in deviation.fields)
    if TRANSCRIPTS.exists():
        assert (TRANSCRIPTS / deviation.transcript).exists()


def test_check_response_rejects_unknown_null_and_missing() -> None:
    good = {"key": "abc"}
    contract.check_response("TokenView", good)
    for bad in ({"key": "abc", "extra": 1}, {"key": None}, {}):
        with pytest.raises(contract.ContractViolation):
            contract.check_response("TokenView", bad)


def test_deviations_are_narrow() -> None:
    base = {"authorize": "a", "token": "t", "user_info": "u"}
    contract.check_response(
        "OAuth2ProviderSetupURLs", {"issuer": None, **base, "provider_info": None, "logout": None}
    )
    with pytest.raises(contract.ContractViolation):  # null authorize is not a recorded deviation
        contract.check_response(
            "OAuth2ProviderSetupURLs",
            {**base, "authorize": None, "issuer": "i", "provider_info": "p", "logout": "l", "jwks": "j"},
        )
    with pytest.raises(contract.ContractViolation):  # unknown keys stay forbidden
        contract.check_response(
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
