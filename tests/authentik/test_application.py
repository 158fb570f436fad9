"""Application lifecycle against the local authentik-compatible server."""

from __future__ import annotations

from typing import Any

import pytest

from dezky_infra.authentik.application import ApplicationProvider
from dezky_infra.authentik.client import AuthentikClient
from dezky_infra.authentik.errors import AuthentikValidationError
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import configured


def make_provider(server: AuthentikServer, name: str) -> int:
    provider = configured(OAuth2ProviderProvider(), server)
    inputs = provider.check(
        {}, {"name": name, "redirect_uris": [{"url": f"https://{name}.dezky.local/cb"}]}
    ).inputs
    return int(provider.create(inputs).outs["pk"])


def app_inputs(provider_pk: int, **overrides: Any) -> dict[str, Any]:
    news = {
        "name": "Dezky Portal",
        "slug": "dezky-portal",
        "provider": provider_pk,
        "launch_url": "https://app.dezky.local/",
        "public_url": "https://auth.dezky.local",
        **overrides,
    }
    result = ApplicationProvider().check({}, news)
    assert result.failures == []
    return result.inputs


def test_create_read_update_delete_and_issuer(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    pk = make_provider(fresh_authentik, "portal")
    apps = configured(ApplicationProvider(), fresh_authentik)
    inputs = app_inputs(pk)
    created = apps.create(inputs)
    assert created.id == "dezky-portal"
    assert created.outs["issuer"] == "https://auth.dezky.local/application/o/dezky-portal/"
    live = admin.get("core/applications/dezky-portal/")
    assert live["provider"] == pk and live["meta_launch_url"] == "https://app.dezky.local/"
    read = apps.read(created.id, created.outs)
    assert read.inputs == inputs
    assert apps.diff(created.id, read.outs, inputs).changes is False

    renamed = app_inputs(pk, name="Dezky Portal (dev)")
    apps.update(created.id, created.outs, renamed)
    assert admin.get("core/applications/dezky-portal/")["name"] == "Dezky Portal (dev)"

    apps.delete(created.id, created.outs)
    assert admin.get_or_none("core/applications/dezky-portal/") is None
    # authentik leaves the provider in place
    assert admin.get(f"providers/oauth2/{pk}/")["assigned_application_slug"] is None


def test_out_of_band_delete_and_change_show_on_refresh(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    pk = make_provider(fresh_authentik, "portal")
    apps = configured(ApplicationProvider(), fresh_authentik)
    created = apps.create(app_inputs(pk))
    admin.patch("core/applications/dezky-portal/", {"policy_engine_mode": "all"})
    read = apps.read(created.id, created.outs)
    assert read.inputs["policy_engine_mode"] == "all"
    admin.delete("core/applications/dezky-portal/")
    assert apps.read(created.id, created.outs).id is None


def test_create_adopts_existing_slug(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    pk = make_provider(fresh_authentik, "portal")
    admin.post("core/applications/", {"name": "Portal (by hand)", "slug": "dezky-portal"})
    apps = configured(ApplicationProvider(), fresh_authentik)
    apps.create(app_inputs(pk))
    listed = admin.list_all("core/applications/", {"superuser_full_list": "true"})
    assert [(a["slug"], a["name"], a["provider"]) for a in listed] == [("dezky-portal", "Dezky Portal", pk)]


def test_provider_bound_elsewhere_is_reported(fresh_authentik: AuthentikServer) -> None:
    pk = make_provider(fresh_authentik, "portal")
    apps = configured(ApplicationProvider(), fresh_authentik)
    apps.create(app_inputs(pk))
    with pytest.raises(AuthentikValidationError) as raised:
        apps.create(app_inputs(pk, slug="second"))
    assert raised.value.fields == {"provider": ["Application with this provider already exists."]}
