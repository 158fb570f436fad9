"""How a tenant is addressed in brands mode (``dezky:tenancy: brands``): its ``.env`` key.

The stack output ``tenant_auth_urls`` maps each tenant's slug to its authentik URL (its brand's host);
``python -m dezky_infra env`` writes each as ``AUTHENTIK_TENANT_<SLUG>_URL``, platform-api reads the same
names, and ``verify`` logs in through the first. This module holds that naming, free of Pulumi, so the
commands that read ``.env`` need not load the engine's SDK.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

from dezky_infra.stack_reader import StackOutputError

TENANT_URLS_OUTPUT: Final = "tenant_auth_urls"
"""The stack output with each tenant's authentik URL by slug (empty in groups mode)."""


def tenant_env_key(slug: str) -> str:
    """The ``.env`` key (and platform-api setting) of the tenant's authentik URL: ``acme-eu`` ->
    ``AUTHENTIK_TENANT_ACME_EU_URL``."""
    return f"AUTHENTIK_TENANT_{slug.upper().replace('-', '_')}_URL"


def tenant_urls(outputs: Mapping[str, str]) -> dict[str, str]:
    """Each tenant's authentik URL by slug, from the stack outputs; empty in groups mode or for a stack
    made before brands existed. Raises ``StackOutputError`` when the output is not a JSON object."""
    raw = outputs.get(TENANT_URLS_OUTPUT)
    try:
        urls = json.loads(raw) if raw else {}
    except ValueError:
        urls = None
    if not isinstance(urls, dict):
        raise StackOutputError(f"the stack output {TENANT_URLS_OUTPUT} is not a JSON object")
    return {str(slug): str(url) for slug, url in urls.items()}
