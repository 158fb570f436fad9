"""Import: `read` with only the program's inputs (no outputs of ours in state yet), as the engine calls
it for ``ResourceOptions(import_=id)``. Objects made by hand come back with their names resolved."""

from __future__ import annotations

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.application import ApplicationProvider
from dezky_infra.authentik.group import GroupProvider
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.authentik.token import ApiTokenProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import configured


def test_import_reads_objects_made_by_hand(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    flows = {f["slug"]: f["pk"] for f in admin.list_all("flows/instances/")}
    key = admin.list_all("crypto/certificatekeypairs/")[0]
    scopes = {m["scope_name"]: m["pk"] for m in admin.list_all("propertymappings/provider/scope/")}
    made = admin.post(
        "providers/oauth2/",
        {
            "name": "dezky-portal",
            "client_id": "dezky-portal",
            "authorization_flow": flows["default-provider-authorization-explicit-consent"],
            "invalidation_flow": flows["default-provider-invalidation-flow"],
            "signing_key": key["pk"],
            "property_mappings": [scopes["openid"], scopes["email"]],
            "redirect_uris": [
                {"matching_mode": "strict", "url": "https://app.dezky.local/api/auth/callback"}
            ],
        },
    )
    providers = configured(OAuth2ProviderProvider(), fresh_authentik)
    declared = providers.check(
        {},
        {
            "name": "dezky-portal",
            "client_id": "dezky-portal",
            "redirect_uris": [{"url": "https://app.dezky.local/api/auth/callback"}],
        },
    ).inputs
    read = providers.read(str(made["pk"]), declared)
    assert read.id == str(made["pk"])
    assert read.inputs["authorization_flow"] == "default-provider-authorization-explicit-consent"
    assert read.inputs["signing_key"] == "authentik Self-signed Certificate"
    assert read.inputs["scopes"] == ["email", "openid"]
    assert read.outs["client_secret"] == made["client_secret"]
    # the program's defaults differ from what was made by hand: the first `up` will converge them
    changed = providers.diff(read.id, read.inputs, declared)
    assert changed.changes is True

    app = admin.post("core/applications/", {"name": "Portal", "slug": "dezky-portal", "provider": made["pk"]})
    apps = configured(ApplicationProvider(), fresh_authentik)
    app_read = apps.read("dezky-portal", {"public_url": "https://auth.dezky.local"})
    assert (app_read.id, app_read.inputs["name"], app_read.inputs["provider"]) == (
        "dezky-portal",
        "Portal",
        made["pk"],
    )
    assert app_read.outs["pk"] == app["pk"]

    group = admin.post("core/groups/", {"name": "tenant-acme", "attributes": {"plan": "pro"}})
    group_read = configured(GroupProvider(), fresh_authentik).read(group["pk"], {"name": "tenant-acme"})
    assert group_read.inputs["attributes"] == {"plan": "pro"}

    admin.post("core/tokens/", {"identifier": "dezky-bootstrap-token", "intent": "api", "expiring": False})
    token_read = configured(ApiTokenProvider(), fresh_authentik).read(
        "dezky-bootstrap-token", {"key": "the-key-the-program-declares-123"}
    )
    assert token_read.inputs["user"] == "akadmin"
    assert token_read.inputs["key"] == "(changed outside pulumi)"  # a random key, not ours: set_key on up
