"""core/users/: the list (read-only here) and users/me, plus the user representations."""

from __future__ import annotations

from typing import Any

from tests.authentik_server import listing
from tests.authentik_server.routes.base import Access, route
from tests.authentik_server.state import Database, Group, User, iso
from tests.authentik_server.versions import AuthentikVersion
from tests.authentik_server.web import Request, Response, ok


def partial_group(db: Database, group: Group, version: AuthentikVersion) -> dict[str, Any]:
    """PartialGroup, as embedded in a user's groups_obj (2026.2: no parent, groups have several)."""
    body: dict[str, Any] = {
        "pk": group.pk,
        "num_pk": group.num_pk,
        "name": group.name,
        "is_superuser": group.is_superuser,
    }
    if not version.group_parents:
        parent = db.groups.get(group.parents[0]) if group.parents else None
        body["parent"] = parent.pk if parent else None
        body["parent_name"] = parent.name if parent else None
    body["attributes"] = group.attributes
    return body


def _groups_of(db: Database, user: User) -> list[Group]:
    return sorted((g for g in db.groups.values() if user.pk in g.users), key=lambda g: g.name)


def user_json(db: Database, user: User, version: AuthentikVersion) -> dict[str, Any]:
    """UserSerializer (2026.2: with the user's roles, none here: no role is ever assigned)."""
    groups = _groups_of(db, user)
    body: dict[str, Any] = {
        "pk": user.pk,
        "username": user.username,
        "name": user.name,
        "is_active": user.is_active,
        "last_login": iso(user.last_login),
        "date_joined": iso(user.date_joined),
        "is_superuser": db.is_superuser(user),
        "groups": [g.pk for g in groups],
        "groups_obj": [partial_group(db, g, version) for g in groups],
    }
    if version.user_roles:
        body.update(roles=[], roles_obj=[])
    return body | {
        "email": user.email,
        "avatar": user.avatar,
        "attributes": user.attributes,
        "uid": user.uid,
        "path": user.path,
        "type": user.type,
        "uuid": user.uuid,
        "password_change_date": iso(user.password_change_date),
        "last_updated": iso(user.last_updated),
    }


def partial_user(user: User) -> dict[str, Any]:
    """PartialUser, as embedded in a group's users_obj."""
    return {
        "pk": user.pk,
        "username": user.username,
        "name": user.name,
        "is_active": user.is_active,
        "last_login": iso(user.last_login),
        "email": user.email,
        "attributes": user.attributes,
        "uid": user.uid,
    }


def _user_self(db: Database, user: User, version: AuthentikVersion) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pk": user.pk,
        "username": user.username,
        "name": user.name,
        "is_active": user.is_active,
        "is_superuser": db.is_superuser(user),
        "groups": [{"name": g.name, "pk": g.pk} for g in _groups_of(db, user)],
    }
    if version.user_roles:
        body["roles"] = []
    return body | {
        "email": user.email,
        "avatar": user.avatar,
        "uid": user.uid,
        "settings": user.settings,
        "type": user.type,
        "system_permissions": user.system_permissions,
    }


def me(request: Request, db: Database) -> Response:
    """GET users/me/: {"user": ...}; "original" only appears while impersonating (never here)."""
    assert request.user is not None
    if request.session is not None:
        request.issue_session_cookie = True  # as recorded: users/me re-sends the session cookie
    return ok({"user": _user_self(db, request.user, request.version)}, "SessionUser")


def user_list(request: Request, db: Database) -> Response:
    """GET users/ with the exact filters the IaC tool uses."""
    items = [listing.Item(user_json(db, u, request.version), u.seq) for u in db.users.values()]
    items = listing.exact(request, items, ("username", "email", "name", "uuid", "path", "type"))
    items = listing.boolean(request, items, "is_active", lambda d: d["is_active"])
    items = listing.boolean(request, items, "is_superuser", lambda d: d["is_superuser"])
    items = listing.search(request, items, listing.keys("username", "name", "email"))
    items = listing.order(request, items, ("username",), ("username", "name", "email", "pk", "last_login"))
    body = listing.page_body(request, [i.data for i in items], db.autocomplete["user"])
    return ok(body, "PaginatedUserList")


ROUTES = [
    route("GET", r"/api/v3/core/users/me/", me, Access.USER),
    route("GET", r"/api/v3/core/users/", user_list),
]
