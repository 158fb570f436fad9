"""The flow executor for default-authentication-flow: identification -> password -> MFA -> login.

Every call goes to /api/v3/flows/executor/<slug>/?query=...; stage progress lives in the session.
Solved stages answer 302 back to the same URL; a wrong password is a 200 with ``response_errors``;
the last GET logs in (new session key, CSRF and device cookies) and answers ``xak-flow-redirect``
(20-flow-executor-login). Only this flow is modelled; other flow slugs are 404.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlencode

from tests.authentik_server import drf
from tests.authentik_server.auth import logged_in_session, new_csrf_secret
from tests.authentik_server.drf import ApiError, not_found
from tests.authentik_server.routes.base import Access, route
from tests.authentik_server.state import Database, ReputationScore, Session, new_uuid, now
from tests.authentik_server.web import HTML, JSON_PLAIN, Request, Response

FLOW_SLUG = "default-authentication-flow"
_ERROR_CODES = {
    drf.REQUIRED: "required",
    drf.NOT_NULL: "null",
    drf.BLANK: "blank",
    "Not a valid string.": "invalid",
}
_STAGE_MODELS = {
    "identification": ("IdentificationChallengeResponseRequest", "IdentificationChallenge"),
    "password": ("PasswordChallengeResponseRequest", "PasswordChallenge"),
}


def _flow_info(flow: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": flow["title"],
        "background": flow["background"],
        "cancel_url": "/flows/-/cancel/",
        "layout": flow["layout"],
    }


def _challenge(
    db: Database,
    session: Session,
    flow: dict[str, Any],
    errors: dict[str, list[dict[str, str]]] | None = None,
) -> Response:
    stage = session.flow["stage"]
    body: dict[str, Any] = {"flow_info": _flow_info(flow)}
    if stage == "identification":
        body["component"] = "ak-stage-identification"
        if errors:
            body["response_errors"] = errors
        body.update(
            {
                "user_fields": ["email", "username"],
                "password_fields": False,
                "allow_show_password": False,
                "flow_designation": flow["designation"],
                "captcha_stage": None,
                "primary_action": "Log in",
                "sources": [],
                "show_source_labels": False,
                "enable_remember_me": False,
            }
        )
    else:
        user = db.user_by_username(session.flow["pending_user"])
        body["component"] = "ak-stage-password"
        if errors:
            body["response_errors"] = errors
        body.update(
            {
                "pending_user": session.flow["pending_user"],
                "pending_user_avatar": user.avatar if user else "/static/dist/assets/images/user_default.png",
                "allow_show_password": False,
            }
        )
    return Response(200, body, content_type=JSON_PLAIN, model=_STAGE_MODELS[stage][1])


def _redirect_here(request: Request) -> Response:
    query = urlencode(request.query, doseq=True)
    location = f"{request.path}?{query}" if request.query else request.path
    return Response(302, content_type=HTML, raw=b"", headers=[("Location", location)])


def _response_errors(exc: ApiError) -> dict[str, list[dict[str, str]]]:
    body = exc.body if isinstance(exc.body, dict) else {}
    return {
        field: [{"string": m, "code": _ERROR_CODES.get(m, "invalid")} for m in messages]
        for field, messages in body.items()
        if isinstance(messages, list)
    }


def _reputation(db: Database, identifier: str, ip: str, delta: int) -> None:
    row = next((r for r in db.reputation.values() if r.identifier == identifier and r.ip == ip), None)
    if row is None:
        row = ReputationScore(pk=new_uuid(), identifier=identifier, ip=ip)
        db.reputation[row.pk] = row
    row.score += delta
    row.updated = now()
    row.touch()


def _ensure_session(request: Request, db: Database) -> Session:
    if request.session is None:
        session = Session(
            key=secrets.token_urlsafe(48),
            last_ip=request.client_ip,
            last_user_agent=request.headers.get("User-Agent", ""),
        )
        db.sessions[session.key] = session
        request.session = session
    if request.session.flow.get("slug") != FLOW_SLUG:
        request.session.flow = {"slug": FLOW_SLUG, "stage": "identification", "pending_user": None}
    return request.session


def _solve(request: Request, db: Database, session: Session, flow: dict[str, Any]) -> Response:
    stage = session.flow["stage"]
    try:
        data = drf.validate(_STAGE_MODELS[stage][0], request.json())
    except ApiError as exc:
        if exc.status != 400:
            raise
        return _challenge(db, session, flow, _response_errors(exc))
    if stage == "identification":
        uid = data["uid_field"]
        user = db.user_by_username(uid) or next((u for u in db.users.values() if u.email == uid), None)
        session.flow.update(stage="password", pending_user=user.username if user else uid)
        return _redirect_here(request)
    user = db.user_by_username(session.flow["pending_user"])
    if user is None or not user.is_active or user.password is None or data["password"] != user.password:
        _reputation(db, session.flow["pending_user"], request.client_ip, -1)
        wrong = {"password": [{"string": "Invalid password", "code": "invalid"}]}
        return _challenge(db, session, flow, wrong)
    session.flow["stage"] = "mfa"
    return _redirect_here(request)


def _login(request: Request, db: Database, session: Session) -> Response:
    """UserLoginStage: cycle the session key, log in, finish the flow with a redirect challenge."""
    user = db.user_by_username(session.flow["pending_user"])
    assert user is not None
    del db.sessions[session.key]
    session.key = secrets.token_urlsafe(48)
    session.uuid = new_uuid()
    session.flow = {}
    db.sessions[session.key] = session
    logged_in_session(db, session, user.pk)
    _reputation(db, user.username, request.client_ip, 1)
    request.issue_device_cookie = secrets.token_urlsafe(32)
    request.issue_csrf_cookie = new_csrf_secret()
    return Response(
        200, {"component": "xak-flow-redirect", "to": "/"}, content_type=JSON_PLAIN, model="RedirectChallenge"
    )


def execute(request: Request, db: Database) -> Response:
    """GET/POST /api/v3/flows/executor/{slug}/."""
    flow = next((f for f in db.flows.values() if f["slug"] == request.params["slug"]), None)
    if flow is None or flow["slug"] != FLOW_SLUG:
        raise not_found("No Flow matches the given query.")
    session = _ensure_session(request, db)
    request.issue_session_cookie = True
    session.last_used = now()
    session.expires = now() + dt.timedelta(days=1)
    stage = session.flow["stage"]
    if stage == "mfa":  # authenticator validation: no devices, not_configured_action=skip
        session.flow["stage"] = "login"
        return _redirect_here(request)
    if stage == "login":
        return _login(request, db, session)
    if request.method == "POST":
        return _solve(request, db, session, flow)
    return _challenge(db, session, flow)


ROUTES = [
    route("GET POST", r"/api/v3/flows/executor/(?P<slug>[^/]+)/", execute, Access.ANONYMOUS),
]
