"""One server, two authentik versions: what tells them apart (32-version-and-config) and how to pick one.

File 32 is not a replay file: it sends the same five requests to a 2025.10.4 and a 2026.2.2 server,
each exchange labelled with the server it went to. Each half is replayed against a fresh server of
that version.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.authentik_server import versions
from tests.authentik_server.conftest import PASSWORD, TOKEN, akadmin_pk
from tests.authentik_server.server import AuthentikServer
from tests.authentik_server.state import Group, new_uuid

SIDE_BY_SIDE = versions.V2026_2.transcripts / "32-version-and-config.json"
# the label prefix of each server's half of file 32
_LABELS = {"2025.10": "authentik 2025.10.4 (", "2026.2": "authentik 2026.2.2 ("}


def _exchanges(version: str) -> list[dict[str, Any]]:
    exchanges = json.loads(SIDE_BY_SIDE.read_text())["exchanges"]
    return [e for e in exchanges if e["label"].startswith(_LABELS[version])]


@pytest.mark.skipif(not SIDE_BY_SIDE.exists(), reason="transcripts not available")
@pytest.mark.parametrize("version", sorted(_LABELS))
def test_side_by_side_file_32(version: str) -> None:
    exchanges = _exchanges(version)
    assert len(exchanges) == 5
    with AuthentikServer(bootstrap_token=TOKEN, akadmin_password=PASSWORD, version=version) as server:
        for exchange in exchanges:
            request, recorded = exchange["request"], exchange["response"]
            headers = {k: v.replace("<api-token>", TOKEN) for k, v in request["headers"].items()}
            response = httpx.get(server.url + str(request["path"]), headers=headers)
            label = exchange["label"]
            assert response.status_code == recorded["status"], label
            assert response.headers["Content-Type"] == recorded["headers"]["Content-Type"], label
            assert list(response.json()) == list(recorded["body"]), label
            assert response.json() == recorded["body"], label
        assert not server.contract_violations and not server.errors


@pytest.mark.parametrize("version", sorted(versions.VERSIONS))
def test_admin_version_names_the_release(version: str) -> None:
    with AuthentikServer(bootstrap_token=TOKEN, version=version) as server:
        assert server.version.name == version
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        answer = httpx.get(server.url + "/api/v3/admin/version/", headers=bearer)
        assert answer.json()["version_current"] == server.version.release
        assert answer.json()["version_current"].startswith(version + ".")
        anonymous = httpx.get(server.url + "/api/v3/admin/version/")
        assert anonymous.status_code == 403
        assert anonymous.json() == {"detail": "Authentication credentials were not provided."}


def test_default_version_and_unknown_names() -> None:
    assert AuthentikServer().version is versions.V2025_10
    with pytest.raises(ValueError, match="unknown authentik version"):
        AuthentikServer(version="2024.12")


def _per_version(server: AuthentikServer, old: Any, new: Any) -> Any:
    """The 2025.10 or the 2026.2 expectation, for the server's version."""
    return {"2025.10": old, "2026.2": new}[server.version.name]


def test_rest_json_content_type(any_server: AuthentikServer) -> None:
    """REST JSON drops the charset on 2026.2 (every API exchange, 32); the rest keeps its types."""
    config = httpx.get(any_server.url + "/api/v3/root/config/")
    assert config.headers["Content-Type"] == _per_version(
        any_server, "application/json; charset=utf-8", "application/json"
    )
    denied = httpx.get(any_server.url + "/api/v3/core/users/")
    assert denied.headers["Content-Type"] == config.headers["Content-Type"]
    executor = httpx.get(any_server.url + "/api/v3/flows/executor/default-authentication-flow/?query=")
    assert executor.headers["Content-Type"] == "application/json"
    assert httpx.get(any_server.url + "/nowhere").headers["Content-Type"] == "text/html; charset=utf-8"


def test_users_carry_roles(any_server: AuthentikServer, any_api: httpx.Client) -> None:
    """02: roles after groups in users/me, roles/roles_obj after groups_obj, no parent in groups_obj."""
    me = any_api.get("/api/v3/core/users/me/").json()["user"]
    listed = any_api.get("/api/v3/core/users/", params={"username": "akadmin"}).json()["results"][0]
    group_keys = ["pk", "num_pk", "name", "is_superuser", "parent", "parent_name", "attributes"]
    if any_server.version.name == "2026.2":
        assert list(me)[5:7] == ["groups", "roles"] and me["roles"] == []
        assert list(listed)[7:11] == ["groups", "groups_obj", "roles", "roles_obj"]
        assert listed["roles"] == listed["roles_obj"] == []
        group_keys = [k for k in group_keys if not k.startswith("parent")]
    else:
        assert "roles" not in me and "roles" not in listed and "roles_obj" not in listed
    assert list(listed["groups_obj"][0]) == group_keys
    assert listed["pk"] == akadmin_pk(any_server) == _per_version(any_server, 6, 3)


