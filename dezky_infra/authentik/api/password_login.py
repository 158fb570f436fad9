"""Log in to authentik with a password through its flow executor, the way the web UI does.

A fresh authentik (empty database, no API token) can only be reached with akadmin's bootstrap
password. The flow executor is a JSON state machine at one URL: each GET returns the current stage's
challenge, each POST answers it and is followed by a 302 back to the same URL (transcript 20). A wrong
password is not an error status: the same challenge comes back with ``response_errors``. At the end
the session cookie, plus the ``authentik_csrf`` cookie needed for writes, sit in the client's jar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from dezky_infra.authentik.api.errors import AuthentikAuthError, AuthentikError, AuthentikUnavailableError

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.api.client import AuthentikClient

AUTHENTICATION_FLOW: Final = "default-authentication-flow"
LOGOUT_FLOW: Final = "default-invalidation-flow"
"""The brand's invalidation flow: its executor ends the session (OIDC end-session does not, 26)."""
MAX_STEPS: Final = 12


class PasswordLoginError(AuthentikError):
    """The flow executor did not end in a logged-in session."""


def login_with_password(client: AuthentikClient, flow: str = AUTHENTICATION_FLOW, query: str = "") -> str:
    """Log ``client.settings.username`` in with the bootstrap password and switch the client to the session.

    ``flow`` and ``query`` are what a browser's flow interface would use: the API's login takes the
    default flow and no query; an OIDC authorize hands over its own (``next=<authorize URL>``, the
    brand's flow). Returns where the flow sends the browser next (``xak-flow-redirect``'s ``to``).
    Raises ``PasswordLoginError`` naming the stage that stopped the login (never the password).
    """
    settings = client.settings
    if settings.bootstrap_password is None:
        key = settings.name_of("bootstrap_password")
        raise PasswordLoginError(f"cannot log in to authentik: `{key}` is not set")
    password = settings.bootstrap_password.get_secret_value()
    # authentik authenticates a Bearer header even on the anonymous executor: a refused token would 403.
    client.use_session()
    path = f"flows/executor/{flow}/"
    params = {"query": query}
    try:
        # While authentik starts (blueprints not applied yet) the flow does not exist: 404 is "not ready".
        response = client.send("GET", path, params=params, also_retry=frozenset({404}))
    except AuthentikUnavailableError as exc:
        raise AuthentikUnavailableError(
            f"authentik is not ready to log in: its login flow `{flow}` is not there "
            f"(authentik makes it on first start; {exc})"
        ) from None
    for _ in range(MAX_STEPS):
        if response.status_code == 302:
            response = client.send("GET", path, params=params)
            continue
        if response.status_code != 200:
            raise PasswordLoginError(f"authentik's login flow `{flow}` answered HTTP {response.status_code}")
        challenge: dict[str, Any] = response.json()
        component = challenge.get("component")
        if challenge.get("response_errors"):
            fields = ", ".join(sorted(challenge["response_errors"]))
            key = settings.name_of("bootstrap_password")
            raise AuthentikAuthError(
                "POST",
                f"/api/v3/{path}",
                200,
                f"login stage {component} rejected {fields}",
                f"check `{key}` and the user `{settings.username}`; authentik applies "
                "AUTHENTIK_BOOTSTRAP_PASSWORD only on the first start with an empty database",
            )
        if component == "xak-flow-redirect":
            client.use_session()
            return str(challenge.get("to") or "/")
        answer: dict[str, Any] = {"component": component}
        if component == "ak-stage-identification":
            answer["uid_field"] = settings.username
            if challenge.get("password_fields"):
                answer["password"] = password
        elif component == "ak-stage-password":
            answer["password"] = password
        else:
            raise PasswordLoginError(
                f"authentik's login flow `{flow}` stopped at stage `{component}`, which "
                "dezky-infra cannot answer (MFA or a custom stage?); create the API token by hand instead"
            )
        response = client.send("POST", path, json=answer, params=params)
    raise PasswordLoginError(f"authentik's login flow `{flow}` did not finish in {MAX_STEPS} steps")


def log_out(client: AuthentikClient) -> None:
    """End the client's session through the invalidation flow (transcripts 26-28), and drop its cookies.

    Raises ``PasswordLoginError`` when the flow does not finish with its redirect.
    """
    response = client.send("GET", f"flows/executor/{LOGOUT_FLOW}/", params={"query": ""})
    component = response.json().get("component") if response.status_code == 200 else None
    if component != "xak-flow-redirect":
        shown = component or f"HTTP {response.status_code}"
        raise PasswordLoginError(f"authentik's logout flow `{LOGOUT_FLOW}` did not finish ({shown})")
    client.http.cookies.clear()
