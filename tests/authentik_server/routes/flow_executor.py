"""The flow executor (/api/v3/flows/executor/<slug>/) and the default-flow entry points.

Three flows are modelled; stage progress (the "plan") lives in the session:
- default-authentication-flow: identification -> password -> MFA -> login. Solved stages answer 302
  back to the same URL; a wrong password is a 200 with ``response_errors``; the last GET logs in (new
  session key, CSRF and device cookies) and answers ``xak-flow-redirect`` (20-flow-executor-login).
  ``to`` is the ``next`` that the executor's ``query=`` parameter carried when the plan started, so a
  login that began at authorize ends back at the authorize URL, and the identification challenge
  names that application in ``application_pre`` (26-oidc-authorize-code-confidential);
- default-invalidation-flow (the brand's logout): the user_logout stage ends the authentik session
  (its OIDC tokens die with it) and clears the cookie (26, 27, 28);
- default-provider-invalidation-flow (what end-session plans): only ak-stage-session-end, the
  authentik session stays (26).
Other flow slugs are 404. The executor runs the flow its URL names whatever the Host, but the brand
the Host picked (brands.py) shapes it: the flows have no background of their own, so ``flow_info``
shows the brand's, the session-end screen names the brand and its invalidation flow, and texts
follow the brand's locale (31-brands-host-oidc-flows [23]-[25]). ``/flows/-/default/<designation>/``
sends a browser to the brand's flow interface (31 [26]-[30]), dropping a pending plan of another flow.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.authentik_server import brands, drf
from tests.authentik_server.auth import ensure_session, logged_in_session, new_csrf_secret, session_user
from tests.authentik_server.drf import ApiError, not_found
from tests.authentik_server.i18n import Message
from tests.authentik_server.routes.applications import launch_url
from tests.authentik_server.routes.base import Access, route
from tests.authentik_server.state import Application, Database, ReputationScore, Session, User, new_uuid, now
from tests.authentik_server.web import JSON_PLAIN, Request, Response, html_not_found, redirect

FLOW_SLUG = "default-authentication-flow"
LOGOUT_FLOW = "default-invalidation-flow"
PROVIDER_LOGOUT_FLOW = "default-provider-invalidation-flow"
LOG_IN = Message("Log in")  # IdentificationStage's primary_action (31 [25]: "Anmelden" for de)
_DEFAULT_AVATAR = "/static/dist/assets/images/user_default.png"
# the tenant's reputation_lower_limit/reputation_upper_limit (2026.2's 24 [11]: the score stays at 5)
REPUTATION_LIMITS = (-5, 5)
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


def _flow_info(request: Request, flow: dict[str, Any], title: str | None = None) -> dict[str, Any]:
    """ContextualFlowInfo; the background is the brand's (31 [25]), as no flow has one of its own.

    2026.2 adds background_themed_urls and, when the executor's query carries a ``next`` (an OAuth
    login), passes it on to the cancel URL (26 [1]).
    """
    brand = brands.of(request)
    info: dict[str, Any] = {
        "title": title if title is not None else flow["title"],
        "background": brand.fields["branding_default_flow_background"],
    }
    cancel = "/flows/-/cancel/"
    if request.version.challenge_additions:
        info["background_themed_urls"] = None
        following = _query(request).get("next")
        if following:
            cancel += "?" + urlencode({"next": following[-1]})
    info["cancel_url"] = cancel
    info["layout"] = flow["layout"]
    return info


def _challenge_response(body: dict[str, Any], model: str) -> Response:
    return Response(200, body, content_type=JSON_PLAIN, model=model)


def _flow_redirect(to: str) -> Response:
    return _challenge_response({"component": "xak-flow-redirect", "to": to}, "RedirectChallenge")


def _application_pre(db: Database, session: Session) -> Application | None:
    return db.applications.get(session.application_pre) if session.application_pre else None


def _challenge(
    request: Request,
    db: Database,
    session: Session,
    flow: dict[str, Any],
    errors: dict[str, list[dict[str, str]]] | None = None,
) -> Response:
    stage = session.flow["stage"]
    body: dict[str, Any] = {"flow_info": _flow_info(request, flow)}
    additions = request.version.challenge_additions
    if stage == "identification":
        body["component"] = "ak-stage-identification"
        if errors:
            body["response_errors"] = errors
        body["user_fields"] = ["email", "username"]
        if additions:
            body["pending_user_identifier"] = None
        body.update({"password_fields": False, "allow_show_password": False})
        app = _application_pre(db, session)
        if app is not None:
            body["application_pre"] = app.fields["name"]
            launch = launch_url(db, app) if additions else None
            if launch is not None:  # the app's launch URL, when it has one (26 [1])
                body["application_pre_launch"] = launch
        body.update(
            {
                "flow_designation": flow["designation"],
                "captcha_stage": None,
                "primary_action": LOG_IN,
                "sources": [],
                "show_source_labels": False,
                "enable_remember_me": False,
            }
        )
        if additions:
            body["passkey_challenge"] = None
    else:
        user = db.user_by_username(session.flow["pending_user"])
        body["component"] = "ak-stage-password"
        if errors:
            body["response_errors"] = errors
        body.update(
            {
                "pending_user": session.flow["pending_user"],
                "pending_user_avatar": user.avatar if user else _DEFAULT_AVATAR,
                "allow_show_password": False,
            }
        )
    return _challenge_response(body, _STAGE_MODELS[stage][1])


def _redirect_here(request: Request) -> Response:
    query = urlencode(request.query, doseq=True)
    return redirect(f"{request.path}?{query}" if request.query else request.path)


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
    row.score = max(REPUTATION_LIMITS[0], min(REPUTATION_LIMITS[1], row.score + delta))
    row.updated = now()
    row.touch()


def _query(request: Request) -> dict[str, list[str]]:
    """The executor's ``query=`` parameter, parsed (authentik's SESSION_KEY_GET)."""
    return parse_qs(request.param("query") or "", keep_blank_values=True)


def _next_from_query(request: Request) -> str:
    """The ``next`` inside the executor's ``query=`` parameter."""
    values = _query(request).get("next")
    return values[-1] if values else "/"


