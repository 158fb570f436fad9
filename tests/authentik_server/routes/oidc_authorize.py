"""The browser-facing OIDC endpoints: authorize and end-session (plain Django views).

authorize (AuthorizationFlowInitView), as recorded in 26/27/28:
- no query string at all: HTML 404;
- an unknown/missing client_id, or a missing/unregistered redirect_uri: a 400 HTML page, never a
  redirect, with or without a session (28). A provider with no redirect URIs registers the first one
  it sees (strict), which is why authentik accepts empty ``redirect_uris``;
- later errors redirect to the redirect_uri with ``error``, ``error_description`` and ``state``:
  unsupported_response_type, an unsupported PKCE method (27), prompt=none without a session (28);
- no session, 2025.10: the application is remembered in a new anonymous session and the browser goes
  to the default authentication flow with ``next`` = this authorize URL (26);
- no session, 2026.2: the authentication flow (the provider's, else the brand's, else the first by
  slug) is planned here, with the application, into a new anonymous session, and the browser goes
  straight to its interface with the authorize query plus ``next`` = this authorize URL (26 [0]); a
  flow whose policies refuse the plan is an HTML 404 (31 [34]);
- a logged-in session: the implicit-consent authorization flow has no stages, so authentik answers a
  plain 302 to the redirect_uri with ``code`` (32 lowercase hex) and ``state`` (26).
Only ``response_type=code`` is modelled (implicit and hybrid types are answered
unsupported_response_type), and only the implicit-consent authorization flow.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

from tests.authentik_server import brands, oidc
from tests.authentik_server.auth import ensure_session, session_user
from tests.authentik_server.routes import flow_executor
from tests.authentik_server.routes.base import Access, route
from tests.authentik_server.routes.flow_executor import plan_cached
from tests.authentik_server.state import Application, AuthorizationCode, Database, OAuth2Provider, User
from tests.authentik_server.web import Request, Response, html_error_page, html_not_found, redirect

IMPLICIT_CONSENT_FLOW = "default-provider-authorization-implicit-consent"
LOGIN_ENTRY = "/flows/-/default/authentication/"
PKCE_METHODS = ("plain", "S256")
_PROMPTS = frozenset({"none", "login", "consent", "select_account"})
_AUTHORIZE_ERRORS = {
    "invalid_request": "The request is otherwise malformed",
    "unsupported_response_type": (
        "The authorization server does not support obtaining an authorization code using this method"
    ),
    "login_required": "The Authorization Server requires End-User authentication",
}


def _client_id_error(request: Request) -> Response:
    return html_error_page(
        request, "Client ID Error", "The client identifier (client_id) is missing or invalid."
    )


def _redirect_uri_error(request: Request) -> Response:
    return html_error_page(
        request,
        "Redirect URI Error",
        "The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).",
    )


def _error_redirect(
    redirect_uri: str, error: str, state: str | None, description: str | None = None
) -> Response:
    """AuthorizeError.create_uri(): appended with "?" as is, description percent-encoded (%20)."""
    text = quote(description or _AUTHORIZE_ERRORS[error])
    location = f"{redirect_uri}?error={error}&error_description={text}"
    if state:
        location += f"&state={state}"
    return redirect(location)


def _valid_redirect_uri(provider: OAuth2Provider, redirect_uri: str) -> bool:
    """check_redirect_uri(): the first URI sent to a provider without any is registered (strict)."""
    if not provider.fields["redirect_uris"]:
        provider.fields["redirect_uris"] = [{"matching_mode": "strict", "url": redirect_uri}]
        provider.touch()
    if not oidc.redirect_uri_matches(provider, redirect_uri):
        return False
    return urlsplit(redirect_uri).scheme not in oidc.FORBIDDEN_REDIRECT_SCHEMES


def _to_login(request: Request, db: Database, app: Application, provider: OAuth2Provider) -> Response:
    """PolicyAccessView.handle_no_permission(): the login, as the server's version starts it."""
    if request.version.authorize_login == "plan":
        return _plan_login(request, db, app, provider)
    session = ensure_session(request, db)
    session.application_pre = app.pk
    request.issue_session_cookie = True
    return redirect(f"{LOGIN_ENTRY}?next={quote(request.full_path, safe='/')}")


def _plan_login(request: Request, db: Database, app: Application, provider: OAuth2Provider) -> Response:
    """2026.2: plan the authentication flow now and send the browser to its interface (26 [0]).

    The Location's query is Django's QueryDict of this request (spaces as "+") with ``next`` = this
    authorize URL; a flow that refuses the plan is Http404 and no session is written (31 [34]).
    """
    slug = None
    if provider.fields["authentication_flow"] is not None:
        slug = brands.flow_slug_of(db, provider.fields["authentication_flow"])
    slug = slug or brands.default_flow(db, brands.of(request), "authentication")
    flow = next((f for f in db.flows.values() if f["slug"] == slug), None)
    if flow is None or not flow_executor.applicable(request, db, flow):
        return html_not_found(request)
    plan_cached(request, db, flow)
    session = ensure_session(request, db)
    session.application_pre = app.pk
    session.flow = flow_executor.new_plan(flow, request.full_path)
    request.issue_session_cookie = True
    query = {name: list(values) for name, values in request.query.items()}
    query["next"] = [request.full_path]
    return redirect(f"/if/flow/{flow['slug']}/?{urlencode(query, doseq=True)}")


