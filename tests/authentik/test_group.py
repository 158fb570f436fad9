"""Group lifecycle against the local authentik-compatible server."""

from __future__ import annotations

from dezky_infra.authentik.client import AuthentikClient
from dezky_infra.authentik.group import GroupProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import configured


def test_group_lifecycle_with_parent_and_drift(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    groups = configured(GroupProvider(), fresh_authentik)
    parent = groups.create(groups.check({}, {"name": "tenants"}).inputs)
    inputs = groups.check(
        {}, {"name": "tenant-acme", "attributes": {"quota_gb": 50}, "parent": parent.id}
    ).inputs
    child = groups.create(inputs)
    live = admin.get(f"core/groups/{child.id}/")
    assert (live["parent"], live["attributes"]) == (parent.id, {"quota_gb": 50})
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


def test_group_adoption_by_name(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    existing = admin.post("core/groups/", {"name": "tenant-acme", "attributes": {"by": "hand"}})
    groups = configured(GroupProvider(), fresh_authentik)
    created = groups.create(groups.check({}, {"name": "tenant-acme", "attributes": {"quota_gb": 5}}).inputs)
    assert created.id == existing["pk"]
    assert [g["attributes"] for g in admin.list_all("core/groups/", {"name": "tenant-acme"})] == [
        {"quota_gb": 5}
    ]
