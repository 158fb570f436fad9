"""Each policy of the pack on constructed inputs: one passing and one failing case at least.

The args are pulumi_policy's own classes, built the way its analyzer builds them (props behind
``unknown_checking_proxy``; secrets as ``pulumi_policy.Secret``, which is how ``engine.install``
delivers them). The docker policies are covered here only: the engine tests run with docker off.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    Secret,
    StackValidationArgs,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.dezky_policy import authentik_policies as ak
from policy.dezky_policy import docker_policies as dk
from policy.dezky_policy import engine
from policy.dezky_policy.pack import NAME, POLICIES

CONTAINER, REMOTE_IMAGE = dk.CONTAINER, dk.REMOTE_IMAGE
PROVIDER, TOKEN = ak.OAUTH2_PROVIDER, ak.API_TOKEN
PINNED = "ghcr.io/goauthentik/server:2025.10.4"


class Reports:
    """A fake ``report_violation``: collects the messages (and URNs) a policy reports."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.calls.append((message, urn))

    @property
    def messages(self) -> list[str]:
        return [message for message, _ in self.calls]


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:dev::dezky::{resource_type}::{name}"


def resource_args(
    resource_type: str, props: Mapping[str, Any], name: str = "res", config: Mapping[str, Any] | None = None
) -> ResourceValidationArgs:
    return ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(dict(props)),
        urn(resource_type, name),
        name,
        options(),
        None,
        config,
    )


def run(policy: Policy, args: ResourceValidationArgs | StackValidationArgs) -> list[str]:
    reports = Reports()
    policy.validate(args, reports)  # type: ignore[attr-defined]
    return reports.messages


@pytest.fixture
def stack() -> Iterator[None]:
    """Whatever the tests set as the engine's stack is reset afterwards."""
    previous = engine.set_stack(engine.StackInfo())
    yield
    engine.set_stack(previous)


# -- 1. redirect URIs: https, strict --------------------------------------------------------------
def provider(*uris: tuple[str, str], **extra: Any) -> dict[str, Any]:
    return {"redirect_uris": [{"url": u, "matching_mode": m} for u, m in uris], **extra}


def test_strict_https_redirects_pass() -> None:
    args = resource_args(PROVIDER, provider(("https://app.dezky.local/api/auth/callback", "strict")))
    assert run(ak.redirect_uris_https_strict, args) == []


def test_http_redirect_fails() -> None:
    args = resource_args(PROVIDER, provider(("http://app.dezky.local/cb", "strict")))
    assert run(ak.redirect_uris_https_strict, args) == [
        "redirect URI 'http://app.dezky.local/cb' is not https; "
        "authorization codes must not travel in clear text"
    ]


def test_regex_redirect_needs_the_allow_list() -> None:
    props = provider((r"^https://files\.dezky\.local/.*$", "regex"))
    assert run(ak.redirect_uris_https_strict, resource_args(PROVIDER, props, name="ocis-provider")) == [
        r"redirect URI '^https://files\.dezky\.local/.*$' uses matching_mode 'regex'; use 'strict', "
        "or list 'ocis-provider' in this policy's allowRegexRedirects config"
    ]
    allowed = resource_args(
        PROVIDER, props, name="ocis-provider", config={"allowRegexRedirects": ["ocis-provider"]}
    )
    assert run(ak.redirect_uris_https_strict, allowed) == []
    http_regex = resource_args(
        PROVIDER, provider((r"^http://.*$", "regex")), name="p", config={"allowRegexRedirects": ["p"]}
    )
    assert run(ak.redirect_uris_https_strict, http_regex) == [
        "redirect URI '^http://.*$' is not https; authorization codes must not travel in clear text"
    ]


def test_unknown_redirects_and_other_types_are_skipped() -> None:
    unknown = resource_args(
        PROVIDER, {"redirect_uris": [{"url": UNKNOWN_STRING_VALUE, "matching_mode": "strict"}]}
    )
    assert run(ak.redirect_uris_https_strict, unknown) == []
    other = resource_args(TOKEN, provider(("http://x", "strict")))
    assert run(ak.redirect_uris_https_strict, other) == []


# -- 2. confidential clients never use a public SPA client id --------------------------------------
def test_confidential_client_with_its_own_id_passes() -> None:
    args = resource_args(PROVIDER, {"client_type": "confidential", "client_id": "dezky-portal"})
    assert run(ak.confidential_client_not_spa_id, args) == []
    public = resource_args(PROVIDER, {"client_type": "public", "client_id": "ocis-web"})
    assert run(ak.confidential_client_not_spa_id, public) == []


