"""Brand lifecycle against the local authentik-compatible server (transcripts 30-31): flows by slug in
state and diffs, adoption by domain, refresh of drift and of an out-of-band delete, and the checks that
do the validation authentik leaves out."""

from __future__ import annotations

from typing import Any

import pytest

from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.lookups import AuthentikLookupError
from dezky_infra.authentik.brand import BrandProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import configured

ACME = {"domain": "acme.auth.dezky.local", "title": "Acme"}
DEFAULT_FLOWS = {
    "flow_authentication": "default-authentication-flow",
    "flow_invalidation": "default-invalidation-flow",
    "flow_user_settings": "default-user-settings-flow",
}


def flow_pks(admin: AuthentikClient) -> dict[str, str]:
    return {flow["slug"]: flow["pk"] for flow in admin.list_all("flows/instances/")}


def test_create_read_noop_update_delete(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    brands = configured(BrandProvider(), fresh_authentik)
    inputs = brands.check({}, ACME).inputs
    created = brands.create(inputs)
    live = admin.get(f"core/brands/{created.id}/")
    pks = flow_pks(admin)
    # a new brand gets no flows in authentik: the default ones are set explicitly, by pk
    assert {field: live[field] for field in DEFAULT_FLOWS} == {f: pks[s] for f, s in DEFAULT_FLOWS.items()}
    assert (live["domain"], live["branding_title"], live["default"]) == (
        "acme.auth.dezky.local",
        "Acme",
        False,
    )
    assert created.outs["brand_uuid"] == created.id
    read = brands.read(created.id, created.outs)
    assert read.inputs == inputs
    assert {field: read.inputs[field] for field in DEFAULT_FLOWS} == DEFAULT_FLOWS  # slugs, not pks
    assert brands.diff(created.id, read.outs, inputs).changes is False

    retitled = brands.check(inputs, {**ACME, "title": "Acme Inc."}).inputs
    diff = brands.diff(created.id, created.outs, retitled)
    assert (diff.changes, diff.replaces) == (True, [])
    brands.update(created.id, created.outs, retitled)
    assert admin.get(f"core/brands/{created.id}/")["branding_title"] == "Acme Inc."

    brands.delete(created.id, created.outs)
    assert admin.get_or_none(f"core/brands/{created.id}/") is None
    assert brands.read(created.id, created.outs).id is None
    brands.delete(created.id, created.outs)  # already gone: not an error


def test_a_new_domain_is_changed_in_place(fresh_authentik: AuthentikServer, admin: AuthentikClient) -> None:
    brands = configured(BrandProvider(), fresh_authentik)
    inputs = brands.check({}, ACME).inputs
    created = brands.create(inputs)
    moved = brands.check(inputs, {**ACME, "domain": "acme.auth.example.test"}).inputs
    diff = brands.diff(created.id, created.outs, moved)
    assert (diff.changes, diff.replaces) == (True, [])
    brands.update(created.id, created.outs, moved)
    assert admin.get(f"core/brands/{created.id}/")["domain"] == "acme.auth.example.test"


def test_refresh_shows_an_out_of_band_flow_by_its_slug(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    brands = configured(BrandProvider(), fresh_authentik)
    inputs = brands.check({}, ACME).inputs
    created = brands.create(inputs)
    source = flow_pks(admin)["default-source-authentication"]
    admin.patch(f"core/brands/{created.id}/", {"flow_authentication": source, "flow_user_settings": None})
    drifted = brands.read(created.id, created.outs)
    assert drifted.inputs["flow_authentication"] == "default-source-authentication"
    assert drifted.inputs["flow_user_settings"] is None
    diff = brands.diff(created.id, drifted.outs, inputs)
    assert diff.changes is True
    brands.update(created.id, drifted.outs, inputs)
    live = admin.get(f"core/brands/{created.id}/")
    assert live["flow_authentication"] == flow_pks(admin)["default-authentication-flow"]
    assert live["flow_user_settings"] == flow_pks(admin)["default-user-settings-flow"]


def test_create_adopts_the_brand_with_the_same_domain(
    fresh_authentik: AuthentikServer, admin: AuthentikClient
) -> None:
    theirs = admin.post("core/brands/", {"domain": "acme.auth.dezky.local", "branding_title": "by hand"})
    assert theirs["flow_authentication"] is None
    brands = configured(BrandProvider(), fresh_authentik)
    created = brands.create(brands.check({}, ACME).inputs)
    assert created.id == theirs["brand_uuid"]
    [only] = [b for b in admin.list_all("core/brands/") if b["domain"] == "acme.auth.dezky.local"]
    assert only["branding_title"] == "Acme" and only["flow_authentication"] is not None


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("Acme.auth.dezky.local", "'Acme.auth.dezky.local' is not a lowercase host name"),
        ("https://acme.auth.dezky.local", "'https://acme.auth.dezky.local' is not a lowercase host name"),
        ("acme .auth.dezky.local", "'acme .auth.dezky.local' is not a lowercase host name"),
        ("*.auth.dezky.local", "'*.auth.dezky.local' is not a lowercase host name"),
        ("acme.auth.dezky.local:0", "'acme.auth.dezky.local:0' has no valid port after ':'"),
        ("acme.auth.dezky.local:443x", "'acme.auth.dezky.local:443x' has no valid port after ':'"),
    ],
)
def test_a_domain_authentik_would_accept_but_never_match_fails_at_preview(
    fresh_authentik: AuthentikServer, domain: str, message: str
) -> None:
    brands = configured(BrandProvider(), fresh_authentik)
    fresh_authentik.reset_calls()
    failures = brands.check({}, {**ACME, "domain": domain}).failures
    assert [(f.property, f.reason[: len(message)]) for f in failures] == [("domain", message)]
    assert fresh_authentik.calls == []


def test_a_domain_with_the_port_browsers_send_is_accepted(fresh_authentik: AuthentikServer) -> None:
    brands = configured(BrandProvider(), fresh_authentik)
    assert brands.check({}, {**ACME, "domain": "acme.auth.dezky.local:8443"}).failures == []


def test_an_unknown_flow_fails_at_preview_naming_the_field(fresh_authentik: AuthentikServer) -> None:
    brands = configured(BrandProvider(), fresh_authentik)
    news: dict[str, Any] = {**ACME, "flow_invalidation": "no-such-flow"}
    failures = brands.check({}, news).failures
    assert [f.property for f in failures] == ["flow_invalidation"]
    assert failures[0].reason.startswith(
        "field `flow_invalidation`: no flow with slug `no-such-flow`; authentik's invalidation flows: "
        "`default-invalidation-flow`"
    )
    with pytest.raises(AuthentikLookupError, match="no-such-flow"):
        brands.create(brands.check({}, {**ACME, "flow_invalidation": "no-such-flow"}).inputs)
    assert all(c.method == "GET" for c in fresh_authentik.calls)
