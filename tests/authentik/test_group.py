"""Group lifecycle against the local authentik-compatible server, on each authentik release."""

from __future__ import annotations

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.group import GroupProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import configured


def parents_held(live: dict[str, object]) -> list[object]:
    """The parents authentik holds, whichever way its release spells them (what an admin would read)."""
    if "parents" in live:
        return list(live["parents"])  # type: ignore[call-overload]
    return [live["parent"]] if live["parent"] else []


def test_group_lifecycle_with_parent_and_drift(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    groups = configured(GroupProvider(), fresh_authentik)
    parent = groups.create(groups.check({}, {"name": "tenants"}).inputs)
    inputs = groups.check(
        {}, {"name": "tenant-acme", "attributes": {"quota_gb": 50}, "parents": [parent.id]}
    ).inputs
    child = groups.create(inputs)
    live = admin.get(f"core/groups/{child.id}/")
    assert (parents_held(live), live["attributes"]) == ([parent.id], {"quota_gb": 50})
    read = groups.read(child.id, child.outs)
    assert read.inputs == inputs
    assert groups.diff(child.id, read.outs, inputs).changes is False

    admin.patch(f"core/groups/{child.id}/", {"attributes": {"quota_gb": 1}})
    drifted = groups.read(child.id, child.outs)
    assert drifted.inputs["attributes"] == {"quota_gb": 1}
    groups.update(child.id, drifted.outs, inputs)
    assert admin.get(f"core/groups/{child.id}/")["attributes"] == {"quota_gb": 50}

    groups.delete(child.id, child.outs)
    assert groups.read(child.id, child.outs).id is None
    groups.delete(child.id, child.outs)


def test_a_parent_removed_out_of_band_shows_on_refresh_and_comes_back(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    """The parent is written and read in the release's own form, so dropping it is drift, not silence."""
    groups = configured(GroupProvider(), fresh_authentik)
    parent = groups.create(groups.check({}, {"name": "tenants"}).inputs)
    inputs = groups.check({}, {"name": "tenant-acme", "parents": [parent.id]}).inputs
    child = groups.create(inputs)
    field = "parents" if fresh_authentik.version.name != "2025.10" else "parent"
    admin.patch(f"core/groups/{child.id}/", {field: [] if field == "parents" else None})
    drifted = groups.read(child.id, child.outs)
    assert drifted.inputs["parents"] == []
    assert groups.diff(child.id, drifted.outs, inputs).changes is True
    groups.update(child.id, drifted.outs, inputs)
    assert parents_held(admin.get(f"core/groups/{child.id}/")) == [parent.id]


def test_several_parents_where_authentik_holds_them_and_a_preview_failure_where_not(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    groups = configured(GroupProvider(), fresh_authentik)
    first = groups.create(groups.check({}, {"name": "tenants"}).inputs).id
    second = groups.create(groups.check({}, {"name": "eu"}).inputs).id
    checked = groups.check({}, {"name": "tenant-acme", "parents": [second, first, second]})
    if fresh_authentik.version.name == "2025.10":
        assert [(f.property, f.reason) for f in checked.failures] == [
            (
                "parents",
                "authentik 2025.10.4 holds one parent per group, 2 are given "
                "(authentik 2025.12 and later hold several)",
            )
        ]
        return
    assert checked.failures == []
    assert checked.inputs["parents"] == sorted({first, second})
    child = groups.create(checked.inputs)
    assert sorted(parents_held(admin.get(f"core/groups/{child.id}/"))) == sorted({first, second})
    assert groups.read(child.id, child.outs).inputs["parents"] == sorted({first, second})


def test_state_of_the_single_parent_release_reads_as_parents(fresh_authentik: AuthentikServer) -> None:
    """dezky-infra 0.1 kept one ``parent`` in state: it diffs as the same ``parents`` set, not a change."""
    groups = configured(GroupProvider(), fresh_authentik)
    parent = groups.create(groups.check({}, {"name": "tenants"}).inputs)
    news = groups.check({}, {"name": "tenant-acme", "parents": [parent.id]}).inputs
    old_state = {k: v for k, v in news.items() if k != "parents"} | {"parent": parent.id}
    assert groups.diff("x", old_state, news).changes is False
    unparented = {k: v for k, v in news.items() if k != "parents"} | {"parent": None}
    assert groups.diff("x", unparented, {**news, "parents": []}).changes is False
    no_key = {k: v for k, v in news.items() if k != "parents"}  # the engine keeps no null property
    assert groups.diff("x", no_key, {**news, "parents": []}).changes is False


def test_group_adoption_by_name(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    existing = admin.post("core/groups/", {"name": "tenant-acme", "attributes": {"by": "hand"}})
    groups = configured(GroupProvider(), fresh_authentik)
    created = groups.create(groups.check({}, {"name": "tenant-acme", "attributes": {"quota_gb": 5}}).inputs)
    assert created.id == existing["pk"]
    assert [g["attributes"] for g in admin.list_all("core/groups/", {"name": "tenant-acme"})] == [
        {"quota_gb": 5}
    ]