def test_confidential_client_with_the_spa_id_fails() -> None:
    expected = [
        "confidential client uses client_id 'ocis-web', which belongs to a public SPA client; "
        "give it its own client_id"
    ]
    args = resource_args(PROVIDER, {"client_type": "confidential", "client_id": "ocis-web"})
    assert run(ak.confidential_client_not_spa_id, args) == expected
    configured = resource_args(
        PROVIDER, {"client_id": "my-spa"}, config={"publicSpaClientIds": ["my-spa"]}
    )  # client_type defaults to confidential, as in OAuth2ProviderSpec
    assert run(ak.confidential_client_not_spa_id, configured) == [expected[0].replace("ocis-web", "my-spa")]


# -- 3. secrets reach containers only as secrets ---------------------------------------------------
def test_secret_env_entries_pass() -> None:
    envs = [
        "AUTHENTIK_POSTGRESQL__HOST=postgres",
        Secret("AUTHENTIK_SECRET_KEY=s3cr3t"),
        UNKNOWN_STRING_VALUE,
    ]
    assert run(dk.secret_envs_are_secrets, resource_args(CONTAINER, {"envs": envs})) == []
    whole_list_secret = {"envs": Secret(["PORTAL_OIDC_CLIENT_SECRET=abc", "X=1"])}
    assert run(dk.secret_envs_are_secrets, resource_args(CONTAINER, whole_list_secret)) == []


def test_plain_secret_env_entries_fail_without_showing_the_value() -> None:
    envs = [
        "PORTAL_OIDC_CLIENT_SECRET=abc",
        "AUTHENTIK_TOKEN=tok",
        "DB_PASSWORD=pw",
        "API_KEY=k",
        "PORT=3000",
    ]
    messages = run(dk.secret_envs_are_secrets, resource_args(CONTAINER, {"envs": envs}))
    assert [m.split()[1] for m in messages] == [
        "PORTAL_OIDC_CLIENT_SECRET",
        "AUTHENTIK_TOKEN",
        "DB_PASSWORD",
        "API_KEY",
    ]
    assert messages[0] == (
        "env PORTAL_OIDC_CLIENT_SECRET is passed in clear text; make the entry a secret "
        "(pulumi.Output.secret, e.g. container_env(secret=...)) so it stays encrypted"
    )
    assert not any(value in m for m in messages for value in ("abc", "tok", "=pw", "=k"))


# -- 4. images pinned -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ref",
    [
        PINNED,
        "postgres:16.4-alpine",
        "localhost:5000/app:1.2",
        "traefik@sha256:" + "a" * 64,
        "sha256:" + "b" * 64,
    ],
)
def test_pinned_images_pass(ref: str) -> None:
    assert run(dk.images_pinned, resource_args(CONTAINER, {"image": ref})) == []
    assert run(dk.images_pinned, resource_args(REMOTE_IMAGE, {"name": ref})) == []


def test_latest_and_untagged_images_fail() -> None:
    assert run(dk.images_pinned, resource_args(CONTAINER, {"image": "traefik:latest"})) == [
        "image 'traefik:latest' (image) uses the moving tag 'latest'; pin a version tag or a digest"
    ]
    assert run(dk.images_pinned, resource_args(REMOTE_IMAGE, {"name": "localhost:5000/postgres"})) == [
        "image 'localhost:5000/postgres' (name) has no tag, so Docker pulls 'latest'; "
        "pin a version tag or a digest"
    ]


# -- 5. Traefik routers: TLS on websecure ---------------------------------------------------------
def labels(**pairs: str) -> dict[str, Any]:
    return {"labels": [{"label": k.replace("__", "."), "value": v} for k, v in pairs.items()]}


def test_router_with_tls_on_websecure_passes() -> None:
    props = labels(
        traefik__enable="true",
        traefik__http__routers__portal__rule="Host(`app.dezky.local`)",
        traefik__http__routers__portal__entrypoints="websecure",
        traefik__http__routers__portal__tls="true",
        traefik__http__services__portal__loadbalancer__server__port="3000",
    )
    assert run(dk.traefik_routers_tls, resource_args(CONTAINER, props)) == []
    assert run(dk.traefik_routers_tls, resource_args(CONTAINER, {"labels": []})) == []


def test_router_without_tls_or_on_web_fails() -> None:
    props = labels(
        traefik__http__routers__auth__rule="Host(`auth.dezky.local`)",
        traefik__http__routers__auth__entrypoints="web,websecure",
    )
    assert run(dk.traefik_routers_tls, resource_args(CONTAINER, props)) == [
        "Traefik router 'auth' does not set traefik.http.routers.auth.tls=true",
        "Traefik router 'auth' must use only entrypoint 'websecure' "
        "(traefik.http.routers.auth.entrypoints is 'web,websecure')",
    ]


