"""Switching a stack's tenancy model through the real engine: groups, then brands, then groups again.

Each switch converges in one ``up`` (a brand per tenant appears, then goes) with no orphan and no
duplicate in authentik, the groups are never replaced, and a following preview has nothing to do. In
brands mode ``env`` writes each tenant's authentik URL and ``verify`` logs in through the first tenant's
brand host. One stack walks through the steps in order (each test relies on the ones before it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from dotenv import dotenv_values

from tests.conftest import assert_contract_kept
from tests.engine.harness import EngineProject, changes
from tests.engine.stacks import configure_stack, mine
from tests.engine.test_verify import command
from tests.target import Target, module_target

pytestmark = pytest.mark.acceptance

TOKEN = "tenancy-engine-platform-api-token-4e8a2c6b0d"
PASSWORD = "tenancy-engine-akadmin-password-9f3d"
TENANTS = [{"slug": "acme", "display_name": "ACME"}, {"slug": "globex"}]


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    yield from module_target(bootstrap_token=None, password=PASSWORD, version=authentik_version)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, target: Target) -> Iterator[EngineProject]:
    project = EngineProject(tmp_path_factory.mktemp("tenancy"))
    configure_stack(project, target, TOKEN, TENANTS)
    yield project
    if target.server is not None:
        assert_contract_kept(target.server)


def inventory(target: Target) -> dict[str, list[str]]:
    """The stack's tenant groups (with their pks, so a replacement shows) and tenant brands in authentik
    (not the default brand every authentik has)."""
    with target.admin() as admin:
        groups = admin.list_all("core/groups/")
        brands = admin.list_all("core/brands/")
    return {
        "groups": sorted(
            f"{g['name']}={g['pk']}" for g in groups if g["name"].startswith(target.named("tenant-"))
        ),
        "brands": [domain for domain in mine(brands, "domain", target) if ".auth.dezky.local" in domain],
    }


def brand_domain(target: Target, slug: str) -> str:
    port = urlsplit(target.url).port
    return f"{target.named(slug)}.auth.dezky.local" + (f":{port}" if port else "")


class TestSwitchingTenancy:
    groups_before: list[str]

    def test_groups_mode_makes_groups_and_no_brand(self, project: EngineProject, target: Target) -> None:
        project.up()
        seen = inventory(target)
        assert len(seen["groups"]) == 2 and seen["brands"] == []
        TestSwitchingTenancy.groups_before = seen["groups"]

    def test_to_brands_adds_one_brand_per_tenant_and_keeps_the_groups(
        self, project: EngineProject, target: Target
    ) -> None:
        project.configure({"tenancy": "brands"}, {})
        result = project.up()
        assert changes(result.summary.resource_changes) == {"create": 2}
        assert inventory(target) == {
            "groups": self.groups_before,
            "brands": sorted(brand_domain(target, slug) for slug in ("acme", "globex")),
        }
        urls = result.outputs["tenant_auth_urls"].value
        scheme = urlsplit(target.url).scheme
        assert urls == {slug: f"{scheme}://{brand_domain(target, slug)}" for slug in ("acme", "globex")}
        assert changes(project.preview().change_summary) == {}

    def test_env_and_verify_log_in_through_the_first_tenants_host(
        self, project: EngineProject, target: Target, tmp_path: Path
    ) -> None:
        env_file = tmp_path / "consumer.env"
        cwd = str(project.work_dir)
        written = command(project, "env", "--stack", "dev", "--cwd", cwd, "--file", str(env_file))
        assert written.returncode == 0, written.stderr
        scheme = urlsplit(target.url).scheme
        assert (
            dotenv_values(env_file)["AUTHENTIK_TENANT_ACME_URL"]
            == f"{scheme}://{brand_domain(target, 'acme')}"
        )
        result = command(project, "verify", "--stack", "dev", "--cwd", cwd, "--env-file", str(env_file))
        assert result.returncode == 0, result.stdout + result.stderr
        host = brand_domain(target, "acme")
        lines = result.stdout.splitlines()
        assert f"ok    tenant acme: its brand serves its host: {host} ('ACME')" in lines
        issuer = f"{scheme}://{host}/application/o/{target.named('dezky-portal')}/"
        assert f"ok    tenant acme dezky-portal: discovery: issuer {issuer}" in lines
        assert any(line.startswith("ok    tenant acme dezky-portal: id_token:") for line in lines)
        assert f"verify: {urlsplit(issuer).hostname} does not resolve on this machine" in result.stdout

    def test_back_to_groups_removes_the_brands_and_nothing_else(
        self, project: EngineProject, target: Target
    ) -> None:
        project.configure({"tenancy": "groups"}, {})
        result = project.up()
        assert changes(result.summary.resource_changes) == {"delete": 2}
        assert inventory(target) == {"groups": self.groups_before, "brands": []}
        assert result.outputs["tenant_auth_urls"].value == {}
        assert changes(project.preview().change_summary) == {}

    def test_destroy_leaves_nothing(self, project: EngineProject, target: Target) -> None:
        project.destroy()
        assert inventory(target) == {"groups": [], "brands": []}
