"""The whole program's wiring under Pulumi mocks: docker on (full graph) and docker off (none of it)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockResourceArgs

from dezky_infra.config import StackSecrets, load_stack_config
from dezky_infra.stack import DezkyStack
from tests.docker.harness import CONTAINER, RecordingMocks, RecordingMonitor, plain_strings, unwrap

# The dev defaults run platform-api and portal from the monorepo's folders: run inside a checkout.
pytestmark = pytest.mark.usefixtures("checkout")

SECRETS = {
    "dezky:authentikToken": "stack-test-token-value-0123456789",
    "dezky:authentikBootstrapPassword": "stack-test-bootstrap-password",
}


class StackMocks(RecordingMocks):
    """Recording mocks that also fill the outputs the authentik dynamic providers compute.

    Under mocks the engine never calls a dynamic provider's create, so the outputs it would return
    (pk, client secret, issuer) are supplied here, shaped like the real ones.
    """

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        if args.typ.endswith("authentik:OAuth2Provider"):
            outputs.update(pk=len(self.registered), client_secret=f"mock-client-secret-{args.name}")
        elif args.typ.endswith("dezky:GeneratedSecret"):
            outputs["value"] = f"mock-generated-{args.name}"
        elif args.typ.endswith("authentik:Application"):
            outputs["issuer"] = f"{args.inputs['public_url']}/application/o/{args.inputs['slug']}/"
        return resource_id, outputs


def run_program(config: dict[str, Any]) -> RecordingMocks:
    """Run ``DezkyStack`` with this stack config under fresh mocks; return what was registered."""
    mocks = StackMocks()
    pulumi.runtime.set_mocks(mocks, preview=False, monitor=RecordingMonitor(mocks))
    values = {"dezky:authentikUrl": "https://auth.dezky.local", **SECRETS, **config}
    pulumi.runtime.set_all_config(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items() if v is not None},
        [k for k in SECRETS if values[k] is not None],
    )

    @pulumi.runtime.test  # type: ignore[misc]
    def program() -> Any:
        stack = DezkyStack("dezky", load_stack_config(), StackSecrets(pulumi.Config("dezky")))
        return pulumi.Output.all(stack.objects.token.urn)

    program()
    return mocks


def types(mocks: RecordingMocks) -> list[str]:
    return [r.type for r in mocks.registered]


def test_docker_off_creates_no_docker_resource() -> None:
    mocks = run_program({"dezky:dockerEnabled": "false"})
    assert not [t for t in types(mocks) if t.startswith("docker:")]
    dynamic = sorted(r.name for r in mocks.registered if r.type.startswith("pulumi-python:dynamic/authentik"))
    assert dynamic == [
        "authentik-ready",
        "dezky-portal-app",
        "dezky-portal-provider",
        "ocis-app",
        "ocis-provider",
        "platform-api-token",
        "tenant-demo",
    ]


def test_docker_on_wires_authentik_objects_between_platform_and_apps() -> None:
    mocks = run_program({})
    by_name = {r.name: r for r in mocks.registered}
    assert by_name["authentik-ready"].inputs["trigger"] == "dezky-authentik-server-id"
    assert "dezky-authentik-server" in by_name["authentik-ready"].dependencies
    assert "authentik-ready" in by_name["platform-api-token"].dependencies
    for name in ("dezky-portal-provider", "ocis-provider", "tenant-demo"):
        assert "platform-api-token" in by_name[name].dependencies
    portal = by_name["dezky-portal"]
    assert portal.type == CONTAINER
    assert {"dezky-portal-provider", "dezky-portal-app"} <= portal.dependencies
    env = dict(entry.split("=", 1) for entry in unwrap(portal.inputs["envs"]))
    assert env["NUXT_OIDC_CLIENT_ID"] == "dezky-portal"
    assert env["NUXT_OIDC_ISSUER"] == "https://auth.dezky.local/application/o/dezky-portal/"
    assert env["PLATFORM_API_INTERNAL_URL"] == "http://platform-api:3001"
    api = by_name["dezky-platform-api"]
    assert "platform-api-token" in api.dependencies
    # the secrets of the stack config never reach any resource input in plain text
    for record in mocks.registered:
        for text in plain_strings(record.inputs):
            assert all(secret not in text for secret in SECRETS.values()), record.name


def test_docker_on_requires_the_bootstrap_password() -> None:
    with pytest.raises(Exception, match="dezky:authentikBootstrapPassword` is required"):
        run_program({"dezky:authentikBootstrapPassword": None})


def test_bad_config_names_the_key() -> None:
    with pytest.raises(Exception, match=r"stack config `dezky:tenants\[1\]\.slug`: .*may only contain"):
        run_program({"dezky:dockerEnabled": "false", "dezky:tenants": [{"slug": "ok"}, {"slug": "not ok"}]})


def authentik_inputs(mocks: RecordingMocks) -> dict[str, dict[str, Any]]:
    return {
        r.name: r.inputs for r in mocks.registered if r.type.startswith("pulumi-python:dynamic/authentik")
    }


def test_a_client_is_one_config_entry() -> None:
    stalwart = {"name": "Stalwart Mail", "redirect_uris": ["https://mail.{domain}/login/oauth"]}
    inputs = authentik_inputs(
        run_program({"dezky:dockerEnabled": "false", "dezky:oidcClients": {"stalwart": stalwart}})
    )
    assert inputs["stalwart-provider"]["name"] == "stalwart"
    assert inputs["stalwart-provider"]["client_id"] == "stalwart"
    assert inputs["stalwart-provider"]["client_type"] == "confidential"
    assert unwrap(inputs["stalwart-provider"]["redirect_uris"]) == [
        {"url": "https://mail.dezky.local/login/oauth", "matching_mode": "strict"}
    ]
    assert inputs["stalwart-app"]["slug"] == "stalwart" and inputs["stalwart-app"]["name"] == "Stalwart Mail"
    # the guide's two clients are still there, as they were
    assert (
        inputs["ocis-provider"]["name"] == "ocis-provider"
        and inputs["ocis-provider"]["client_id"] == "ocis-web"
    )
    assert inputs["dezky-portal-app"]["name"] == "Dezky Portal"


def test_the_name_prefix_reaches_every_name_authentik_sees_but_no_resource_name() -> None:
    mocks = run_program({"dezky:dockerEnabled": "false", "dezky:namePrefix": "alice-"})
    inputs = authentik_inputs(mocks)
    assert sorted(inputs) == sorted(authentik_inputs(run_program({"dezky:dockerEnabled": "false"})))
    assert inputs["dezky-portal-provider"]["name"] == "alice-dezky-portal"
    assert inputs["dezky-portal-provider"]["client_id"] == "alice-dezky-portal"
    assert inputs["ocis-provider"]["name"] == "alice-ocis-provider"
    assert inputs["ocis-provider"]["client_id"] == "alice-ocis-web"
    assert inputs["dezky-portal-app"]["slug"] == "alice-dezky-portal"
    assert inputs["ocis-app"]["slug"] == "alice-ocis"
    assert inputs["tenant-demo"]["name"] == "alice-tenant-demo"
    assert inputs["platform-api-token"]["identifier"] == "alice-dezky-bootstrap-token"