# -- 6. authentik server and worker: one image (stack policy) ------------------------------------
def container(name: str, image: str, command: list[str]) -> PolicyResource:
    props = unknown_checking_proxy({"image": image, "command": command})
    return PolicyResource(CONTAINER, props, urn(CONTAINER, name), name, options(), None, None, [], {})


def test_server_and_worker_on_one_image_pass() -> None:
    resources = [
        container("authentik-server", PINNED, ["server"]),
        container("authentik-worker", PINNED, ["worker"]),
        container("ocis", "owncloud/ocis:7.1.0", ["server"]),  # not authentik: ignored
    ]
    assert run(dk.authentik_same_image, StackValidationArgs(resources)) == []


def test_server_and_worker_on_different_images_fail() -> None:
    worker = container("authentik-worker", "ghcr.io/goauthentik/server:2025.8.1", ["worker"])
    reports = Reports()
    dk.authentik_same_image.validate(
        StackValidationArgs([worker, container("authentik-server", PINNED, ["server"])]), reports
    )
    assert reports.calls == [
        (
            "authentik worker runs 'ghcr.io/goauthentik/server:2025.8.1' but the server runs "
            f"'{PINNED}'; server and worker must run the same image",
            worker.urn,
        )
    ]


# -- advisory: non-expiring API tokens outside dev ------------------------------------------------
TOKEN_PROPS = {"identifier": "dezky-bootstrap-token", "expiring": False, "key": Secret("k")}


@pytest.mark.usefixtures("stack")
def test_non_expiring_token_in_dev_passes() -> None:
    engine.set_stack(engine.StackInfo(name="dev"))
    assert run(ak.api_token_expiry, resource_args(TOKEN, TOKEN_PROPS)) == []
    engine.set_stack(engine.StackInfo(name="prod"))
    assert run(ak.api_token_expiry, resource_args(TOKEN, {**TOKEN_PROPS, "expiring": True})) == []


@pytest.mark.usefixtures("stack")
def test_non_expiring_token_outside_dev_is_reported() -> None:
    engine.set_stack(engine.StackInfo(name="prod"))
    assert run(ak.api_token_expiry, resource_args(TOKEN, TOKEN_PROPS)) == [
        "API token 'dezky-bootstrap-token' never expires (expiring: false) in stack 'prod'; "
        "non-expiring tokens are for the dev stack(s) only"
    ]
    accepted = resource_args(TOKEN, TOKEN_PROPS, config={"devStacks": ["dev", "prod"]})
    assert run(ak.api_token_expiry, accepted) == []


# -- advisory: TLS verification off --------------------------------------------------------------
@pytest.mark.usefixtures("stack")
def test_tls_verification_on_passes() -> None:
    engine.set_stack(engine.StackInfo(name="dev", config={"dezky:authentikInsecureSkipTlsVerify": "false"}))
    assert run(ak.tls_verification_on, StackValidationArgs([])) == []


@pytest.mark.usefixtures("stack")
def test_tls_verification_off_is_reported() -> None:
    engine.set_stack(engine.StackInfo(name="dev", config={"dezky:authentikInsecureSkipTlsVerify": "true"}))
    assert run(ak.tls_verification_on, StackValidationArgs([])) == [
        "stack config dezky:authentikInsecureSkipTlsVerify is true: the providers do not verify "
        "authentik's TLS certificate; set dezky:authentikCaBundle to the CA's PEM instead"
    ]


# -- advisory: healthcheck and restart policy -----------------------------------------------------
def test_container_with_healthcheck_and_restart_passes() -> None:
    props = {"healthcheck": {"tests": ["CMD", "true"]}, "restart": "unless-stopped"}
    assert run(dk.healthcheck_and_restart, resource_args(CONTAINER, props)) == []


def test_container_without_healthcheck_or_restart_is_reported() -> None:
    assert run(dk.healthcheck_and_restart, resource_args(CONTAINER, {"restart": "no"})) == [
        "container has no healthcheck",
        "container has no restart policy (restart is 'no'); use e.g. 'unless-stopped'",
    ]


# -- advisory: ports published on every interface ------------------------------------------------
def ports(*bindings: dict[str, Any]) -> dict[str, Any]:
    return {"ports": [{"internal": 443, "external": 443, "protocol": "tcp", **b} for b in bindings]}


def test_ports_bound_to_loopback_or_one_address_pass() -> None:
    props = ports({"ip": "127.0.0.1"}, {"ip": "::1"}, {"ip": "192.168.1.20"})
    assert run(dk.ports_not_on_all_interfaces, resource_args(CONTAINER, props)) == []
    assert run(dk.ports_not_on_all_interfaces, resource_args(CONTAINER, {})) == []
    unknown = ports({"ip": UNKNOWN_STRING_VALUE})
    assert run(dk.ports_not_on_all_interfaces, resource_args(CONTAINER, unknown)) == []


