"""Bad input is caught at `pulumi preview`, before anything changes: a table-driven matrix.

Each row is a stack config a developer could write (or an authentik the preview cannot trust), the
text the preview must show (naming the resource or config key, the field and the fix), and whether
the preview fails. Every row is run through the real engine on a fresh stack against the local
authentik server, which must see no write. Inputs a program cannot set through the dev stack's config
(an empty provider name, a wrong client type) are covered by the provider-level check tests in
tests/authentik/test_check_diff.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest

from tests.engine.harness import EngineProject
from tests.engine.stacks import reset_calls
from tests.target import TOKEN_VARIABLE, Target, module_target

pytestmark = pytest.mark.acceptance

TOKEN = "bad-input-matrix-token-3c2b1a0f9e8d7c6b5a49"
PASSWORD = "bad-input-matrix-password-71"


@dataclass(frozen=True)
class Case:
    """One row: config to set (JSON values for structured keys), config to drop, and what to see."""

    name: str
    plain: dict[str, str] = field(default_factory=dict)
    structured: dict[str, Any] = field(default_factory=dict)
    secret: dict[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    expect: tuple[str, ...] = ()
    """Texts the preview shows; ``{prefix}`` stands for the stack's name prefix."""
    fails: bool = True
    fails_on: tuple[str, ...] = ()
    """The authentik release lines the row fails on, where that depends on the release (empty: every
    line, as ``fails`` says); on the others the preview passes and shows none of ``expect``."""
    refused_login: bool = False
    """The row makes authentik refuse a password login (not done to a real authentik)."""


# the engine stops at the first provider that fails its check: which one comes first varies
PROVIDER = "pulumi-python:dynamic/authentik:OAuth2Provider resource '"
LOGIN_FLOWS = "/api/v3/flows/executor/"
CLOSED_PORT_URL = "http://127.0.0.1:9"  # discard port: nothing listens, connection refused at once

MATRIX = [
    Case(
        "malformed redirect URI",
        structured={"oidcClients": {"dezky-portal": {"redirect_uris": ["app.dezky.local/cb"]}}},
        expect=(
            "stack config `dezky:oidcClients.dezky-portal.redirect_uris[0]`",
            "is not an absolute http(s) URL",
            "write it like",
        ),
    ),
    Case(
        "non-https redirect URI",
        structured={
            "oidcClients": {"stalwart": {"name": "Mail", "redirect_uris": ["https://m/ok", "http://m/cb"]}}
        },
        expect=(
            "stack config `dezky:oidcClients.stalwart.redirect_uris[1]`",
            "is not https",
            "write 'https://m/cb'",
        ),
    ),
    Case(
        "unknown flow slug",
        structured={"oidc": {"authorization_flow": "no-such-flow"}},
        expect=(
            PROVIDER,
            "field `authorization_flow`: no flow with slug `no-such-flow`",
            "`default-provider-authorization-implicit-consent`",
        ),
    ),
    Case(
        "unknown signing key",
        structured={"oidc": {"signing_key": "dezky Missing Key"}},
        expect=(
            PROVIDER,
            "field `signing_key`: no certificate keypair named `dezky Missing Key`",
            "authentik has: `authentik Self-signed Certificate`",
        ),
    ),
    Case(
        "unknown scope",
        structured={"oidc": {"scopes": ["openid", "tenant"]}},
        expect=(PROVIDER, "field `scopes`: no scope mapping for scope `tenant`", "`email`"),
    ),
    Case(
        "invalid slug",
        structured={"tenants": [{"slug": "acme corp"}]},
        expect=("stack config `dezky:tenants[0].slug`", "may only contain letters, digits, '-' and '_'"),
    ),
    Case(
        "tenant slug too long for its brand host",
        plain={"tenancy": "brands"},
        structured={"tenants": [{"slug": "a" * 64}]},
        expect=("stack config `dezky:tenants[0].slug`", "at most 63 characters each"),
    ),
    Case(
        "duplicate slugs",
        structured={"tenants": [{"slug": "acme"}, {"slug": "acme"}]},
        expect=("stack config `dezky:tenants`", "tenant slugs must be unique; repeated: acme"),
    ),
    Case(
        "duplicate client ids",
        structured={"oidcClients": {"dezky-portal": {"client_id": "ocis-web"}}},
        expect=("stack config `dezky:oidcClients.ocis.client_id`: 'ocis-web' is also dezky-portal's",),
    ),
    Case(
        "public client with a confidential-only setting",
        structured={"oidcClients": {"ocis": {"token_auth": "client_secret_basic"}}},
        expect=(
            "stack config `dezky:oidcClients.ocis`: token_auth 'client_secret_basic' needs a client secret",
        ),
    ),
    Case(
        "bad env prefix",
        structured={
            "oidcClients": {
                "stalwart": {"name": "Mail", "redirect_uris": ["https://m/cb"], "env_prefix": "mail"}
            }
        },
        expect=("stack config `dezky:oidcClients.stalwart.env_prefix`: 'mail' is not an env key prefix",),
    ),
    Case(
        "name prefix too long for a slug before 2025.12",
        plain={"namePrefix": "a-very-long-prefix-for-a-shared-staging-authentik-"},
        expect=(
            "pulumi-python:dynamic/authentik:Application resource '",
            "property slug value {a-very-long-prefix-for-a-shared-staging-authentik-",
            "characters long; authentik 2025.10.4 allows at most 50 (authentik 2025.12 and later have no "
            "limit)",
        ),
        fails_on=("2025.10",),
    ),
    Case(
        "mistyped key",
        plain={"namePrefx": "alice-"},
        expect=(
            "stack config `dezky:namePrefx` is not a setting of dezky-infra; did you mean "
            "`dezky:namePrefix`?",
        ),
    ),
    Case(
        "redirect URI with a fragment",
        structured={"oidcClients": {"dezky-portal": {"redirect_uris": ["https://app.dezky.local/cb#x"]}}},
        expect=("stack config `dezky:oidcClients.dezky-portal.redirect_uris[0]`", "has a fragment"),
    ),
    Case(
        "scopes without openid",
        structured={"oidc": {"scopes": []}},
        expect=("stack config `dezky:oidc.scopes`: the OIDC clients need the scope 'openid'",),
    ),
    Case(
        "tenant slug with a trailing newline",
        structured={"tenants": [{"slug": "acme\n"}]},
        expect=("stack config `dezky:tenants[0].slug`: slug 'acme\\n' may only contain",),
    ),
    Case(
        "empty domain",
        plain={"domain": ""},
        expect=("stack config `dezky:domain`: '' is not a lowercase host name",),
    ),
    Case(
        "unreachable authentik URL",
        plain={"authentikUrl": CLOSED_PORT_URL},
        expect=(
            "OAuth2Provider `{prefix}dezky-portal`: could not verify authorization_flow, invalidation_flow, "
            "signing_key, scopes against authentik",
            f"authentik at {CLOSED_PORT_URL} did not answer",
            "they will be checked when the change is applied",
        ),
        fails=False,
    ),
    Case(
        "invalid token",
        secret={"authentikToken": "not-a-valid-token-000000000000000"},
        drop=("authentikBootstrapPassword",),
        expect=(
            PROVIDER,
            "Token invalid/expired",
            "the API token in `dezky:authentikToken` is unknown to authentik or expired",
        ),
    ),
    Case(
        "token and password both wrong",
        secret={"authentikToken": "not-a-valid-token-000000000000000", "authentikBootstrapPassword": "nope"},
        refused_login=True,
        expect=(
            "pulumi-python:dynamic/authentik:OAuth2Provider resource '",
            "' has a problem: authentik refused both credentials: the API token in `dezky:authentikToken` "
            "(Token invalid/expired) and the password in `dezky:authentikBootstrapPassword`",
        ),
    ),
    Case(
        "bad CA bundle path",
        plain={"authentikCaBundle": "/nonexistent/rootCA.pem"},
        expect=(
            "stack config `dezky:authentikCaBundle`",
            "CA bundle file '/nonexistent/rootCA.pem' does not exist; give the path of a PEM file",
        ),
    ),
]


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    for target in module_target(bootstrap_token=TOKEN, password=PASSWORD, version=authentik_version):
        if target.acceptance and target.token is None:
            pytest.skip(f"needs {TOKEN_VARIABLE}: with only the password every preview would leave a session")
        yield target


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, target: Target) -> EngineProject:
    return EngineProject(tmp_path_factory.mktemp("bad-input"))


