"""oauth2/access_tokens/: the OAuth2 access tokens the server has issued (2026.2's 28 [66] lists them).

A token goes with its authentik session and its provider (both cascade in authentik), so only the
tokens of live sessions and existing providers are listed; an expired token stays until then.
"""

from __future__ import annotations

import json
from typing import Any

from tests.authentik_server import listing
from tests.authentik_server.routes.base import route
from tests.authentik_server.routes.providers import provider_json
from tests.authentik_server.routes.users import user_json
from tests.authentik_server.state import AccessToken, Database, iso
from tests.authentik_server.web import Request, Response, ok


def token_model_json(request: Request, db: Database, token: AccessToken) -> dict[str, Any]:
    """TokenModelSerializer (the id_token as a JSON string of its claims)."""
    return {
        "pk": token.pk,
        "provider": provider_json(db, db.providers[token.provider]),
        "user": user_json(db, db.users[token.user], request.version),
        "is_expired": token.expires <= db.clock.now(),
        "expires": iso(token.expires),
        "scope": list(token.scope),
        "id_token": json.dumps(token.id_token),
        "revoked": False,
    }


def _live(db: Database) -> list[AccessToken]:
    return [
        t
        for t in db.access_tokens.values()
        if t.provider in db.providers and t.user in db.users and db.live_session(t.session) is not None
    ]


def access_token_list(request: Request, db: Database) -> Response:
    """GET oauth2/access_tokens/ (?provider=, ?user=)."""
    items = [listing.Item(token_model_json(request, db, t), t.pk) for t in _live(db)]
    for name in ("provider", "user"):
        wanted = request.param(name)
        if wanted:
            items = [i for i in items if str(i.data[name]["pk"]) == wanted]
    items = listing.order(request, items, ("pk",), ("pk", "expires"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedTokenModelList")


ROUTES = [route("GET", r"/api/v3/oauth2/access_tokens/", access_token_list)]
