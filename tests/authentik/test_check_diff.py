"""check and diff of every resource, without authentik: validation at preview, exact diffs, unknowns."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from dezky_infra.authentik.application import ApplicationProvider
from dezky_infra.authentik.group import GroupProvider
from dezky_infra.authentik.oauth2_provider import OAuth2ProviderProvider
from dezky_infra.authentik.token import ApiTokenProvider

PORTAL: dict[str, Any] = {
    "name": "dezky-portal",
    "client_type": "confidential",
    "client_id": "dezky-portal",
    "redirect_uris": [{"url": "https://app.dezky.local/api/auth/callback", "matching_mode": "strict"}],
}
APP: dict[str, Any] = {
    "name": "Dezky Portal",
    "slug": "dezky-portal",
    "provider": 8,
    "public_url": "https://auth.dezky.local",
}


def failures(provider: Any, news: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.property, f.reason) for f in provider.check({}, news).failures]


def test_check_fills_defaults_and_sorts_unordered_lists() -> None:
    news = {
        **PORTAL,
        "redirect_uris": [
            {"url": "https://b.dezky.local/cb"},
            {"url": "https://a.dezky.local/cb", "matching_mode": "strict"},
        ],
        "scopes": ["profile", "openid", "email", "openid"],
    }
    inputs = OAuth2ProviderProvider().check({}, news).inputs
    assert inputs["redirect_uris"] == [
        {"url": "https://a.dezky.local/cb", "matching_mode": "strict"},
        {"url": "https://b.dezky.local/cb", "matching_mode": "strict"},
    ]
    assert inputs["scopes"] == ["email", "openid", "profile"]
    assert inputs["authorization_flow"] == "default-provider-authorization-implicit-consent"
    assert inputs["invalidation_flow"] == "default-provider-invalidation-flow"
    assert inputs["signing_key"] == "authentik Self-signed Certificate"
    assert inputs["sub_mode"] == "hashed_user_id"


def test_reordered_redirects_and_scopes_are_no_diff() -> None:
    provider = OAuth2ProviderProvider()
    one = provider.check({}, {**PORTAL, "scopes": ["openid", "email"]}).inputs
    two = provider.check({}, {**PORTAL, "scopes": ["email", "openid"]}).inputs
    assert provider.diff("8", one, two).changes is False


def test_diff_names_exactly_the_changed_fields() -> None:
    provider = OAuth2ProviderProvider()
    old = provider.check({}, PORTAL).inputs
    new = provider.check(
        {}, {**PORTAL, "redirect_uris": [*PORTAL["redirect_uris"], {"url": "https://app.dezky.local/x"}]}
    ).inputs
    result = provider.diff("8", {**old, "client_secret": "s", "pk": 8}, new)
    assert result.changes is True
    assert result.replaces == []
    # the engine reports changed keys from the replaces list and its own comparison; ours says "update"


@pytest.mark.parametrize(
    ("news", "expected"),
    [
        (
            {**PORTAL, "redirect_uris": [{"url": "app.dezky.local/cb"}]},
            (
                "redirect_uris",
                "0: 'app.dezky.local/cb' is not an absolute http(s) URL; write it like 'https://app.dezky.local/cb'",
            ),
        ),
        (
            {**PORTAL, "redirect_uris": [{"url": "https://x/(cb", "matching_mode": "regex"}]},
            (
                "redirect_uris",
                "0: 'https://x/(cb' is not a valid regular expression "
                "(missing ), unterminated subpattern at position 10)",
            ),
        ),
        (
            {**PORTAL, "redirect_uris": [{"url": "https://x/cb", "matching_mode": "exact"}]},
            ("redirect_uris", "0.matching_mode: Input should be 'strict' or 'regex'"),
        ),
        ({**PORTAL, "client_type": "secret"}, ("client_type", "Input should be 'confidential' or 'public'")),
        ({**PORTAL, "name": ""}, ("name", "String should have at least 1 character")),
        (
            {**PORTAL, "redirect_uris": []},
            ("redirect_uris", "List should have at least 1 item after validation, not 0"),
        ),
        (
            {**PORTAL, "access_token_validity": "1h"},
            (
                "access_token_validity",
                "'1h' is not an authentik duration; write e.g. 'minutes=1' or 'hours=1;minutes=30' "
                "(units: days, hours, microseconds, milliseconds, minutes, seconds, weeks)",
            ),
        ),
        ({**PORTAL, "colour": "blue"}, ("colour", "is not an input of this resource")),
    ],
)
def test_provider_check_rejects_bad_input_naming_the_field(
    news: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert failures(OAuth2ProviderProvider(), news) == [expected]


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        (
            "dezky portal",
            "slug 'dezky portal' may only contain letters, digits, '-' and '_' (e.g. 'dezky-portal')",
        ),
        ("token", "slug 'token' is reserved by authentik's OAuth2 endpoints; choose another"),
    ],
)
def test_application_check_rejects_bad_slugs(slug: str, reason: str) -> None:
    assert failures(ApplicationProvider(), {**APP, "slug": slug}) == [("slug", reason)]


def test_application_slug_of_50_and_uppercase_are_accepted_like_authentik() -> None:
    assert failures(ApplicationProvider(), {**APP, "slug": "A" * 50}) == []


@pytest.mark.parametrize("unknown", [UNKNOWN, Unknown()], ids=["wire-sentinel", "deserialized"])
def test_unknown_inputs_at_preview_are_not_validated_and_diff_as_changed(unknown: object) -> None:
    provider = ApplicationProvider()
    result = provider.check({}, {**APP, "provider": unknown})
    assert result.failures == []
    assert result.inputs["provider"] is unknown
    assert result.inputs["policy_engine_mode"] == "any"  # defaults still filled
    old = provider.check({}, APP).inputs
    diff = provider.diff("dezky-portal", old, result.inputs)
    assert diff.changes is True and diff.replaces == []


def test_application_slug_change_replaces_delete_first() -> None:
    provider = ApplicationProvider()
    old = provider.check({}, APP).inputs
    new = provider.check({}, {**APP, "slug": "portal"}).inputs
    diff = provider.diff("dezky-portal", old, new)
    assert diff.replaces == ["slug"]
    assert diff.delete_before_replace is True


def test_token_user_change_replaces_and_key_change_updates() -> None:
    provider = ApiTokenProvider()
    base = {"identifier": "dezky-bootstrap-token", "key": "k" * 40}
    old = provider.check({}, base).inputs
    assert old["expiring"] is False and old["intent"] == "api" and old["user"] == "akadmin"
    assert provider.diff("x", old, provider.check({}, {**base, "user": "ops"}).inputs).replaces == ["user"]
    key_diff = provider.diff("x", old, provider.check({}, {**base, "key": "z" * 40}).inputs)
    assert key_diff.changes is True and key_diff.replaces == []


def test_token_check_never_echoes_the_key() -> None:
    secret = "short"
    result = ApiTokenProvider().check({}, {"identifier": "t", "key": secret})
    assert [(f.property, f.reason) for f in result.failures] == [
        ("key", "String should have at least 8 characters")
    ]
    assert all(secret not in f.reason for f in result.failures)


def test_group_attributes_diff_and_no_op() -> None:
    provider = GroupProvider()
    old = provider.check({}, {"name": "tenant-acme", "attributes": {"quota_gb": 50}}).inputs
    same = provider.check({}, {"name": "tenant-acme", "attributes": {"quota_gb": 50}}).inputs
    assert provider.diff("pk", old, same).changes is False
    changed = provider.check({}, {"name": "tenant-acme", "attributes": {"quota_gb": 100}}).inputs
    assert provider.diff("pk", old, changed).changes is True
