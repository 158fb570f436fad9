"""core/groups/ (keyed by UUID): unique names, attribute filters, parents and members.

2025.10 groups have one ``parent`` (shown with its ``parent_name``) and writable ``children``; 2026.2
groups have several ``parents`` (``parents_obj`` with ?include_parents=true), ``inherited_roles_obj``,
read-only ``children``, and a ``parent`` key in a body is silently ignored (17-groups). Both are
stored as the group's list of parent pks.
"""

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


def _related(group: Group) -> dict[str, Any]:
    """RelatedGroup (2026.2's parents_obj/children_obj entries; 2025.10's GroupChild has the same keys)."""
    return {
        "pk": group.pk,
        "name": group.name,
        "is_superuser": group.is_superuser,
        "attributes": group.attributes,
        "group_uuid": group.pk,
    }


def group_json(db: Database, group: Group, request: Request) -> dict[str, Any]:
    """GroupSerializer; the ``_obj`` lists follow the request's include_* flags (in any action).

    users_obj is null with include_users=false; children_obj (and on 2026.2 parents_obj and
    inherited_roles_obj) are null unless asked for.
    """
    multiple = request.version.group_parents
    parents = [db.groups[pk] for pk in group.parents if pk in db.groups]
    children = sorted((g for g in db.groups.values() if group.pk in g.parents), key=lambda g: g.name)
    body: dict[str, Any] = {
        "pk": group.pk,
        "num_pk": group.num_pk,
        "name": group.name,
        "is_superuser": group.is_superuser,
    }
    if multiple:
        body["parents"] = [p.pk for p in parents]
        body["parents_obj"] = [_related(p) for p in parents] if _flag(request, "include_parents") else None
    else:
        body["parent"] = parents[0].pk if parents else None
        body["parent_name"] = parents[0].name if parents else None
    body["users"] = list(group.users)
    body["users_obj"] = (
        [partial_user(db.users[pk]) for pk in group.users if pk in db.users]
        if _flag(request, "include_users", default=True)
        else None
    )
    body["attributes"] = group.attributes
    body["roles"] = list(group.roles)
    body["roles_obj"] = []
    if multiple:
        body["inherited_roles_obj"] = [] if _flag(request, "include_inherited_roles") else None
    body["children"] = [c.pk for c in children]
    body["children_obj"] = [_related(c) for c in children] if _flag(request, "include_children") else None
    return body


def _flag(request: Request, name: str, default: bool = False) -> bool:
    raw = request.param(name)
    return default if raw is None else raw.lower() == "true"


def _rules(request: Request, db: Database, current: str | None) -> dict[str, FieldRules]:
    groups = existing(lambda: db.groups)
    return {
        "name": FieldRules(
            pre=(
                unique(
                    request.version.group_name_taken,
                    lambda v: any(g.name == v for g in db.groups.values() if g.pk != current),
                ),
            )
        ),
        "parent": FieldRules(pre=(groups,)),  # 2025.10's request model only
        "parents": FieldRules(pre=(groups,)),  # 2026.2's request model only
        "users": FieldRules(pre=(existing(lambda: db.users),)),
        "roles": FieldRules(pre=(existing(lambda: ()),)),
        "children": FieldRules(pre=(groups,)),  # writable on 2025.10 only
    }


def _validated(request: Request, db: Database, model: str, current: str | None) -> dict[str, Any]:
    """The request model of the server's version decides what is writable (2026.2: no parent)."""
    return drf.validate(request.version, model, request.json(), _rules(request, db, current))


def _get(request: Request, db: Database) -> Group:
    """Detail lookup by UUID: a malformed UUID is "Not found.", a missing one names the model."""
    return drf.by_uuid(db.groups, request.params["pk"], "Group")


def _apply(db: Database, group: Group, data: dict[str, Any]) -> None:
    for key in ("name", "is_superuser", "users", "attributes", "roles"):
        if key in data:
            setattr(group, key, data[key])
    if "parent" in data:
        group.parents = [data["parent"]] if data["parent"] else []
    if "parents" in data:
        group.parents = list(dict.fromkeys(data["parents"]))
    if "children" in data:
        for other in db.groups.values():
            if other.pk in data["children"]:
                other.parents = [group.pk]
            elif group.pk in other.parents:
                other.parents = []
    group.touch()


def create(request: Request, db: Database) -> Response:
    """POST core/groups/."""
    data = _validated(request, db, "GroupRequest", None)
    group = Group(pk=new_uuid(), num_pk=db.new_num_pk(), name=data["name"])
    db.groups[group.pk] = group
    _apply(db, group, data)
    return ok(group_json(db, group, request), "Group", 201)


def retrieve(request: Request, db: Database) -> Response:
    """GET core/groups/{pk}/ (?include_users=, ?include_children=, 2026.2 ?include_parents=)."""
    return ok(group_json(db, _get(request, db), request), "Group")


def update(request: Request, db: Database) -> Response:
    """PUT/PATCH: attributes are replaced as a whole, never merged."""
    group = _get(request, db)
    model = "GroupRequest" if request.method == "PUT" else "PatchedGroupRequest"
    _apply(db, group, _validated(request, db, model, group.pk))
    return ok(group_json(db, group, request), "Group")


def destroy(request: Request, db: Database) -> Response:
    """DELETE: children lose this parent."""
    group = _get(request, db)
    for other in db.groups.values():
        if group.pk in other.parents:
            other.parents = [pk for pk in other.parents if pk != group.pk]
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
    """GET core/groups/ (?name= exact, ?attributes=<JSON>, ?include_users=false ...)."""
    items = [listing.Item(group_json(db, g, request), g.seq) for g in db.groups.values()]
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