def configure(project: EngineProject, target: Target, case: Case) -> None:
    """The good dev config (docker off) with the row's changes on top; stale keys removed first. The
    stack's token is one authentik knows (the local server's bootstrap token, the acceptance token)."""
    current = project.stack.get_all_config()
    if current:
        project.stack.remove_all_config(list(current))
    plain, secret = target.stack_config(TOKEN)
    plain = {**plain, "authentikRetryDeadlineSeconds": "2", **case.plain}
    secret = {**secret, "authentikToken": target.token or TOKEN, **case.secret}
    project.configure(
        {k: v for k, v in plain.items() if k not in case.drop},
        {k: v for k, v in secret.items() if k not in case.drop},
    )
    structured = {"dockerEnabled": False, "tenants": [{"slug": "acme"}], **case.structured}
    for key, value in structured.items():
        project.stack.set_config(f"dezky:{key}", auto.ConfigValue(json.dumps(value)))


@pytest.mark.parametrize("case", MATRIX, ids=[case.name for case in MATRIX])
def test_bad_input_is_reported_at_preview_and_changes_nothing(
    case: Case, project: EngineProject, target: Target, tmp_path: Path
) -> None:
    if case.refused_login:
        target.local("a refused login lowers akadmin's reputation score, which a real authentik keeps")
    configure(project, target, case)
    reset_calls(target)
    fails = case.fails if not case.fails_on else target.release_line() in case.fails_on
    if fails:
        with pytest.raises(auto.CommandError) as raised:
            project.preview()
        output = str(raised.value)
    else:
        output = project.preview().stdout
    text = " ".join(output.split())
    for expected in case.expect:
        wanted = " ".join(expected.replace("{prefix}", target.prefix).split())
        assert (wanted in text) is (fails or not case.fails_on), (case.name, wanted, output[-3000:])
    if target.server is not None:
        # nothing was written (answering the login flow is not a write to authentik's objects)
        calls = target.server.calls
        assert [c.path for c in calls if c.is_write and not c.path.startswith(LOGIN_FLOWS)] == []
    for secret in (TOKEN, target.password, *case.secret.values()):
        assert secret not in output
    assert "Traceback" not in output, output[-3000:]  # a user's mistake: the message and the fix only
