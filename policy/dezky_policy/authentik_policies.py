"""Policies on the authentik objects (the program's dynamic resources, inputs in ``args.props``)."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)

from .common import config_strings, resource_policy, string_list_schema
from .engine import current_stack
from .values import is_unknown, known_str, reveal

OAUTH2_PROVIDER = "pulumi-python:dynamic/authentik:OAuth2Provider"
API_TOKEN = "pulumi-python:dynamic/authentik:ApiToken"

ALLOW_REGEX_KEY = "allowRegexRedirects"
PUBLIC_SPA_IDS_KEY = "publicSpaClientIds"
DEFAULT_PUBLIC_SPA_IDS = ("ocis-web",)
DEV_STACKS_KEY = "devStacks"
DEFAULT_DEV_STACKS = ("dev",)
INSECURE_TLS_CONFIG_KEY = "dezky:authentikInsecureSkipTlsVerify"


def _is_https(url: str, matching_mode: str) -> bool:
    """An exact URL starts with https://; a regex must anchor its scheme to https too."""
    if matching_mode == "regex":
        pattern = url.removeprefix("^")
        return pattern.startswith(("https://", r"https:\/\/"))
    return url.startswith("https://")


def _check_redirect_uris(
    args: ResourceValidationArgs, props: dict[str, Any], report: ReportViolation
) -> None:
    """Why: a redirect URI receives authorization codes; http leaks them, a loose regex redirects anywhere."""
    regex_allowed = args.name in config_strings(args.get_config(), ALLOW_REGEX_KEY, ())
    redirect_uris = reveal(props.get("redirect_uris"))
    if not isinstance(redirect_uris, list):
        return  # unknown during preview: nothing to judge yet
    for entry in redirect_uris:
        if not isinstance(entry, dict):
            continue
        url = known_str(entry.get("url"))
        mode = known_str(entry.get("matching_mode", "strict"))
        if url is None or mode is None:
            continue
        if mode == "regex" and not regex_allowed:
            report(
                f"redirect URI '{url}' uses matching_mode 'regex'; use 'strict', or list "
                f"{args.name!r} in this policy's {ALLOW_REGEX_KEY} config",
                None,
            )
        elif mode not in ("strict", "regex"):
            report(f"redirect URI '{url}' has matching_mode {mode!r}; use 'strict'", None)
        if not _is_https(url, mode):
            report(
                f"redirect URI '{url}' is not https; authorization codes must not travel in clear text", None
            )


def _check_confidential_client_id(
    args: ResourceValidationArgs, props: dict[str, Any], report: ReportViolation
) -> None:
    """Why: a public SPA's client id is in every browser; a confidential client must not share it."""
    client_type = reveal(props.get("client_type", "confidential"))
    client_id = known_str(props.get("client_id"))
    if client_type != "confidential" or client_id is None:
        return
    spa_ids = config_strings(args.get_config(), PUBLIC_SPA_IDS_KEY, DEFAULT_PUBLIC_SPA_IDS)
    if client_id in spa_ids:
        report(
            f"confidential client uses client_id {client_id!r}, which belongs to a public SPA client; "
            "give it its own client_id",
            None,
        )


def _check_token_expiry(args: ResourceValidationArgs, props: dict[str, Any], report: ReportViolation) -> None:
    """Why: a token that never expires is fine for a throwaway dev stack, a standing risk elsewhere."""
    expiring = reveal(props.get("expiring", False))
    if expiring is not False or is_unknown(expiring):
        return
    dev_stacks = config_strings(args.get_config(), DEV_STACKS_KEY, DEFAULT_DEV_STACKS)
    stack = current_stack().name
    if stack in dev_stacks:
        return
    identifier = known_str(props.get("identifier")) or args.name
    report(
        f"API token {identifier!r} never expires (expiring: false) in stack {stack or '<unknown>'!r}; "
        f"non-expiring tokens are for the {', '.join(dev_stacks)} stack(s) only",
        None,
    )


def _check_tls_verification(args: StackValidationArgs, report: ReportViolation) -> None:
    """Why: without verification anyone on the path can answer as authentik and get the API token."""
    value = current_stack().config.get(INSECURE_TLS_CONFIG_KEY)
    if value is not None and value.strip().lower() == "true":
        report(
            f"stack config {INSECURE_TLS_CONFIG_KEY} is true: the providers do not verify authentik's TLS "
            "certificate; set dezky:authentikCaBundle to the CA's PEM instead",
            None,
        )


redirect_uris_https_strict = resource_policy(
    name="authentik-redirect-uris-https-strict",
    description="OAuth2 redirect URIs use https and matching_mode 'strict'.",
    enforcement_level=EnforcementLevel.MANDATORY,
    resource_types={OAUTH2_PROVIDER},
    check=_check_redirect_uris,
    config_schema=string_list_schema(
        ALLOW_REGEX_KEY, "Names of OAuth2Provider resources allowed to use regex redirect URIs.", ()
    ),
)

confidential_client_not_spa_id = resource_policy(
    name="authentik-confidential-client-not-spa-id",
    description="A confidential OAuth2 client never uses a public SPA client's id.",
    enforcement_level=EnforcementLevel.MANDATORY,
    resource_types={OAUTH2_PROVIDER},
    check=_check_confidential_client_id,
    config_schema=string_list_schema(
        PUBLIC_SPA_IDS_KEY, "Client ids of public single-page-app clients.", DEFAULT_PUBLIC_SPA_IDS
    ),
)

api_token_expiry = resource_policy(
    name="authentik-api-token-expiry",
    description="Non-expiring authentik API tokens belong to dev stacks only.",
    enforcement_level=EnforcementLevel.ADVISORY,
    resource_types={API_TOKEN},
    check=_check_token_expiry,
    config_schema=string_list_schema(
        DEV_STACKS_KEY, "Stacks where non-expiring API tokens are accepted.", DEFAULT_DEV_STACKS
    ),
)

tls_verification_on = StackValidationPolicy(
    name="authentik-tls-verification-on",
    description="The authentik providers verify authentik's TLS certificate.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_check_tls_verification,
)
