"""core/tokens/ (keyed by identifier): create without the key, view_key, set_key, expiry rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.authentik_server import drf, listing
from tests.authentik_server.drf import ApiError, FieldRules, invalid, not_found
from tests.authentik_server.routes.base import route
from tests.authentik_server.routes.users import user_json
from tests.authentik_server.state import Database, Token, User, iso, new_uuid, now, random_id
from tests.authentik_server.validators import existing, unique
from tests.authentik_server.versions import AuthentikVersion
from tests.authentik_server.web import Request, Response, no_content, ok

DEFAULT_DURATION = dt.timedelta(minutes=30)  # authentik's default_token_duration()
_NOT_FOUND = "No Token matches the given query."
_CREATABLE_INTENTS = ("api", "app_password")


def token_json(db: Database, token: Token, version: AuthentikVersion) -> dict[str, Any]:
    """TokenSerializer (never the key)."""
    return {
        "pk": token.pk,
        "managed": token.managed,
        "identifier": token.identifier,
        "intent": token.intent,
        "user": token.user,
        "user_obj": user_json(db, db.users[token.user], version),
        "description": token.description,
        "expires": iso(token.expires),
        "expiring": token.expiring,
    }


def _rules(db: Database, current: Token | None) -> dict[str, FieldRules]:
    def user_unchanged(value: Any) -> list[str]:
        return ["User cannot be changed"] if current is not None and value != current.user else []

    return {
        "identifier": FieldRules(
            pre=(
                unique(
                    "Token with this identifier already exists.",
                    lambda v: any(t.identifier == v for t in db.tokens.values() if t is not current),
                ),
            )
        ),
        "user": FieldRules(pre=(existing(lambda: db.users),), post=(user_unchanged,)),
    }


def _validated(request: Request, db: Database, model: str, current: Token | None) -> dict[str, Any]:
    """TokenSerializer.validate(): user and intent default, only api/app_password, api expiry forced."""
    assert request.user is not None
    user: User = request.user
    data = drf.validate(request.version, model, request.json(), _rules(db, current))
    data.setdefault("user", user.pk)
    data.setdefault("intent", "api")
    if data["intent"] not in _CREATABLE_INTENTS:
        raise invalid({"intent": [f"Invalid intent {data['intent']}"]})
    limit = now() + DEFAULT_DURATION
    if data["intent"] == "api":
        data["expires"] = limit
    elif data.get("expires") is not None:
        expires = dt.datetime.fromisoformat(str(data["expires"]).replace("Z", "+00:00"))
        if expires > limit:
            raise invalid({"expires": [f"Token expires exceeds maximum lifetime ({limit} UTC)."]})
        data["expires"] = expires
    return data


def _apply(token: Token, data: dict[str, Any]) -> None:
    for key in ("identifier", "intent", "user", "description", "expires", "expiring", "managed"):
        if key in data:
            setattr(token, key, data[key])
    token.touch()


def _get(request: Request, db: Database) -> Token:
    token = db.token_by_identifier(request.params["identifier"])
    if token is None:
        raise not_found(_NOT_FOUND)
    return token


def create(request: Request, db: Database) -> Response:
    """POST core/tokens/: 201 without the key; expiring defaults to true."""
    data = _validated(request, db, "TokenRequest", None)
    token = Token(
        pk=new_uuid(),
        identifier=data["identifier"],
        key=random_id(60),
        user=data["user"],
        expires=now() + DEFAULT_DURATION,
    )
    _apply(token, data)
    db.tokens[token.pk] = token
    return ok(token_json(db, token, request.version), "Token", 201)


def retrieve(request: Request, db: Database) -> Response:
    """GET core/tokens/{identifier}/."""
    return ok(token_json(db, _get(request, db), request.version), "Token")


def update(request: Request, db: Database) -> Response:
    """PUT/PATCH: every update moves ``expires`` to now+30 min for api tokens."""
    token = _get(request, db)
    model = "TokenRequest" if request.method == "PUT" else "PatchedTokenRequest"
    _apply(token, _validated(request, db, model, token))
    return ok(token_json(db, token, request.version), "Token")


def destroy(request: Request, db: Database) -> Response:
    """DELETE core/tokens/{identifier}/."""
    del db.tokens[_get(request, db).pk]
    return no_content()


def view_key(request: Request, db: Database) -> Response:
    """GET view_key/: {"key": ...}."""
    return ok({"key": _get(request, db).key}, "TokenView")


def set_key(request: Request, db: Database) -> Response:
    """POST set_key/: 204.

    2025.10: a missing/empty (or non-string) key is a bare 400 with no body; 2026.2 validates the body
    with a serializer: 400 with field errors (18 [4]-[8]).
    """
    token = _get(request, db)
    data = request.json()
    if request.version.set_key_validates:
        key = drf.validate(request.version, "TokenSetKeyRequest", data)["key"]
    else:
        key = data.get("key") if isinstance(data, dict) else None
        if not key:
            raise ApiError(400, empty=True)
        try:
            drf.validate(request.version, "TokenSetKeyRequest", data)
        except ApiError:
            raise ApiError(400, empty=True) from None
    token.key = key
    token.touch()
    return no_content()


def token_list(request: Request, db: Database) -> Response:
    """GET core/tokens/."""
    items = [listing.Item(token_json(db, t, request.version), t.seq) for t in db.tokens.values()]
    items = listing.exact(request, items, ("identifier", "intent", "description", "managed"))
    username = request.param("user__username")
    if username:
        items = [i for i in items if i.data["user_obj"]["username"] == username]
    items = listing.boolean(request, items, "expiring", lambda d: d["expiring"])
    items = listing.search(
        request,
        items,
        (
            lambda d: d["identifier"],
            lambda d: d["intent"],
            lambda d: d["user_obj"]["username"],
            lambda d: d["description"],
        ),
    )
    items = listing.order(request, items, ("identifier", "expires"), ("identifier", "expires", "intent"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedTokenList")


_DETAIL = r"/api/v3/core/tokens/(?P<identifier>[^/]+)/"
ROUTES = [
    route("GET", r"/api/v3/core/tokens/", token_list),
    route("POST", r"/api/v3/core/tokens/", create),
    route("GET", _DETAIL, retrieve),
    route("PUT PATCH", _DETAIL, update),
    route("DELETE", _DETAIL, destroy),
    route("GET", _DETAIL + "view_key/", view_key),
    route("POST", _DETAIL + "set_key/", set_key),
]