def test_ports_on_every_interface_are_reported() -> None:
    props = ports({"ip": "0.0.0.0"}, {"ip": "::"}, {}, {"ip": "", "internal": 80, "external": 8080})  # noqa: S104
    assert run(dk.ports_not_on_all_interfaces, resource_args(CONTAINER, props, name="traefik")) == [
        "port 443 (container port 443/tcp) is published on every interface (ip '0.0.0.0'), "
        "so other machines on the network reach it; bind it to 127.0.0.1 "
        "(stack config dezky:docker.ports.bind_address), or list 'traefik' in this policy's "
        "allowAllInterfaces config",
        "port 443 (container port 443/tcp) is published on every interface (ip '::'), "
        "so other machines on the network reach it; bind it to 127.0.0.1 "
        "(stack config dezky:docker.ports.bind_address), or list 'traefik' in this policy's "
        "allowAllInterfaces config",
        "port 443 (container port 443/tcp) is published on every interface (no ip, which Docker binds "
        "to 0.0.0.0), so other machines on the network reach it; bind it to 127.0.0.1 "
        "(stack config dezky:docker.ports.bind_address), or list 'traefik' in this policy's "
        "allowAllInterfaces config",
        "port 8080 (container port 80/tcp) is published on every interface (no ip, which Docker binds "
        "to 0.0.0.0), so other machines on the network reach it; bind it to 127.0.0.1 "
        "(stack config dezky:docker.ports.bind_address), or list 'traefik' in this policy's "
        "allowAllInterfaces config",
    ]
    allowed = resource_args(CONTAINER, props, name="traefik", config={"allowAllInterfaces": ["traefik"]})
    assert run(dk.ports_not_on_all_interfaces, allowed) == []
    assert dk.ports_not_on_all_interfaces.enforcement_level == EnforcementLevel.ADVISORY


# -- the pack and its engine adapter --------------------------------------------------------------
def test_the_pack_lists_every_policy_once_with_its_level() -> None:
    levels = {p.name: p.enforcement_level for p in POLICIES}
    assert len(levels) == len(POLICIES) == 10
    assert sorted(n for n, level in levels.items() if level == EnforcementLevel.ADVISORY) == [
        "authentik-api-token-expiry",
        "authentik-tls-verification-on",
        "docker-healthcheck-and-restart",
        "docker-ports-not-on-all-interfaces",
    ]


def wire_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    json_format.ParseDict(props, struct)
    return struct


def secret(value: Any) -> dict[str, Any]:
    """A value as the engine marshals a secret (``KeepSecrets``)."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


@pytest.mark.usefixtures("stack")
def test_the_adapter_delivers_secrets_and_the_stack_through_pulumi_policys_analyzer() -> None:
    """pulumi_policy's own servicer, fed wire-format requests like the engine's, after install()."""
    engine.install()
    servicer = _PolicyAnalyzerServicer(NAME, "0.0.1", POLICIES, EnforcementLevel.ADVISORY)
    servicer.ConfigureStack(
        proto.AnalyzerStackConfigureRequest(
            stack="staging",
            project="dezky",
            config={"dezky:domain": "dezky.local", "dezky:authentikToken": "tok"},
            config_secret_keys=["dezky:authentikToken"],
        ),
        None,
    )
    assert engine.current_stack() == engine.StackInfo("staging", "dezky", {"dezky:domain": "dezky.local"})

    def diagnostics(envs: Any) -> list[str]:
        request = proto.AnalyzeRequest(
            type=CONTAINER,
            urn=urn(CONTAINER, "portal"),
            name="portal",
            properties=wire_struct(
                {
                    "image": PINNED,
                    "envs": envs,
                    "restart": "unless-stopped",
                    "healthcheck": {"tests": ["CMD"]},
                }
            ),
        )
        response = servicer.Analyze(request, None)  # type: ignore[no-untyped-call]
        return [d.message.splitlines()[-1] for d in response.diagnostics]

    assert diagnostics(["PORT=3000", secret("PORTAL_OIDC_CLIENT_SECRET=abc")]) == []
    assert diagnostics(secret(["PORTAL_OIDC_CLIENT_SECRET=abc"])) == []
    assert diagnostics(["PORTAL_OIDC_CLIENT_SECRET=abc"]) == [
        "env PORTAL_OIDC_CLIENT_SECRET is passed in clear text; make the entry a secret "
        "(pulumi.Output.secret, e.g. container_env(secret=...)) so it stays encrypted"
    ]
