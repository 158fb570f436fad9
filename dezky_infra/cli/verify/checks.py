"""The order ``verify`` checks a client in: each step's result feeds the next, a failed step skips the
steps that need it, and every step is one line of the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dezky_infra.cli.verify.consumer import ConsumerView
from dezky_infra.cli.verify.oidc import Authorization, OidcFlow
from dezky_infra.cli.verify.report import ENV_FILE, FIX, CheckFailed, Fix, Report
from dezky_infra.contract import OidcClientInfo


def stale_env(stale: Sequence[str]) -> CheckFailed:
    """The failure of a ``.env`` whose ``stale`` keys differ from the stack outputs."""
    return CheckFailed(
        f"the .env file is stale ({', '.join(stale)} not as in the stack outputs): {FIX}", Fix.ENV
    )


MISSING_ENV = CheckFailed(f"{ENV_FILE} does not exist: {FIX}", Fix.ENV)
"""The failure of a ``.env`` that is not there at all."""


@dataclass
class ClientChecks:
    """Every check of the clients one ``flow`` reaches, recorded in ``report``."""

    report: Report
    flow: OidcFlow
    env_missing: bool = False
    """The consumers' ``.env`` does not exist (the stack outputs stand in for it)."""

    def env_matches(self, client: str, stale: Sequence[str]) -> None:
        """A failed check when the ``.env`` is missing or ``stale``; nothing when it matches."""
        what = f"{self.report.env_file} matches the stack"
        if self.env_missing:
            self.report.fail(client, what, MISSING_ENV)
        elif stale:
            self.report.fail(client, what, stale_env(stale))

    def client(self, name: str, info: OidcClientInfo, view: ConsumerView) -> None:
        """All checks of one client, in order."""
        self.env_matches(name, view.stale)
        discovery = self.sso(name, info, view, info.redirect_uris)
        if discovery is None:
            return
        self.report.run(
            name,
            "an unregistered redirect URI is refused",
            lambda: self.flow.unregistered(discovery, view),
            str,
        )
        if not info.public:
            self.report.run(
                name,
                "a wrong client secret is refused",
                lambda: self.flow.wrong_secret(discovery, info, view),
                str,
            )

    def sso(
        self, name: str, info: OidcClientInfo, view: ConsumerView, redirect_uris: Sequence[str]
    ) -> dict[str, Any] | None:
        """Discovery, JWKS and a login per redirect URI; the discovery document, None if it failed."""
        discovery = self.report.run(
            name, "discovery", lambda: self.flow.discovery(view.issuer), lambda _: f"issuer {view.issuer}"
        )
        if discovery is None:
            return None
        uri = discovery["jwks_uri"]
        keys = self.report.run(
            name, "JWKS", lambda: self.flow.jwks(uri), lambda found: f"{len(found)} signing key(s) at {uri}"
        )
        if keys is None:
            return None
        for redirect_uri in redirect_uris:
            self.login(name, info, view, discovery, keys, redirect_uri)
        return discovery

    def login(
        self,
        name: str,
        info: OidcClientInfo,
        view: ConsumerView,
        discovery: Mapping[str, Any],
        keys: Mapping[str, Any],
        redirect_uri: str,
    ) -> None:
        """Login, token exchange, id_token and userinfo for one redirect URI."""
        authorization = Authorization.start(view.client_id, redirect_uri, info.public)
        how = (
            f"logged in as {self.flow.client.settings.username}"
            if not self.flow.logged_in
            else "the same session (SSO)"
        )
        code = self.report.run(
            name,
            f"login via {redirect_uri}",
            lambda: self.flow.authorize_code(discovery["authorization_endpoint"], authorization),
            lambda _: f"{how}; the code and state came back to that URI",
        )
        if code is None:
            return
        auth = (
            "PKCE, no secret (public client)"
            if info.public
            else f"the client secret from {self.report.env_file} ({info.token_auth})"
        )
        tokens = self.report.run(
            name,
            "token exchange",
            lambda: self.flow.exchange(discovery["token_endpoint"], info, view, code, authorization),
            lambda _: f"tokens issued for {auth}",
        )
        if tokens is None:
            return
        claims = self.report.run(
            name,
            "id_token",
            lambda: self.flow.check_id_token(tokens.id_token, keys, discovery, view, authorization.nonce),
            lambda _: f"RS256 signature (kid from the JWKS), iss, aud {view.client_id}, nonce, exp",
        )
        if claims is not None:
            self.report.run(
                name,
                "userinfo",
                lambda: self.flow.userinfo(
                    discovery["userinfo_endpoint"], tokens.access_token, claims["sub"]
                ),
                lambda user: f"answers for the access token ({user})",
            )

    def tenant(
        self, slug: str, stale: Sequence[str], name: str, info: OidcClientInfo, view: ConsumerView, main: str
    ) -> None:
        """Through the tenant's brand host (this flow's URL): its brand answers there, and a login to client
        ``name`` works with the issuer built from that host (``view`` names the client on the stack's
        ``main`` base URL; the one redirect URI the login needs is its first)."""
        label = f"tenant {slug}"
        self.env_matches(label, stale)
        if self.report.run(label, "its brand serves its host", self.flow.current_brand, str) is None:
            return
        on_host = ConsumerView(
            client_id=view.client_id,
            issuer=self.flow.client.settings.url + view.issuer[len(main) :],
            secret=view.secret,
        )
        self.sso(f"{label} {name}", info, on_host, info.redirect_uris[:1])

    def log_out(self) -> None:
        """End the flow's session, if it logged in (a check of its own)."""
        if self.flow.logged_in:
            self.report.run("session", "logged out", self.flow.log_out, str)
