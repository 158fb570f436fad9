"""The first ``pulumi up`` on an authentik set up by hand with the old guide: it takes the guide's
objects over (saying so) instead of duplicating them, keeps the client secret people already copied,
and previews no change afterwards. Runs against a real authentik too (acceptance mode)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import assert_contract_kept
from tests.engine.harness import EngineProject, changes
from tests.engine.stacks import configure_stack, expect_calls, mine, reset_calls
from tests.target import Target, module_target

pytestmark = pytest.mark.acceptance

TOKEN = "guide-adoption-platform-api-token-4e2d1c0b9a"
ADMIN = "guide-adoption-admin-token-8f7e6d5c4b3a2918"
PASSWORD = "guide-adoption-akadmin-password-63"
PORTAL_CALLBACK = "https://app.dezky.local/api/auth/callback"


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    yield from module_target(bootstrap_token=ADMIN, password=PASSWORD, version=authentik_version)


def test_up_adopts_objects_made_by_the_old_setup_guide(tmp_path: Path, target: Target) -> None:
    with target.admin() as guide:
        flow = guide.list_all("flows/instances/", {"slug": "default-provider-authorization-implicit-consent"})
        inval = guide.list_all("flows/instances/", {"slug": "default-provider-invalidation-flow"})
        made = guide.post(
            "providers/oauth2/",
            {
                "name": target.named("dezky-portal"),
                "client_id": target.named("dezky-portal"),
                "authorization_flow": flow[0]["pk"],
                "invalidation_flow": inval[0]["pk"],
                "redirect_uris": [{"matching_mode": "strict", "url": PORTAL_CALLBACK}],
            },
        )
        guide.post(
            "core/applications/",
            {"name": "Dezky Portal", "slug": target.named("dezky-portal"), "provider": made["pk"]},
        )
        guide.post("core/groups/", {"name": target.named("tenant-acme")})
        guide.post(
            "core/tokens/",
            {"identifier": target.named("dezky-bootstrap-token"), "intent": "api", "expiring": False},
        )

    project = EngineProject(tmp_path)
    configure_stack(project, target, TOKEN, [{"slug": "acme"}])
    try:
        reset_calls(target)
        result = project.up()
        expect_calls(target, "up adopting the setup guide's objects")
        for what in ("OAuth2Provider", "Application", "Group", "ApiToken"):
            assert f"{what} `{target.prefix}" in result.stdout and "took over the existing" in result.stdout
        assert result.outputs["portal_oidc_client_secret"].value == made["client_secret"]
        with target.admin() as guide:
            providers = guide.list_all("providers/oauth2/", {"name": target.named("dezky-portal")})
            assert [p["pk"] for p in providers] == [made["pk"]]
            all_providers = mine(guide.list_all("providers/oauth2/"), "name", target)
            assert all_providers == [target.named("dezky-portal"), target.named("ocis-provider")]
            apps = guide.list_all("core/applications/", {"superuser_full_list": "true"})
            assert mine(apps, "slug", target) == [target.named("dezky-portal"), target.named("ocis")]
            assert len(guide.list_all("core/groups/", {"name": target.named("tenant-acme")})) == 1
            tokens = guide.list_all("core/tokens/", {"identifier": target.named("dezky-bootstrap-token")})
            assert len(tokens) == 1
        assert changes(project.preview().change_summary) == {}
    finally:
        project.destroy()
        if target.server is not None:
            assert_contract_kept(target.server)