def test_groups_parents(any_server: AuthentikServer, any_api: httpx.Client) -> None:
    """17: one parent (2025.10) or several, a "parent" key ignored (2026.2); the duplicate-name message."""
    url = "/api/v3/core/groups/"
    parent = any_api.post(url, json={"name": "v-parent"}).json()
    by_parent = any_api.post(url, json={"name": "v-by-parent", "parent": parent["pk"]})
    by_parents = any_api.post(url, json={"name": "v-by-parents", "parents": [parent["pk"]]})
    assert by_parent.status_code == by_parents.status_code == 201
    duplicate = any_api.post(url, json={"name": "v-parent"})
    assert duplicate.status_code == 400
    assert duplicate.json() == {
        "name": [
            _per_version(any_server, "This field must be unique.", "Group with this name already exists.")
        ]
    }
    if any_server.version.name == "2025.10":
        assert by_parent.json()["parent"] == parent["pk"]
        assert by_parent.json()["parent_name"] == "v-parent"
        assert by_parents.json()["parent"] is None  # not a field of 2025.10
        return
    created = by_parent.json()
    assert "parent" not in created and created["parents"] == [] and created["parents_obj"] is None
    assert created["inherited_roles_obj"] is None
    child = by_parents.json()
    assert child["parents"] == [parent["pk"]]
    expanded = any_api.get(f"{url}{child['pk']}/", params={"include_parents": "true"}).json()
    assert expanded["parents_obj"] == [
        {
            "pk": parent["pk"],
            "name": "v-parent",
            "is_superuser": False,
            "attributes": {},
            "group_uuid": parent["pk"],
        }
    ]
    seen = any_api.get(f"{url}{parent['pk']}/", params={"include_children": "true"}).json()
    assert seen["children"] == [child["pk"]] and seen["children_obj"][0]["name"] == "v-by-parents"
    # children are read-only on 2026.2: a PATCH of children changes nothing
    any_api.patch(f"{url}{parent['pk']}/", json={"children": [created["pk"]]})
    assert any_api.get(f"{url}{parent['pk']}/").json()["children"] == [child["pk"]]
    cleared = any_api.patch(f"{url}{child['pk']}/", json={"parents": []}).json()
    assert cleared["parents"] == []
    wrong = any_api.post(url, json={"name": "v-wrong", "parents": parent["pk"]})
    assert wrong.json() == {"parents": ['Expected a list of items but got type "str".']}


def test_application_slugs_and_icon(any_server: AuthentikServer, any_api: httpx.Client) -> None:
    """14: no 50-character slug limit on 2026.2, meta_icon "" with its URLs, curly quotes."""
    url = "/api/v3/core/applications/"
    fifty_one = any_api.post(url, json={"name": "long", "slug": "v" * 51})
    if any_server.version.name == "2025.10":
        assert fifty_one.status_code == 400
        assert fifty_one.json() == {"slug": ["Ensure this field has no more than 50 characters."]}
    else:
        assert fifty_one.status_code == 201
        assert any_api.post(url, json={"name": "longer", "slug": "w" * 120}).status_code == 201
    app = any_api.post(url, json={"name": "icon", "slug": "v-icon"}).json()
    icon_keys = _per_version(
        any_server, ["meta_icon"], ["meta_icon", "meta_icon_url", "meta_icon_themed_urls"]
    )
    keys = list(app)
    assert keys[keys.index("meta_launch_url") + 1 : keys.index("meta_description")] == icon_keys
    assert app["meta_icon"] == _per_version(any_server, None, "")
    bad = any_api.post(url, json={"name": "bad", "slug": "not a slug"}).json()["slug"][0]
    quoted = _per_version(any_server, '"slug"', "\u201cslug\u201d")
    assert bad == f"Enter a valid {quoted} consisting of letters, numbers, underscores or hyphens."


def test_set_key_validates_its_body_on_2026_2(any_server: AuthentikServer, any_api: httpx.Client) -> None:
    """18 [4]-[9]: field errors on 2026.2, a bare empty 400 on 2025.10; a form body is 415 on both."""
    assert any_api.post("/api/v3/core/tokens/", json={"identifier": "v-key"}).status_code == 201
    url = "/api/v3/core/tokens/v-key/set_key/"
    cases = [
        ({}, "This field is required."),
        ({"key": ""}, "This field may not be blank."),
        ({"key": None}, "This field may not be null."),
        ({"key": ["a"]}, "Not a valid string."),
    ]
    for body, message in cases:
        answer = any_api.post(url, json=body)
        assert answer.status_code == 400
        if any_server.version.set_key_validates:
            assert answer.json() == {"key": [message]}
        else:
            assert answer.content == b"" and "content-type" not in answer.headers
    form = any_api.post(url, data={"key": "form-key"})
    assert form.status_code == 415
    assert any_api.post(url, json={"key": "v-chosen-key"}).status_code == 204
    me = httpx.get(
        any_server.url + "/api/v3/core/users/me/", headers={"Authorization": "Bearer v-chosen-key"}
    )
    assert me.status_code == 200