def plan_cached(request: Request, db: Database, flow: dict[str, Any]) -> None:
    """FlowPlanner.plan() for the request's user: the plan goes into the flow cache (cache_count)."""
    user = session_user(request, db)
    db.plan_flow(str(flow["pk"]), user.pk if user else None)


def applicable(request: Request, db: Database, flow: dict[str, Any]) -> bool:
    """FlowPlanner's checks before it plans: the flow's authentication requirement, then its policies.

    The only flows with policy bindings here are the shipped source flows (their if-sso policies
    refuse a plan not started from a source: 2026.2's 31 [34]) and initial-setup; no source exists,
    so a flow with policies is never applicable.
    """
    user = session_user(request, db)
    requirement = flow["authentication"]
    if requirement == "require_authenticated" and user is None:
        return False
    if requirement == "require_unauthenticated" and user is not None:
        return False
    if requirement == "require_superuser" and (user is None or not db.is_superuser(user)):
        return False
    return not flow["policies"]


def new_plan(flow: dict[str, Any], following: str, **state: Any) -> dict[str, Any]:
    """The plan state a session keeps for ``flow`` (``next``: where the finished flow redirects)."""
    stages = {FLOW_SLUG: {"stage": "identification", "pending_user": None}}.get(str(flow["slug"]), {})
    return {"slug": flow["slug"], "next": following, **stages, **state}


def _plan(request: Request, db: Database, session: Session, flow: dict[str, Any], **state: Any) -> None:
    """Start a plan for ``flow`` unless one is pending; the plan remembers ``next`` from its start."""
    if session.flow.get("slug") != flow["slug"]:
        plan_cached(request, db, flow)
        session.flow = new_plan(flow, _next_from_query(request), **state)


def _solve(request: Request, db: Database, session: Session, flow: dict[str, Any]) -> Response:
    stage = session.flow["stage"]
    try:
        data = drf.validate(request.version, _STAGE_MODELS[stage][0], request.json())
    except ApiError as exc:
        if exc.status != 400:
            raise
        return _challenge(request, db, session, flow, _response_errors(exc))
    if stage == "identification":
        uid = data["uid_field"]
        user = db.user_by_username(uid) or next((u for u in db.users.values() if u.email == uid), None)
        session.flow.update(stage="password", pending_user=user.username if user else uid)
        return _redirect_here(request)
    user = db.user_by_username(session.flow["pending_user"])
    if user is None or not user.is_active or user.password is None or data["password"] != user.password:
        _reputation(db, session.flow["pending_user"], request.client_ip, -1)
        wrong = {"password": [{"string": "Invalid password", "code": "invalid"}]}
        return _challenge(request, db, session, flow, wrong)
    session.flow["stage"] = "mfa"
    return _redirect_here(request)


def _done(request: Request, flow: dict[str, Any], user: User | None, to: str) -> Response:
    """The executor's _flow_done(): redirect to ``next``, refusing an absolute URL."""
    if not urlsplit(to).netloc:
        return _flow_redirect(to)
    body = {
        "flow_info": _flow_info(request, flow),
        "component": "ak-stage-access-denied",
        "pending_user": user.username if user else "",
        "pending_user_avatar": user.avatar if user else _DEFAULT_AVATAR,
        "error_message": "Invalid next URL",
    }
    return _challenge_response(body, "AccessDeniedChallenge")


