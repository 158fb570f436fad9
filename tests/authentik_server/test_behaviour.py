"""Behaviour beyond the literal transcripts: expiry, CSRF details, permissions, validation shapes."""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import string

import httpx
import pytest

from tests.authentik_server.conftest import PASSWORD, TOKEN, login
from tests.authentik_server.server import AuthentikServer

EXECUTOR = "/api/v3/flows/executor/default-authentication-flow/?query="
FLOWS = {
    "authorization_flow": "2a0298ac-b5da-4b4e-8f2f-4e1feccf061f",
    "invalidation_flow": "da789ea6-08de-4b6d-b895-daaf55d2a0f4",
}


def _provider(name: str, **extra: object) -> dict[str, object]:
    return {
        "name": name,
        **FLOWS,
        "redirect_uris": [{"matching_mode": "strict", "url": "https://x.test/cb"}],
        **extra,
    }


def test_token_expiry_is_enforced(server: AuthentikServer, api: httpx.Client) -> None:
    created = api.post("/api/v3/core/tokens/", json={"identifier": "expiring-default"}).json()
    expires = dt.datetime.fromisoformat(created["expires"].replace("Z", "+00:00"))
    assert created["expiring"] is True
    assert abs(expires - (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30))) < dt.timedelta(seconds=30)
    key = api.get("/api/v3/core/tokens/expiring-default/view_key/").json()["key"]
    assert len(key) == 60
    me = "/api/v3/core/users/me/"
    assert httpx.get(server.url + me, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    with server.db.lock:
        server.db.token_by_identifier("expiring-default").expires = dt.datetime.now(dt.UTC)  # type: ignore[union-attr]
    expired = httpx.get(server.url + me, headers={"Authorization": f"Bearer {key}"})
    assert (expired.status_code, expired.json()) == (403, {"detail": "Token invalid/expired"})
    with server.db.lock:  # expiring=false ignores expires
        bootstrap = server.db.token_by_identifier("authentik-bootstrap-token")
        assert bootstrap is not None
        bootstrap.expires = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    assert api.get(me).status_code == 200


def test_auth_header_variants(any_server: AuthentikServer) -> None:
    server = any_server
    foreign = {  # 01 [3], [4]: 2026.2 treats another scheme as no credentials at all
        "2025.10": "Unsupported authentication type",
        "2026.2": "Authentication credentials were not provided.",
    }[server.version.name]
    cases = {
        "Bearer": "Authentication credentials were not provided.",
        f"Token {TOKEN}": foreign,
        "Basic YWthZG1pbjpwdw==": foreign,
        "Bearer nope": "Token invalid/expired",
    }
    for header, detail in cases.items():
        response = httpx.get(server.url + "/api/v3/core/users/me/", headers={"Authorization": header})
        assert (response.status_code, response.json()) == (403, {"detail": detail})
        assert "WWW-Authenticate" not in response.headers
    assert (
        httpx.get(
            server.url + "/api/v3/core/users/me/", headers={"Authorization": f"BEARER {TOKEN}"}
        ).status_code
        == 200
    )


def test_a_foreign_scheme_leaves_the_session_in_charge_on_2026_2(any_server: AuthentikServer) -> None:
    """2026.2's validate_auth() returns None for another scheme, so session authentication runs."""
    with contextlib.closing(login(any_server.url)) as session:
        response = session.get("/api/v3/core/users/me/", headers={"Authorization": "Basic YWthZG1pbjpwdw=="})
    expected = 200 if any_server.version.foreign_scheme_ignored else 403
    assert response.status_code == expected


def _mask(secret: str) -> str:
    chars = string.ascii_letters + string.digits
    mask = "".join(secrets.choice(chars) for _ in secret)
    pairs = zip((chars.index(c) for c in secret), (chars.index(m) for m in mask), strict=True)
    return mask + "".join(chars[(x + y) % len(chars)] for x, y in pairs)


def test_session_csrf_rules(server: AuthentikServer) -> None:
    with contextlib.closing(login(server.url)) as session:
        csrf = session.cookies["authentik_csrf"]
        body = {"identifier": "csrf-token"}
        short = session.post("/api/v3/core/tokens/", json=body, headers={"X-authentik-CSRF": "abc"})
        assert short.json() == {
            "detail": "CSRF Failed: CSRF token from the 'X-Authentik-Csrf' HTTP header has incorrect length."
        }
        same_origin = {"X-authentik-CSRF": _mask(csrf), "Origin": server.url}
        assert session.post("/api/v3/core/tokens/", json=body, headers=same_origin).status_code == 201
        assert session.get("/api/v3/core/tokens/csrf-token/").status_code == 200  # reads need no CSRF
        session.cookies.delete("authentik_csrf")
        no_cookie = session.delete("/api/v3/core/tokens/csrf-token/", headers={"X-authentik-CSRF": csrf})
        assert no_cookie.json() == {"detail": "CSRF Failed: CSRF cookie not set."}


def test_flow_executor_failures(server: AuthentikServer) -> None:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        client.get(EXECUTOR)
        missing = client.post(EXECUTOR, json={"component": "ak-stage-identification"})
        assert missing.status_code == 200
        assert missing.json()["response_errors"] == {
            "uid_field": [{"string": "This field is required.", "code": "required"}]
        }
        assert client.post(EXECUTOR, json={"uid_field": "nobody"}).status_code == 302
        assert client.get(EXECUTOR).json()["pending_user"] == "nobody"
        wrong = client.post(EXECUTOR, json={"component": "ak-stage-password", "password": PASSWORD})
        assert wrong.json()["response_errors"]["password"][0]["string"] == "Invalid password"
        assert client.get("/api/v3/core/users/me/").status_code == 403
    assert httpx.get(server.url + "/api/v3/flows/executor/no-such-flow/").status_code == 404


def test_logout_by_deleting_the_session(server: AuthentikServer, api: httpx.Client) -> None:
    with contextlib.closing(login(server.url)) as session:
        sessions = api.get("/api/v3/core/authenticated_sessions/").json()["results"]
        mine = [s for s in sessions if s["user"] == 6]
        assert mine and not any(s["current"] for s in mine)
        seen = session.get("/api/v3/core/authenticated_sessions/").json()["results"]
        assert [s["current"] for s in seen].count(True) == 1
        assert seen[-1]["current"]  # by username, then oldest first: this login is the newest
        for entry in mine:
            assert api.delete(f"/api/v3/core/authenticated_sessions/{entry['uuid']}/").status_code == 204
        after = session.get("/api/v3/core/users/me/")
        assert after.status_code == 403
        assert "Max-Age=0" in after.headers["Set-Cookie"]


def test_request_models_refuse_what_the_schema_rejects(api: httpx.Client) -> None:
    cases = [
        (_provider(123), {"name": ["Not a valid string."]}),  # type: ignore[arg-type]
        (_provider("p", client_type=None), {"client_type": ["This field may not be null."]}),
        (
            _provider("p", redirect_uris=[{"matching_mode": "strict", "url": ""}]),
            {"redirect_uris": [{"url": ["This field may not be blank."]}]},
        ),
        (
            _provider("p", property_mappings="x"),
            {"property_mappings": ['Expected a list of items but got type "str".']},
        ),
        (
            _provider("p", include_claims_in_id_token="yes"),
            {"include_claims_in_id_token": ["Must be a valid boolean."]},
        ),
        (_provider("p", logout_uri="not a url"), {"logout_uri": ["Enter a valid URL."]}),
        ([1, 2], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ]
    for body, errors in cases:
        response = api.post("/api/v3/providers/oauth2/", json=body)
        assert (response.status_code, response.json()) == (400, errors)


def test_methods_permissions_and_unknown_paths(server: AuthentikServer, api: httpx.Client) -> None:
    assert api.patch("/api/v3/flows/instances/", json={}).json() == {"detail": 'Method "PATCH" not allowed.'}
    anonymous = httpx.patch(server.url + "/api/v3/flows/instances/", json={})
    assert anonymous.status_code == 403
    assert api.get("/api/v3/core/users").headers["Content-Type"].startswith("text/html")
    body = {"identifier": "outpost-token", "user": 2, "expiring": False}
    outpost = api.post("/api/v3/core/tokens/", json=body)
    assert outpost.json()["user"] == 2
    set_key = api.post("/api/v3/core/tokens/outpost-token/set_key/", json={"key": "outpost-key"})
    assert set_key.status_code == 204
    limited = httpx.Client(base_url=server.url, headers={"Authorization": "Bearer outpost-key"})
    with limited:
        assert limited.get("/api/v3/core/users/me/").json()["user"]["is_superuser"] is False
        denied = limited.get("/api/v3/providers/oauth2/")
        assert denied.json() == {"detail": "You do not have permission to perform this action."}


def test_pagination_edges(api: httpx.Client) -> None:
    last = api.get("/api/v3/flows/instances/?page_size=5&page=last").json()["pagination"]
    assert (last["current"], last["total_pages"], last["next"], last["previous"]) == (3, 3, 0, 2)
    assert api.get("/api/v3/flows/instances/?page_size=0").json()["pagination"]["end_index"] == 14
    ordered = api.get("/api/v3/flows/instances/?ordering=-slug&page_size=1").json()["results"]
    assert ordered[0]["slug"] == "initial-setup"
    bad = api.get("/api/v3/flows/instances/?designation=nope")
    assert bad.json() == {"designation": ["Select a valid choice. nope is not one of the available choices."]}


def test_application_launch_url_and_cache_flush(api: httpx.Client) -> None:
    provider = api.post(
        "/api/v3/providers/oauth2/",
        json=_provider(
            "launch", redirect_uris=[{"matching_mode": "strict", "url": "https://app.test/oauth/cb?x=1"}]
        ),
    ).json()
    app = api.post(
        "/api/v3/core/applications/", json={"name": "Launch", "slug": "launch", "provider": provider["pk"]}
    ).json()
    assert app["launch_url"] == "https://app.test?x=1"
    first = api.get("/api/v3/core/applications/?slug=launch").json()
    assert [a["slug"] for a in first["results"]] == ["launch"]
    api.post("/api/v3/core/applications/", json={"name": "Another", "slug": "another"})
    flushed = api.get("/api/v3/core/applications/?slug=another").json()  # creation flushed the cache
    assert [a["slug"] for a in flushed["results"]] == ["another"]
    stale = api.get("/api/v3/core/applications/?slug=launch").json()
    assert [a["slug"] for a in stale["results"]] == ["another"]  # the recorded quirk


@pytest.mark.parametrize("attributes", [{"a": 1}, {}])
def test_group_parent_and_attributes(api: httpx.Client, attributes: dict[str, int]) -> None:
    """2025.10's single parent (2026.2's parents: test_versions.py)."""
    suffix = str(len(attributes))
    parent = api.post("/api/v3/core/groups/", json={"name": f"parent-{suffix}"}).json()
    child = api.post(
        "/api/v3/core/groups/",
        json={"name": f"child-{suffix}", "parent": parent["pk"], "attributes": attributes, "users": [6]},
    ).json()
    assert child["parent_name"] == f"parent-{suffix}"
    assert child["users_obj"][0]["username"] == "akadmin"
    assert api.get(f"/api/v3/core/groups/{parent['pk']}/").json()["children"] == [child["pk"]]
    assert api.get("/api/v3/core/groups/not-a-uuid/").json() == {"detail": "Not found."}
    broken = api.get("/api/v3/core/groups/?attributes=%7Bbroken")
    assert (broken.status_code, broken.json()) == (400, ["filter: failed to parse JSON"])


def test_body_parsing(api: httpx.Client) -> None:
    url = "/api/v3/core/groups/"
    json_type = {"Content-Type": "application/json"}
    null = api.post(url, content=b"null", headers=json_type)
    assert null.json() == {"non_field_errors": ["No data provided"]}
    assert api.post(url, content=b"", headers=json_type).json() == {"name": ["This field is required."]}
    trailing = api.post(url, content=b'{"name": "x"} 1', headers=json_type).json()
    assert trailing["detail"].startswith("JSON parse error - trailing characters")
    form = api.post(url, content=b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415


def test_reputation_stays_within_its_limits(server: AuthentikServer, api: httpx.Client) -> None:
    """The tenant's reputation_upper_limit 5 (2026.2's 24 [11]): more logins do not raise the score."""
    for _ in range(7):
        login(server.url).close()
    scores = api.get("/api/v3/policies/reputation/scores/", params={"identifier": "akadmin"}).json()[
        "results"
    ]
    assert [s["score"] for s in scores] == [5]