def test_page_size_default_and_cap(any_server: AuthentikServer, any_api: httpx.Client) -> None:
    """07, 33: 2025.10 pages 100 by default and honours any page_size; 2026.2 pages 20, at most 100."""
    with any_server.db.lock:
        for index in range(105):
            group = Group(pk=new_uuid(), num_pk=any_server.db.new_num_pk(), name=f"v-page-{index:03}")
            any_server.db.groups[group.pk] = group

    def page(**query: str) -> dict[str, Any]:
        body: dict[str, Any] = any_api.get(
            "/api/v3/core/groups/", params={"search": "v-page", **query}
        ).json()
        assert body["pagination"]["count"] == 105
        return body

    default = _per_version(any_server, 100, 20)
    for query in ({}, {"page_size": "0"}, {"page_size": "abc"}):
        body = page(**query)
        assert len(body["results"]) == default
        assert body["pagination"]["total_pages"] == -(-105 // default)
    huge = page(page_size="500")
    assert len(huge["results"]) == _per_version(any_server, 105, 100)
    assert huge["pagination"]["next"] == _per_version(any_server, 0, 2)  # nothing marks the cap
    second = any_api.get("/api/v3/core/groups/", params={"search": "v-page", "page_size": "500", "page": "2"})
    if any_server.version.max_page_size:  # 33 [4]: pages of the capped size
        assert len(second.json()["results"]) == 5
    else:
        assert (second.status_code, second.json()) == (404, {"detail": "Invalid page."})


def test_flow_background(any_api: httpx.Client, any_server: AuthentikServer) -> None:
    """04: 2026.2's flows keep background as stored ("") and show the URL in background_url."""
    flow = any_api.get("/api/v3/flows/instances/default-authentication-flow/").json()
    url = "/static/dist/assets/images/flow_background.jpg"
    if any_server.version.flow_background_url:
        keys = list(flow)
        assert keys[keys.index("background") : keys.index("background") + 3] == [
            "background",
            "background_url",
            "background_themed_urls",
        ]
        assert (flow["background"], flow["background_url"], flow["background_themed_urls"]) == ("", url, None)
    else:
        assert flow["background"] == url and "background_url" not in flow


def test_identification_challenge(any_server: AuthentikServer) -> None:
    """20 [0]: 2026.2 adds pending_user_identifier, passkey_challenge and background_themed_urls."""
    body = httpx.get(any_server.url + "/api/v3/flows/executor/default-authentication-flow/?query=").json()
    keys = [
        "flow_info",
        "component",
        "user_fields",
        "password_fields",
        "allow_show_password",
        "flow_designation",
        "captcha_stage",
        "primary_action",
        "sources",
        "show_source_labels",
        "enable_remember_me",
    ]
    info = ["title", "background", "cancel_url", "layout"]
    if any_server.version.challenge_additions:
        keys.insert(3, "pending_user_identifier")
        keys.append("passkey_challenge")
        info.insert(2, "background_themed_urls")
        assert body["pending_user_identifier"] is None and body["passkey_challenge"] is None
    assert list(body) == keys
    assert list(body["flow_info"]) == info
    assert body["flow_info"]["cancel_url"] == "/flows/-/cancel/"  # no next outside an OAuth login


def test_html_pages_follow_the_version_and_the_brand(
    any_server: AuthentikServer, any_api: httpx.Client
) -> None:
    """03 [4], 31 [34]: each version's page template, titled with the Host's brand."""
    page = httpx.get(any_server.url + "/nowhere/")
    assert page.status_code == 404
    assert f"/static/dist/poly-{any_server.version.release}.js" in page.text
    assert "<title>\nauthentik\n</title>" in page.text and "Not Found" in page.text
    assert any_api.post(
        "/api/v3/core/brands/", json={"domain": "v-acme.test", "branding_title": "ACME"}
    ).is_success
    branded = httpx.get(any_server.url + "/nowhere/", headers={"Host": "v-acme.test"})
    assert "<title>\nACME\n</title>" in branded.text


def test_flow_plans_are_cached(any_server: AuthentikServer, any_api: httpx.Client) -> None:
    """A flow's cache_count counts its cached plans (2026.2's 07 [5], 33 [10]); they last 300 s."""

    def count(slug: str) -> int:
        return int(any_api.get(f"/api/v3/flows/instances/{slug}/").json()["cache_count"])

    any_server.advance_clock(301)  # whatever earlier tests planned is gone
    assert count("default-invalidation-flow") == 0
    httpx.get(any_server.url + "/api/v3/flows/executor/default-invalidation-flow/?query=")
    httpx.get(any_server.url + "/api/v3/flows/executor/default-invalidation-flow/?query=")
    assert count("default-invalidation-flow") == 1  # one per user: the anonymous one
    any_server.advance_clock(301)
    assert count("default-invalidation-flow") == 0
