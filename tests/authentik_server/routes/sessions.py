"""core/authenticated_sessions/ (logout by deleting a session) and policies/reputation/scores/."""

from __future__ import annotations

from typing import Any

from tests.authentik_server import listing
from tests.authentik_server.drf import not_found, uuid_pk
from tests.authentik_server.routes.base import route
from tests.authentik_server.state import Database, ReputationScore, Session, iso
from tests.authentik_server.web import Request, Response, no_content, ok

_UNKNOWN_AGENT = {
    "string": "",
    "user_agent": {"family": "Other", "major": None, "minor": None, "patch": None},
    "os": {"family": "Other", "major": None, "minor": None, "patch": None, "patch_minor": None},
    "device": {"family": "Other", "brand": None, "model": None},
}


def session_json(session: Session, current: Session | None) -> dict[str, Any]:
    """AuthenticatedSessionSerializer (user agents are not parsed: always the 'Other' family)."""
    agent = {**_UNKNOWN_AGENT, "string": session.last_user_agent}
    return {
        "uuid": session.uuid,
        "current": session is current,
        "user_agent": agent,
        "geo_ip": None,
        "asn": None,
        "user": session.user,
        "last_ip": session.last_ip,
        "last_user_agent": session.last_user_agent,
        "last_used": iso(session.last_used),
        "expires": iso(session.expires),
    }


def _authenticated(db: Database) -> list[Session]:
    return [s for s in db.sessions.values() if s.user is not None]


def session_list(request: Request, db: Database) -> Response:
    """GET core/authenticated_sessions/: ordered by the user's username, then as stored (the older
    session first: 2026.2's 21 [13], 26 [41] list the session that existed before the capture first).
    """
    items = [listing.Item(session_json(s, request.session), s.seq) for s in _authenticated(db)]
    allowed = ("last_used", "expires", "user")
    items = listing.order(request, items, (), allowed)
    if not listing.ordering_requested(request, allowed):

        def username(item: listing.Item) -> str:
            user = db.users.get(item.data["user"])
            return user.username if user else ""

        items.sort(key=username)
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedAuthenticatedSessionList")


def session_destroy(request: Request, db: Database) -> Response:
    """DELETE core/authenticated_sessions/{uuid}/: the session cookie becomes anonymous."""
    wanted = uuid_pk(request.params["uuid"])
    for key, session in list(db.sessions.items()):
        if session.user is not None and session.uuid == wanted:
            del db.sessions[key]
            return no_content()
    raise not_found("No AuthenticatedSession matches the given query.")


def reputation_json(score: ReputationScore) -> dict[str, Any]:
    """ReputationSerializer."""
    return {
        "pk": score.pk,
        "identifier": score.identifier,
        "ip": score.ip,
        "ip_geo_data": {},
        "ip_asn_data": {},
        "score": score.score,
        "updated": iso(score.updated),
    }


def reputation_list(request: Request, db: Database) -> Response:
    """GET policies/reputation/scores/."""
    items = [listing.Item(reputation_json(r), r.seq) for r in db.reputation.values()]
    items = listing.exact(request, items, ("identifier", "ip", "score"))
    items = listing.order(request, items, ("identifier",), ("identifier", "ip", "score", "updated"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedReputationList")


def reputation_destroy(request: Request, db: Database) -> Response:
    """DELETE policies/reputation/scores/{pk}/."""
    pk = uuid_pk(request.params["pk"])
    if db.reputation.pop(pk, None) is None:
        raise not_found("No Reputation matches the given query.")
    return no_content()


ROUTES = [
    route("GET", r"/api/v3/core/authenticated_sessions/", session_list),
    route("DELETE", r"/api/v3/core/authenticated_sessions/(?P<uuid>[^/]+)/", session_destroy),
    route("GET", r"/api/v3/policies/reputation/scores/", reputation_list),
    route("DELETE", r"/api/v3/policies/reputation/scores/(?P<pk>[^/]+)/", reputation_destroy),
]
