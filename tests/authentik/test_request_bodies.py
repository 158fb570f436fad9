"""Every body the providers send, checked against authentik's own request models.

The strict part: on each tested release (the local server's versions), each body fits that release's
``*Request`` model (create) and ``Patched*Request`` model (update), spelled in the dialect the providers
pick for it. The engine tests already send these bodies to a server that validates them; this test names
each body and field on its own, without a server, so a break points at the body that caused it.

The early warning: the newest authentik-client in requirements-contracts.txt (a release we do not
test yet, e.g. 2026.8.5) gets the same bodies; what it would reject is reported as a warning, never a
failure, so a new authentik's request changes show up before anyone runs it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dezky_infra.authentik import application, brand, group, oauth2_provider, token
from dezky_infra.authentik.api.versions import Release, dialect_for
from dezky_infra.authentik.application import ApplicationSpec
from dezky_infra.authentik.brand import BrandSpec
from dezky_infra.authentik.group import GroupSpec
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderSpec, ResolvedIds
from dezky_infra.authentik.token import ApiTokenSpec
from tests.authentik_server import contract
from tests.authentik_server.versions import VERSIONS

FLOW = "0b5d1c0e-7e38-4bd6-9f55-3c7b8f1c2a10"
KEYPAIR = "5f6c0a70-9b1e-4f3a-8d2e-1a2b3c4d5e6f"
SCOPE = "9d3f2c1b-0a4e-4b5c-8d7e-6f5a4b3c2d1e"
PARENTS = ["1c0ffee0-0000-4000-8000-000000000001", "1c0ffee0-0000-4000-8000-000000000002"]

REQUIREMENTS = Path(__file__).parents[2] / "requirements-contracts.txt"


def newest_listed_client() -> str:
    """The newest authentik-client release requirements-contracts.txt lists: the early warning's."""
    listed = re.findall(r"^authentik-client==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE)
    return max(listed, key=lambda text: Release.parse(text) or Release(0, 0))


def bodies(release: Release) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(what, model, body) for every body the providers send to an authentik of ``release``: create
    bodies against ``<Model>Request``, update bodies against ``Patched<Model>Request``."""
    dialect = dialect_for(release)
    ids = ResolvedIds(
        authorization_flow=FLOW, invalidation_flow=FLOW, signing_key=KEYPAIR, scopes={"openid": SCOPE}
    )
    provider = OAuth2ProviderSpec(
        name="acme-portal",
        redirect_uris=[
            {"url": "https://acme.dezky.local/auth/callback"},
            {"url": r"https://.*\.dezky\.local/cb", "matching_mode": "regex"},
        ],
    )
    with_client_id = provider.model_copy(update={"client_id": "acme-portal", "client_type": "public"})
    unsigned = ids.model_copy(update={"signing_key": None})
    app = ApplicationSpec(
        name="Acme portal",
        slug="acme-portal",
        provider=7,
        launch_url="https://acme.dezky.local/",
        public_url="https://auth.dezky.local",
    )
    unbound = app.model_copy(update={"provider": None, "launch_url": None})
    tenant_brand = BrandSpec(domain="acme.auth.dezky.local", title="Acme", attributes={"settings": {}})
    brand_ids = {field: FLOW for field in brand.FLOW_DESIGNATIONS}
    no_flows = {field: None for field in brand.FLOW_DESIGNATIONS}
    one_parent = GroupSpec(name="tenant-acme", parents=PARENTS[:1], attributes={"quota_gb": 50})
    api_token = ApiTokenSpec(identifier="dezky-infra", key="k" * 40, description="dezky-infra's token")

    for model, sent in (
        ("OAuth2Provider", oauth2_provider.body(provider, ids)),
        ("OAuth2Provider", oauth2_provider.body(with_client_id, unsigned)),
        ("Application", application.body(app)),
        ("Application", application.body(unbound)),
        ("Brand", brand.body(tenant_brand, brand_ids)),
        ("Brand", brand.body(tenant_brand, no_flows)),
        ("Group", group.body(one_parent, dialect)),
        ("Group", group.body(GroupSpec(name="tenants"), dialect)),
    ):
        yield f"create {model}", f"{model}Request", sent
        yield f"update {model}", f"Patched{model}Request", sent
    if dialect.group_parents == "parents":
        several = GroupSpec(name="tenant-acme", parents=PARENTS)
        yield "create Group (2 parents)", "GroupRequest", group.body(several, dialect)
    yield "create ApiToken", "TokenRequest", token.creation_body(api_token, owner=4)
    yield "update ApiToken", "PatchedTokenRequest", token.body(api_token)
    yield "set_key ApiToken", "TokenSetKeyRequest", token.key_body(api_token)


def problems_on(client: str, release: Release) -> list[str]:
    """Each way a body breaks ``client``'s models, as one line naming the body and the field."""
    checked = contract.for_client(client)
    return [
        f"{what}: {model}.{'.'.join(map(str, problem.loc)) or '<body>'}: {problem.kind} ({problem.message})"
        for what, model, sent in bodies(release)
        for problem in checked.problems(model, sent)
    ]


@pytest.mark.parametrize("version", VERSIONS.values(), ids=lambda v: v.name)
def test_every_body_fits_the_tested_release(version: Any) -> None:
    release = Release.parse(version.release)
    assert release is not None
    assert problems_on(version.client, release) == []


def test_the_check_catches_a_broken_body() -> None:
    """The check is not vacuous: a body with a field the release spells otherwise is reported."""
    checked = contract.for_client(VERSIONS["2026.2"].client)
    wrong = group.body(GroupSpec(name="g", parents=PARENTS[:1]), dialect_for(Release(2025, 10)))
    found = checked.problems("GroupRequest", wrong)
    assert [(p.loc, p.kind) for p in found] == [(("parent",), contract.EXTRA)]


def test_newest_authentik_client_early_warning() -> None:
    """Bodies as the newest dialect spells them, against the newest client: warn, do not fail."""
    client = newest_listed_client()
    newest = Release.parse(client)
    assert newest is not None and newest > max(Release.parse(v.release) or newest for v in VERSIONS.values())
    try:
        found = problems_on(client, newest)
    except contract.ContractUnavailable:
        pytest.fail(f"authentik-client {client} is not installed: run scripts/setup.sh")
    for line in found:
        warnings.warn(f"authentik-client {client} would reject: {line}", stacklevel=1)
