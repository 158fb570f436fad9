"""Each resource's fields are stated once, by its spec: the keyword arguments, the spec and the inputs read
back from authentik name exactly the same fields, and the defaults are the spec's alone."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from pulumi.dynamic import Resource

from dezky_infra.authentik import application, brand, group, oauth2_provider, readiness, token
from dezky_infra.authentik.application import Application, ApplicationSpec
from dezky_infra.authentik.brand import Brand, BrandSpec
from dezky_infra.authentik.group import Group, GroupSpec
from dezky_infra.authentik.oauth2_provider import OAuth2Provider, OAuth2ProviderSpec
from dezky_infra.authentik.provider.base import ResourceSpec
from dezky_infra.authentik.provider.declaration import UNSET, AuthentikResource, output_names
from dezky_infra.authentik.readiness import AuthentikReady, ReadinessSpec
from dezky_infra.authentik.token import ApiToken, ApiTokenSpec

# What authentik 2025.10 answers for each kind (the keys the mappings read; values as recorded).
LIVE_GROUP = {
    "pk": "6f2f878d",
    "num_pk": 1,
    "name": "g",
    "attributes": {},
    "parent": None,
    "is_superuser": False,
}
# A group as 2025.12 and later answer it (2026.2 transcript 17).
LIVE_GROUP_PARENTS = {**{k: v for k, v in LIVE_GROUP.items() if k != "parent"}, "parents": ["5d1e"]}
LIVE_APPLICATION = {
    "pk": "7b1c",
    "name": "Dezky Portal",
    "slug": "dezky-portal",
    "provider": 5,
    "meta_launch_url": "",
    "policy_engine_mode": "any",
    "group": "",
}
LIVE_TOKEN = {
    "pk": "71c7",
    "identifier": "t",
    "user": 6,
    "description": "",
    "intent": "api",
    "expiring": False,
}
LIVE_PROVIDER = {
    "pk": 5,
    "name": "dezky-portal",
    "client_type": "confidential",
    "client_id": "dezky-portal",
    "client_secret": "s",
    "redirect_uris": [{"matching_mode": "strict", "url": "https://app.dezky.local/cb"}],
    "sub_mode": "hashed_user_id",
    "issuer_mode": "per_provider",
    "access_code_validity": "minutes=1",
    "access_token_validity": "hours=1",
    "refresh_token_validity": "days=30",
}
LIVE_BRAND = {
    "brand_uuid": "0b7c",
    "domain": "acme.auth.dezky.local",
    "branding_title": "Acme",
    "default": False,
    "flow_authentication": "f1",
    "flow_invalidation": "f2",
    "flow_user_settings": None,
    "attributes": {},
}
BRAND_FLOWS = {"flow_authentication": "a", "flow_invalidation": "i", "flow_user_settings": None}
NAMES = {"authorization_flow": "f", "invalidation_flow": "i", "signing_key": "k", "scopes": ["openid"]}

CASES: list[tuple[type[Resource], type[ResourceSpec], dict[str, Any]]] = [
    (Group, GroupSpec, group.declared(LIVE_GROUP)),
    (Group, GroupSpec, group.declared(LIVE_GROUP_PARENTS)),
    (Application, ApplicationSpec, application.declared(LIVE_APPLICATION, "https://auth.dezky.local")),
    (ApiToken, ApiTokenSpec, token.declared(LIVE_TOKEN, "a-declared-key", "akadmin")),
    (OAuth2Provider, OAuth2ProviderSpec, oauth2_provider.declared(LIVE_PROVIDER, NAMES)),
    (AuthentikReady, ReadinessSpec, readiness.declared({"trigger": "t"})),
    (Brand, BrandSpec, brand.declared(LIVE_BRAND, BRAND_FLOWS)),
]
IDS = [f"{resource.__name__}-{index}" for index, (resource, _spec, _read) in enumerate(CASES)]


def keyword_arguments(resource: type[Resource]) -> dict[str, inspect.Parameter]:
    parameters = inspect.signature(resource.__init__).parameters
    return {name: p for name, p in parameters.items() if name not in {"self", "resource_name", "opts"}}


@pytest.mark.parametrize(("resource", "spec", "read_back"), CASES, ids=IDS)
def test_keyword_arguments_spec_and_read_back_inputs_name_the_same_fields(
    resource: type[Resource], spec: type[ResourceSpec], read_back: dict[str, Any]
) -> None:
    fields = set(spec.model_fields)
    assert set(keyword_arguments(resource)) == fields
    assert set(read_back) | spec.create_only == fields
    spec.model_validate(read_back)  # what a read gives back is a valid declaration


@pytest.mark.parametrize(("resource", "spec", "read_back"), CASES, ids=IDS)
def test_defaults_are_the_specs_alone(
    resource: type[Resource], spec: type[ResourceSpec], read_back: dict[str, Any]
) -> None:
    for name, parameter in keyword_arguments(resource).items():
        required = spec.model_fields[name].is_required()
        assert (parameter.default is inspect.Parameter.empty) == required, name
        assert required or parameter.default is UNSET, name
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name


def test_an_argument_the_spec_lacks_is_refused() -> None:
    with pytest.raises(TypeError, match="bogus is not an input of GroupSpec"):
        AuthentikResource.__init__(Group.__new__(Group), "g", {"name": "g", "bogus": 1})


@pytest.mark.parametrize(("resource", "spec", "read_back"), CASES, ids=IDS)
def test_an_output_that_echoes_an_optional_input_defaults_to_none(
    resource: type[Resource], spec: type[ResourceSpec], read_back: dict[str, Any]
) -> None:
    """Left out, such an input is registered as None so its output attribute exists (a generated
    client id must still be readable as ``provider.client_id``)."""
    for name in output_names(resource) & set(spec.model_fields):
        field = spec.model_fields[name]
        assert field.is_required() or field.default is None, (resource.__name__, name)


def test_an_output_echoing_a_left_out_input_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: dict[str, Any] = {}

    def record(self: Resource, provider: Any, name: str, props: dict[str, Any], opts: Any = None) -> None:
        registered.update(props)

    monkeypatch.setattr(Resource, "__init__", record)
    OAuth2Provider("p", name="p", redirect_uris=[{"url": "https://a.example/cb"}])
    assert "client_id" in registered and registered["client_id"] is None
