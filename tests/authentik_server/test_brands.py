"""Brands beyond the literal transcripts: Host matching, the fallback brand, locale, default flows.

The rules come from 30-brands and 31-brands-host-oidc-flows; each test wipes the server afterwards,
so the shipped default brand is back for the next one. Every test runs against both versions (the
brand object is the same; matching and authorize differ, see the tests that say so).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.authentik_server import i18n, versions
from tests.authentik_server.conftest import PASSWORD, TOKEN
from tests.authentik_server.server import AuthentikServer

BRANDS = "/api/v3/core/brands/"
CURRENT = BRANDS + "current/"
LOGIN_ENTRY = "/flows/-/default/authentication/?next=%2F"


@pytest.fixture(scope="module", params=sorted(versions.VERSIONS))
def server(request: pytest.FixtureRequest) -> Iterator[AuthentikServer]:
    """One server per version (overrides conftest's default-version server in this module)."""
    with AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD, version=request.param) as srv:
        yield srv


@pytest.fixture
def api(server: AuthentikServer) -> Iterator[httpx.Client]:
    """A token client; the database is wiped afterwards (brands and apps created here go away)."""
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as c:
        yield c
    assert not server.contract_violations and not server.errors
    server.wipe()


def _brand(api: httpx.Client, domain: Any, **fields: Any) -> dict[str, Any]:
    response = api.post(BRANDS, json={"domain": domain, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _flow_pk(api: httpx.Client, slug: str) -> str:
    return str(api.get(f"/api/v3/flows/instances/{slug}/").json()["pk"])


def _matched(api: httpx.Client, host: str, **headers: str) -> str:
    return str(api.get(CURRENT, headers={"Host": host, **headers}).json()["matched_domain"])


def test_host_picks_the_longest_case_insensitive_suffix(api: httpx.Client, server: AuthentikServer) -> None:
    _brand(api, "auth.example.test")
    _brand(api, "acme.auth.example.test")
    _brand(api, "port.auth.example.test:8443")
    _brand(api, "*.wild.example.test")
    assert _matched(api, "acme.auth.example.test") == "acme.auth.example.test"
    assert _matched(api, "ACME.Auth.Example.TEST") == "acme.auth.example.test"
    assert _matched(api, "sub.acme.auth.example.test") == "acme.auth.example.test"
    # 31 [3]: any plain suffix on 2025.10 (no dot boundary); 2026.2 needs the domain or "." + domain,
    # and the next-longest match (auth.example.test, a dot boundary away) takes it
    xacme = {"2025.10": "acme.auth.example.test", "2026.2": "auth.example.test"}[server.version.name]
    assert _matched(api, "xacme.auth.example.test") == xacme
    assert _matched(api, "xacme.example.test") == "authentik-default"
    assert _matched(api, "a.wild.example.test") == "authentik-default"  # "*." is literal (31 [18])
    assert _matched(api, "portal.auth.example.test") == "auth.example.test"
    # the port is part of the Host: it breaks every port-less match, so the default brand answers
    assert _matched(api, "acme.auth.example.test:8443") == "authentik-default"
    assert _matched(api, "port.auth.example.test:8443") == "port.auth.example.test:8443"
    assert _matched(api, "port.auth.example.test") == "auth.example.test"
    assert _matched(api, "127.0.0.1", **{"X-Forwarded-Host": "acme.auth.example.test"}) == "authentik-default"


def test_current_lists_only_the_flows_that_are_set(api: httpx.Client, server: AuthentikServer) -> None:
    _brand(api, "bare.example.test")
    themed = {"settings": {"theme": {"base": "dark"}, "locale": "de"}}
    recovery = _flow_pk(api, "default-password-change")
    _brand(api, "full.example.test", flow_recovery=recovery, attributes=themed)
    bare = api.get(CURRENT, headers={"Host": "bare.example.test"}).json()
    assert not [key for key in bare if key.startswith("flow_")]
    assert (bare["ui_theme"], bare["default_locale"]) == ("automatic", "")
    full = httpx.get(server.url + CURRENT, headers={"Host": "full.example.test"}).json()  # AllowAny
    assert full["flow_recovery"] == "default-password-change"
    assert (full["ui_theme"], full["default_locale"]) == ("dark", "de")


def test_deleting_the_default_brand_leaves_the_fallback(api: httpx.Client) -> None:
    default = api.get(BRANDS, params={"default": "true"}).json()["results"][0]
    _brand(api, "kept.example.test", flow_authentication=_flow_pk(api, "default-source-authentication"))
    assert api.delete(f"{BRANDS}{default['brand_uuid']}/").status_code == 204
    fallback = api.get(CURRENT).json()
    assert fallback["matched_domain"] == "fallback"
    assert fallback["branding_title"] == "authentik"
    assert not [key for key in fallback if key.startswith("flow_")]
    assert _matched(api, "kept.example.test") == "kept.example.test"  # a match needs no default
    # the fallback has no flows: the first authentication flow by slug
    entry = api.get(LOGIN_ENTRY)
    assert entry.headers["Location"] == "/if/flow/default-authentication-flow/?next=%2F"
    assert _brand(api, "new-default.example.test", default=True)["default"] is True


def test_only_one_default_brand(api: httpx.Client) -> None:
    refused = api.post(BRANDS, json={"domain": "second.example.test", "default": "yes"})
    assert refused.status_code == 400
    assert refused.json() == {"default": ["Only a single brand can be set as default."]}
    several = api.post(BRANDS, json={"domain": " ", "default": True, "attributes": []})
    assert set(several.json()) == {"domain", "attributes"}  # validate() runs after the fields pass


def test_domain_is_text_trimmed_and_unique_case_sensitively(api: httpx.Client) -> None:
    assert _brand(api, 42)["domain"] == "42"
    assert _brand(api, "  Spaced.Example.test  ")["domain"] == "Spaced.Example.test"
    assert _brand(api, "spaced.example.test")["domain"] == "spaced.example.test"
    duplicate = api.post(BRANDS, json={"domain": "Spaced.Example.test "})
    assert duplicate.json() == {"domain": ["This field must be unique."]}
    assert api.post(BRANDS, json={"domain": True}).json() == {"domain": ["Not a valid string."]}


def test_put_keeps_omitted_fields_and_reads_return_jsonb_order(api: httpx.Client) -> None:
    attributes = {"settings": {"locale": "fr"}, "app": {"tier": "gold", "id": 1}}
    brand = _brand(api, "put.example.test", branding_title="Put", attributes=attributes)
    assert list(brand["attributes"]) == ["settings", "app"]  # the write echoes the order sent
    url = f"{BRANDS}{brand['brand_uuid']}/"
    assert api.put(url, json={"branding_title": "x"}).json() == {"domain": ["This field is required."]}
    put = api.put(url, json={"domain": "put.example.test", "branding_custom_css": "a {}"}).json()
    assert put["branding_title"] == "Put" and put["branding_custom_css"] == "a {}"
    read = api.get(url).json()["attributes"]
    assert list(read) == ["app", "settings"] and list(read["app"]) == ["id", "tier"]


def test_deleting_an_application_clears_default_application(api: httpx.Client) -> None:
    app = api.post("/api/v3/core/applications/", json={"name": "Brand app", "slug": "brand-app"}).json()
    brand = _brand(api, "app.example.test", default_application=app["pk"])
    assert brand["default_application"] == app["pk"]
    assert api.delete("/api/v3/core/applications/brand-app/").status_code == 204
    assert api.get(f"{BRANDS}{brand['brand_uuid']}/").json()["default_application"] is None


def test_a_brand_locale_translates_errors_not_data(api: httpx.Client) -> None:
    german = {"settings": {"locale": "de-DE"}}
    _brand(api, "de.example.test", branding_title="This field is required.", attributes=german)
    host = {"Host": "de.example.test"}
    assert api.post("/api/v3/core/groups/", json={}, headers=host).json() == {
        "name": ["Dieses Feld ist erforderlich."]
    }
    assert api.post("/api/v3/core/groups/", json={}).json() == {"name": ["This field is required."]}
    # not recorded in German: stays English
    assert api.post(BRANDS, json={"domain": ""}, headers=host).json() == {
        "domain": ["This field may not be blank."]
    }
    # user data is never translated, even when it reads like a message
    assert api.get(CURRENT, headers=host).json()["branding_title"] == "This field is required."


def test_catalog_resolves_regional_locales() -> None:
    assert i18n.catalog("de_AT")["Log in"] == "Anmelden"
    assert i18n.catalog("") == {} and i18n.catalog("fr") == {}
    assert i18n.translate({"a": [i18n.Message("Log in"), "Log in"]}, "de") == {"a": ["Anmelden", "Log in"]}


def test_the_authentication_entry_follows_the_brand(api: httpx.Client) -> None:
    source_flow = _flow_pk(api, "default-source-authentication")
    _brand(api, "login.example.test", flow_authentication=source_flow)
    _brand(api, "plain.example.test")
    assert api.get(LOGIN_ENTRY).headers["Location"] == "/if/flow/default-authentication-flow/?next=%2F"
    branded = api.get(LOGIN_ENTRY, headers={"Host": "login.example.test"})
    assert branded.status_code == 302
    assert branded.headers["Location"] == "/if/flow/default-source-authentication/?next=%2F"
    plain = api.get(LOGIN_ENTRY, headers={"Host": "plain.example.test"})  # a brand without flows
    assert plain.headers["Location"] == "/if/flow/default-authentication-flow/?next=%2F"
    logout = api.get("/flows/-/default/invalidation/", headers={"Host": "plain.example.test"})
    assert logout.headers["Location"] == "/if/flow/default-invalidation-flow/"


def test_authorize_without_session_lands_on_the_brand_flow(
    api: httpx.Client, server: AuthentikServer
) -> None:
    """2025.10 sends the browser to /flows/-/default/authentication/, which picks the brand's flow;
    2026.2 plans the brand's flow at authorize time, and the source flow refuses: 404 (31 [34])."""
    provider = api.post(
        "/api/v3/providers/oauth2/",
        json={
            "name": "brand-provider",
            "authorization_flow": _flow_pk(api, "default-provider-authorization-implicit-consent"),
            "invalidation_flow": _flow_pk(api, "default-provider-invalidation-flow"),
            "redirect_uris": [{"matching_mode": "strict", "url": "https://rp.example.test/cb"}],
            "client_id": "brand-client",
        },
    ).json()
    api.post("/api/v3/core/applications/", json={"name": "RP", "slug": "rp", "provider": provider["pk"]})
    _brand(api, "login.example.test", flow_authentication=_flow_pk(api, "default-source-authentication"))
    _brand(api, "plain.example.test", branding_title="Plain")
    query = {
        "client_id": "brand-client",
        "redirect_uri": "https://rp.example.test/cb",
        "response_type": "code",
    }
    host = {"Host": "login.example.test", "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=api.base_url, headers=host, timeout=10) as browser:
        authorize = browser.get("/application/o/authorize/", params=query)
        if server.version.authorize_login == "entry":
            assert authorize.headers["Location"].startswith("/flows/-/default/authentication/?next=")
            entry = browser.get(authorize.headers["Location"])
            assert entry.headers["Location"].startswith("/if/flow/default-source-authentication/?next=")
        else:
            assert authorize.status_code == 404
            assert authorize.headers["Content-Type"] == "text/html; charset=utf-8"
            assert "set-cookie" not in authorize.headers  # nothing was planned
    plain = {"Host": "plain.example.test", "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=api.base_url, headers=plain, timeout=10) as browser:
        authorize = browser.get("/application/o/authorize/", params={**query, "scope": "openid email"})
        assert authorize.status_code == 302 and "authentik_session" in authorize.cookies
        if server.version.authorize_login == "plan":  # 31 [35]: the first authentication flow by slug
            location = authorize.headers["Location"]
            assert location.startswith("/if/flow/default-authentication-flow/?client_id=brand-client&")
            assert "&scope=openid+email&next=%2Fapplication%2Fo%2Fauthorize%2F%3Fclient_id%3D" in location


def test_the_executor_shows_the_brand(api: httpx.Client, server: AuthentikServer) -> None:
    _brand(
        api,
        "look.example.test",
        branding_title="Look",
        branding_default_flow_background="https://cdn.example.test/bg.jpg",
        attributes={"settings": {"locale": "de"}},
    )
    host = {"Host": "look.example.test"}
    login = httpx.get(server.url + "/api/v3/flows/executor/default-authentication-flow/?query=", headers=host)
    body = login.json()
    assert body["flow_info"]["background"] == "https://cdn.example.test/bg.jpg"
    assert body["primary_action"] == "Anmelden"
    end = httpx.get(server.url + "/api/v3/flows/executor/default-provider-invalidation-flow/", headers=host)
    assert end.json()["brand_name"] == "Look"
    assert "invalidation_flow_url" not in end.json()  # the brand has no invalidation flow
    default_end = httpx.get(server.url + "/api/v3/flows/executor/default-provider-invalidation-flow/")
    assert default_end.json()["invalidation_flow_url"] == "/if/flow/default-invalidation-flow/"
    assert default_end.json()["brand_name"] == "authentik"