def _code_redirect(redirect_uri: str, response_mode: str, code: str, state: str | None) -> str:
    """OAuthFulfillmentStage.create_response_uri(): the URI's own query first, then code and state."""
    parts = urlsplit(redirect_uri)
    if response_mode == "fragment":
        fragment = parts.fragment + urlencode({"code": code, "state": state or ""})
        return urlunsplit(parts._replace(fragment=fragment))
    query = parse_qs(parts.query, keep_blank_values=True)
    query["code"] = [code]
    query["state"] = [state or ""]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def _issue_code(
    request: Request,
    db: Database,
    provider: OAuth2Provider,
    user: User,
    scopes: list[str],
    params: dict[str, str],
) -> AuthorizationCode:
    session = request.session
    assert session is not None
    challenge = params.get("code_challenge") or None
    code = AuthorizationCode(
        code=secrets.token_hex(16),
        provider=provider.pk,
        user=user.pk,
        session=session.uuid,
        scope=scopes,
        expires=db.clock.now() + oidc.validity(provider, "access_code_validity"),
        auth_time=session.authenticated_at or db.clock.now(),
        nonce=params.get("nonce"),
        code_challenge=challenge,
        code_challenge_method=params.get("code_challenge_method", "plain") if challenge else None,
    )
    db.authorization_codes[code.code] = code
    return code


def _invalid(request: Request, db: Database, params: dict[str, str]) -> Response | None:
    """OAuthAuthorizationParams validation: the 400 pages first, then errors sent to the redirect_uri."""
    provider = oidc.provider_by_client_id(db, params.get("client_id", ""))
    if provider is None:
        return _client_id_error(request)
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or not _valid_redirect_uri(provider, redirect_uri):
        return _redirect_uri_error(request)
    state = params.get("state")
    if params.get("response_type") != "code":
        return _error_redirect(redirect_uri, "unsupported_response_type", state)
    method = params.get("code_challenge_method", "plain")  # 27: a challenge without a method is plain
    if params.get("code_challenge") and method not in PKCE_METHODS:
        description = f"Unsupported challenge method {method}"
        return _error_redirect(redirect_uri, "invalid_request", state, description)
    return None


def _fulfil(
    request: Request, db: Database, provider: OAuth2Provider, user: User, params: dict[str, str]
) -> Response:
    """The implicit-consent flow has no stages: OAuthFulfillmentStage answers the 302 at once (26)."""
    flow = db.flows.get(str(provider.fields["authorization_flow"]))
    if flow is None or flow["slug"] != IMPLICIT_CONSENT_FLOW:
        raise NotImplementedError("only the implicit-consent authorization flow is modelled")
    plan_cached(request, db, flow)
    response_mode = params.get("response_mode", "query")
    if response_mode == "form_post":
        raise NotImplementedError("response_mode=form_post is not modelled")
    scopes = oidc.granted_scopes(db, provider, params.get("scope", "").split())
    code = _issue_code(request, db, provider, user, scopes, params)
    request.issue_session_cookie = True  # the authorization plan went through the session (26)
    location = _code_redirect(params["redirect_uri"], response_mode, code.code, params.get("state"))
    return redirect(location)


def authorize(request: Request, db: Database) -> Response:
    """GET/POST /application/o/authorize/ (see the module docstring).

    Parameters come from the query (GET) or the form (POST); like Django's QueryDict.get(), a
    repeated parameter counts with its last value.
    """
    if not request.query:
        return html_not_found(request)  # 28: no query string at all
    if request.method == "POST":
        params = request.form()
    else:
        params = {name: values[-1] for name, values in request.query.items()}
    invalid = _invalid(request, db, params)
    if invalid is not None:
        return invalid
    provider = oidc.provider_by_client_id(db, params["client_id"])
    assert provider is not None
    user = session_user(request, db)
    if "none" in _PROMPTS.intersection(params.get("prompt", "").split()) and user is None:
        return _error_redirect(params["redirect_uri"], "login_required", params.get("state"))
    app = db.application_for_provider(provider.pk)
    if app is None:
        return html_not_found(request)  # not recorded: resolve_provider_application finds no application
    if user is None:
        return _to_login(request, db, app, provider)
    return _fulfil(request, db, provider, user, params)


def end_session(request: Request, db: Database) -> Response:
    """GET /application/o/{slug}/end-session/: plan the provider's invalidation flow (26).

    This does not log out of authentik: the flow only shows ak-stage-session-end. The flow interface
    URL carries ``inspector=available`` for a user allowed to inspect flows (akadmin, as recorded).
    """
    found = oidc.bound(db, request.params["slug"])
    if found is None:
        return html_not_found(request)
    app, provider = found
    flow = db.flows.get(str(provider.fields["invalidation_flow"]))
    if flow is None:
        return html_not_found(request)
    plan_cached(request, db, flow)
    session = ensure_session(request, db)
    session.flow = {"slug": flow["slug"], "stage": "session-end", "application": app.pk, "next": "/"}
    request.issue_session_cookie = True
    query = dict(parse_qs(request.query_string, keep_blank_values=True))
    user = session_user(request, db)
    if user is not None and db.is_superuser(user):
        query["inspector"] = ["available"]
    suffix = f"?{urlencode(query, doseq=True)}" if query else ""
    return redirect(f"/if/flow/{flow['slug']}/{suffix}")


ROUTES = [
    route("GET POST", r"/application/o/authorize/", authorize, Access.PUBLIC),
    route("GET POST", r"/application/o/(?P<slug>[-a-zA-Z0-9_]+)/end-session/", end_session, Access.PUBLIC),
]
