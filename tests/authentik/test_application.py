"""Application lifecycle against the local authentik-compatible server."""

from __future__ import annotations

from typing import Any

import pytest

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.errors import AuthentikValidationError
from dezky_infra.authentik.application import ApplicationProvider
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


def test_a_slug_over_50_fails_the_preview_only_where_authentik_limits_it(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    """authentik before 2025.12 allows 50 characters, 2025.12 and later any length (2026.2 transcript 14):
    the preview asks authentik's release instead of refusing what the newer one accepts."""
    apps = configured(ApplicationProvider(), fresh_authentik)
    news = {"name": "Long", "slug": "a" * 51, "public_url": "https://auth.dezky.local"}
    failures = [(f.property, f.reason) for f in apps.check({}, news).failures]
    if fresh_authentik.version.name == "2025.10":
        assert failures == [
            (
                "slug",
                "slug is 51 characters long; authentik 2025.10.4 allows at most 50 "
                "(authentik 2025.12 and later have no limit)",
            )
        ]
    else:
        assert failures == []
        created = apps.create(apps.check({}, news).inputs)
        assert admin.get(f"core/applications/{'a' * 51}/")["slug"] == created.id == "a" * 51
    assert [c for c in fresh_authentik.calls if c.is_write and c.path != "/api/v3/core/applications/"] == []
