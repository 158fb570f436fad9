"""core/groups/ (keyed by UUID): unique names, attribute filters, parents and members."""

from __future__ import annotations

import json
from typing import Any

from tests.authentik_server import drf, listing
from tests.authentik_server.drf import ApiError, FieldRules
from tests.authentik_server.routes.base import route
from tests.authentik_server.routes.users import partial_user
from tests.authentik_server.state import Database, Group, new_uuid
from tests.authentik_server.validators import existing, unique
from tests.authentik_server.web import Request, Response, no_content, ok


def group_json(
    db: Database, group: Group, *, include_users: bool = True, include_children: bool = False
) -> dict[str, Any]:
    """GroupSerializer (users_obj null with include_users=false; children_obj null unless asked for)."""
    parent = db.groups.get(group.parent) if group.parent else None
    children = sorted((g for g in db.groups.values() if g.parent == group.pk), key=lambda g: g.name)
    return {
        "pk": group.pk,
        "num_pk": group.num_pk,
        "name": group.name,
        "is_superuser": group.is_superuser,
        "parent": group.parent,
        "parent_name": parent.name if parent else None,
        "users": list(group.users),
        "users_obj": [partial_user(db.users[pk]) for pk in group.users if pk in db.users]
        if include_users
        else None,
        "attributes": group.attributes,
        "roles": list(group.roles),
        "roles_obj": [],
        "children": [c.pk for c in children],
        "children_obj": [
            {
                "pk": c.pk,
                "name": c.name,
                "is_superuser": c.is_superuser,
                "attributes": c.attributes,
                "group_uuid": c.pk,
            }
            for c in children
        ]
        if include_children
        else None,
    }


def _flag(request: Request, name: str, default: bool) -> bool:
    raw = request.param(name)
    return default if raw is None else raw.lower() == "true"


def _rules(db: Database, current: str | None) -> dict[str, FieldRules]:
    groups = existing(lambda: db.groups)
    return {
        "name": FieldRules(
            pre=(
                unique(
                    "This field must be unique.",
                    lambda v: any(g.name == v for g in db.groups.values() if g.pk != current),
                ),
            )
        ),
        "parent": FieldRules(pre=(groups,)),
        "users": FieldRules(pre=(existing(lambda: db.users),)),
        "roles": FieldRules(pre=(existing(lambda: ()),)),
        "children": FieldRules(pre=(groups,)),
    }


def _get(request: Request, db: Database) -> Group:
    """Detail lookup by UUID: a malformed UUID is "Not found.", a missing one names the model."""
    return drf.by_uuid(db.groups, request.params["pk"], "Group")


def _apply(db: Database, group: Group, data: dict[str, Any]) -> None:
    for key in ("name", "is_superuser", "parent", "users", "attributes", "roles"):
        if key in data:
            setattr(group, key, data[key])
    if "children" in data:
        for other in db.groups.values():
            if other.pk in data["children"]:
                other.parent = group.pk
            elif other.parent == group.pk:
                other.parent = None
    group.touch()


def create(request: Request, db: Database) -> Response:
    """POST core/groups/."""
    data = drf.validate(request.schema, "GroupRequest", request.json(), _rules(db, None))
    group = Group(pk=new_uuid(), num_pk=db.new_num_pk(), name=data["name"])
    db.groups[group.pk] = group
    _apply(db, group, data)
    return ok(group_json(db, group), "Group", 201)


def retrieve(request: Request, db: Database) -> Response:
    """GET core/groups/{pk}/."""
    group = _get(request, db)
    body = group_json(
        db,
        group,
        include_users=_flag(request, "include_users", True),
        include_children=_flag(request, "include_children", False),
    )
    return ok(body, "Group")


def update(request: Request, db: Database) -> Response:
    """PUT/PATCH: attributes are replaced as a whole, never merged."""
    group = _get(request, db)
    model = "GroupRequest" if request.method == "PUT" else "PatchedGroupRequest"
    _apply(db, group, drf.validate(request.schema, model, request.json(), _rules(db, group.pk)))
    return ok(group_json(db, group), "Group")


def destroy(request: Request, db: Database) -> Response:
    """DELETE: children lose their parent."""
    group = _get(request, db)
    for other in db.groups.values():
        if other.parent == group.pk:
            other.parent = None
    del db.groups[group.pk]
    return no_content()


def _attributes_filter(raw: str, items: list[listing.Item]) -> list[listing.Item]:
    try:
        wanted = json.loads(raw)
    except ValueError:
        raise ApiError(400, ["filter: failed to parse JSON"]) from None
    if not isinstance(wanted, dict):
        raise ApiError(400, ["filter: value must be key:value mapping"])

    def lookup(attributes: Any, path: str) -> Any:
        for part in path.split("__"):
            if not isinstance(attributes, dict) or part not in attributes:
                return _MISSING
            attributes = attributes[part]
        return attributes

    return [i for i in items if all(lookup(i.data["attributes"], k) == v for k, v in wanted.items())]


_MISSING = object()


def group_list(request: Request, db: Database) -> Response:
    """GET core/groups/ (?name= exact, ?attributes=<JSON>, ?include_users=false)."""
    include_users = _flag(request, "include_users", True)
    include_children = _flag(request, "include_children", False)
    items = [
        listing.Item(group_json(db, g, include_users=include_users, include_children=include_children), g.seq)
        for g in db.groups.values()
    ]
    items = listing.exact(request, items, ("name",))
    items = listing.boolean(request, items, "is_superuser", lambda d: d["is_superuser"])
    raw_attributes = request.param("attributes")
    if raw_attributes:
        items = _attributes_filter(raw_attributes, items)
    items = listing.search(request, items, (lambda d: d["name"],))
    items = listing.order(request, items, ("name",), ("name", "is_superuser"))
    body = listing.page_body(request, [i.data for i in items], db.autocomplete["group"])
    return ok(body, "PaginatedGroupList")


_DETAIL = r"/api/v3/core/groups/(?P<pk>[^/]+)/"
ROUTES = [
    route("GET", r"/api/v3/core/groups/", group_list),
    route("POST", r"/api/v3/core/groups/", create),
    route("GET", _DETAIL, retrieve),
    route("PUT PATCH", _DETAIL, update),
    route("DELETE", _DETAIL, destroy),
]