def _login(request: Request, db: Database, session: Session, flow: dict[str, Any]) -> Response:
    """UserLoginStage: cycle the session key, log in, finish the flow."""
    user = db.user_by_username(session.flow["pending_user"])
    assert user is not None
    to = session.flow["next"]
    del db.sessions[session.key]
    session.key = secrets.token_urlsafe(48)
    session.uuid = new_uuid()
    session.flow = {}
    session.application_pre = None
    db.sessions[session.key] = session
    logged_in_session(db, session, user.pk)
    _reputation(db, user.username, request.client_ip, 1)
    request.issue_device_cookie = secrets.token_urlsafe(32)
    request.issue_csrf_cookie = new_csrf_secret()
    return _done(request, flow, user, to)


def _authentication(request: Request, db: Database, flow: dict[str, Any]) -> Response:
    """default-authentication-flow (see the module docstring)."""
    session = ensure_session(request, db)
    _plan(request, db, session, flow)
    request.issue_session_cookie = True
    stage = session.flow["stage"]
    if stage == "mfa":  # authenticator validation: no devices, not_configured_action=skip
        session.flow["stage"] = "login"
        return _redirect_here(request)
    if stage == "login":
        return _login(request, db, session, flow)
    if request.method == "POST":
        return _solve(request, db, session, flow)
    return _challenge(request, db, session, flow)


def _logout(request: Request, db: Database, flow: dict[str, Any]) -> Response:
    """default-invalidation-flow: UserLogoutStage flushes the session, the cookie is deleted (26)."""
    to = _next_from_query(request)
    plan_cached(request, db, flow)
    user = session_user(request, db)
    session = request.session
    if session is not None:
        db.sessions.pop(session.key, None)
        request.session = None
        request.stale_session_cookie = True
    return _done(request, flow, user, to)


def _session_end(request: Request, db: Database, flow: dict[str, Any]) -> Response:
    """default-provider-invalidation-flow: ak-stage-session-end for the planned application (26).

    SessionEndStage names the brand (branding_title) and links its invalidation flow, if it has one.
    """
    brand = brands.of(request)
    session = ensure_session(request, db)
    _plan(request, db, session, flow, stage="session-end", application=None)
    request.issue_session_cookie = True
    user = session_user(request, db)
    app = db.applications.get(session.flow.get("application") or "")
    title = flow["title"] % {"app": app.fields["name"]} if app else None
    body: dict[str, Any] = {
        "flow_info": _flow_info(request, flow, title),
        "component": "ak-stage-session-end",
        "pending_user": user.username if user else "AnonymousUser",
        "pending_user_avatar": user.avatar if user else _DEFAULT_AVATAR,
    }
    if app is not None:
        body["application_name"] = app.fields["name"]
        body["application_launch_url"] = launch_url(db, app)
    invalidation = brands.flow_slug(db, brand, "flow_invalidation")
    if invalidation is not None:
        body["invalidation_flow_url"] = f"/if/flow/{invalidation}/"
    body["brand_name"] = brand.fields["branding_title"]
    return _challenge_response(body, "SessionEndChallenge")


_RUNNERS = {FLOW_SLUG: _authentication, LOGOUT_FLOW: _logout, PROVIDER_LOGOUT_FLOW: _session_end}


def execute(request: Request, db: Database) -> Response:
    """GET/POST /api/v3/flows/executor/{slug}/."""
    flow = next((f for f in db.flows.values() if f["slug"] == request.params["slug"]), None)
    runner = _RUNNERS.get(flow["slug"]) if flow else None
    if flow is None or runner is None:
        raise not_found("No Flow matches the given query.")
    if request.session is not None:
        request.session.last_used = now()
        request.session.expires = now() + dt.timedelta(days=1)
    return runner(request, db, flow)


def to_default_flow(request: Request, db: Database) -> Response:
    """GET /flows/-/default/{designation}/ (ToDefaultFlow): 302 to the brand flow's interface.

    The brand's flow_authentication/flow_invalidation, else the designation's first flow by slug
    (31 [26]-[30]); the query string is kept. A pending plan of another flow is dropped, which writes
    the session (Set-Cookie; 26).
    """
    slug = brands.default_flow(db, brands.of(request), request.params["designation"])
    if slug is None:
        return html_not_found(request)
    session = request.session
    if session is not None and session.flow and session.flow.get("slug") != slug:
        session.flow = {}
        request.issue_session_cookie = True
    pairs = [(name, value) for name, values in request.query.items() for value in values]
    return redirect(f"/if/flow/{slug}/" + (f"?{urlencode(pairs)}" if pairs else ""))


ROUTES = [
    route("GET POST", r"/api/v3/flows/executor/(?P<slug>[^/]+)/", execute, Access.ANONYMOUS),
    route("GET", r"/flows/-/default/(?P<designation>[a-z_]+)/", to_default_flow, Access.PUBLIC),
]
