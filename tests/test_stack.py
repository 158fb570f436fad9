"""The whole program's wiring under Pulumi mocks: docker on (full graph) and docker off (none of it)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockResourceArgs

from dezky_infra.program.config import ConfigError, StackSecrets, load_stack_config
from dezky_infra.program.stack import DezkyStack
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


TENANTS = [{"slug": "acme", "display_name": "Acme Inc."}, {"slug": "globex"}]


def test_brands_mode_gives_each_tenant_a_brand_its_route_and_its_url() -> None:
    mocks = run_program({"dezky:tenancy": "brands", "dezky:tenants": TENANTS})
    by_name = {r.name: r for r in mocks.registered}
    acme, globex = by_name["tenant-acme-brand"], by_name["tenant-globex-brand"]
    assert acme.type == "pulumi-python:dynamic/authentik:Brand"
    assert (acme.inputs["domain"], acme.inputs["title"]) == ("acme.auth.dezky.local", "Acme Inc.")
    assert (globex.inputs["domain"], globex.inputs["title"]) == ("globex.auth.dezky.local", "globex")
    assert "platform-api-token" in acme.dependencies
    assert {"tenant-acme", "tenant-globex"} <= set(by_name)  # the groups stay
    labels = {label["label"]: label["value"] for label in by_name["dezky-authentik-server"].inputs["labels"]}
    assert labels["traefik.http.routers.authentik.rule"] == (
        "Host(`auth.dezky.local`) || Host(`acme.auth.dezky.local`) || Host(`globex.auth.dezky.local`)"
    )
    api_env = dict(entry.split("=", 1) for entry in unwrap(by_name["dezky-platform-api"].inputs["envs"]))
    assert api_env["AUTHENTIK_TENANT_ACME_URL"] == "https://acme.auth.dezky.local"
    assert api_env["AUTHENTIK_TENANT_GLOBEX_URL"] == "https://globex.auth.dezky.local"


def test_groups_mode_makes_no_brand_and_a_port_goes_into_the_brand_domain() -> None:
    assert not [t for t in types(run_program({"dezky:tenants": TENANTS})) if t.endswith(":Brand")]
    ported = run_program(
        {
            "dezky:dockerEnabled": "false",
            "dezky:tenancy": "brands",
            "dezky:tenants": TENANTS,
            "dezky:authentikPublicUrl": "https://auth.dezky.local:8443",
            "dezky:namePrefix": "pr7-",
        }
    )
    # authentik matches the whole Host header, port included (transcript 31)
    assert authentik_inputs(ported)["tenant-acme-brand"]["domain"] == "pr7-acme.auth.dezky.local:8443"


@pytest.mark.parametrize(
    ("tenants", "domain", "message"),
    [
        (
            [{"slug": "acme_eu"}],
            "dezky.local",
            r"stack config `dezky:tenants\[0\]\.slug`: .*the tenant's brand host: "
            r"'acme_eu\.auth\.dezky\.local' is not a lowercase host name",
        ),
        (
            [{"slug": "acme"}, {"slug": "ACME"}],
            "dezky.local",
            r"stack config `dezky:tenants`: .*tenants whose slugs differ only in case would share the brand "
            r"host acme\.auth\.dezky\.local; rename one",
        ),
    ],
)
def test_bad_tenants_fail_at_preview_in_brands_mode_naming_the_key(
    tenants: list[dict[str, str]], domain: str, message: str
) -> None:
    config = {"dezky:dockerEnabled": "false", "dezky:tenants": tenants, "dezky:domain": domain}
    with pytest.raises(Exception, match=message):
        run_program({**config, "dezky:tenancy": "brands"})
    run_program(config)  # the same tenants are fine as groups


@pytest.mark.parametrize("tenancy", ["groups", "brands"])
@pytest.mark.parametrize(
    ("domain", "shown"),
    [
        ("dezky_local", "'dezky_local'"),
        ("dezky local", "'dezky local'"),
        ("", "''"),
        ("dezky.local\n", "'dezky.local\\n'"),
    ],
)
def test_a_domain_that_is_no_host_name_fails_naming_dezky_domain_alone(
    domain: str, shown: str, tenancy: str
) -> None:
    """Every service URL is built from it: the preview names `dezky:domain`, not the clients' URLs."""
    with pytest.raises(ConfigError) as raised:
        run_program({"dezky:dockerEnabled": "false", "dezky:domain": domain, "dezky:tenancy": tenancy})
    message = str(raised.value)
    assert message.startswith(f"stack config `dezky:domain`: {shown} is not a lowercase host name"), message
    assert "oidcClients" not in message and ";" not in message
