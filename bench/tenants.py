"""The benchmark's workload: per tenant one group, one OAuth2 provider and one application.

One definition feeds the Pulumi program (``bench/program``) and the scripted route
(``bench/scripted.py``), so both make exactly the same authentik objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOKEN_IDENTIFIER = "dezky-bootstrap-token"
READY_RESOURCE = "authentik-ready"
TOKEN_RESOURCE = "platform-api-token"
"""The Pulumi resource names of the stack's two singletons (a tenant's are ``Tenant``'s)."""
PUBLIC_URL = "https://auth.dezky.local"
DOMAIN = "dezky.local"


@dataclass(frozen=True)
class Tenant:
    """The names of one tenant's objects."""

    index: int

    @property
    def slug(self) -> str:
        """``t007``: sortable and a valid authentik slug."""
        return f"t{self.index:03d}"

    @property
    def group_name(self) -> str:
        """The tenant's authentik group."""
        return f"tenant-{self.slug}"

    @property
    def provider_resource(self) -> str:
        """The Pulumi resource name of the tenant's OAuth2 provider (the group's is its group name)."""
        return f"{self.slug}-provider"

    @property
    def app_resource(self) -> str:
        """The Pulumi resource name of the tenant's application."""
        return f"{self.slug}-app"

    @property
    def group_attributes(self) -> dict[str, Any]:
        """Attributes like dev_objects gives a tenant group."""
        return {"dezky": {"tenant": self.slug, "display_name": self.slug.upper()}}

    @property
    def provider_name(self) -> str:
        """The OAuth2 provider's unique name."""
        return f"{self.slug}-portal"

    @property
    def client_id(self) -> str:
        """The OAuth2 client id."""
        return f"{self.slug}-portal"

    @property
    def redirect_uris(self) -> list[dict[str, str]]:
        """The provider's one strict redirect URI."""
        return [{"url": f"https://{self.slug}.app.{DOMAIN}/api/auth/callback", "matching_mode": "strict"}]

    @property
    def app_name(self) -> str:
        """The application's display name."""
        return f"Tenant {self.slug.upper()} Portal"

    @property
    def app_slug(self) -> str:
        """The application's slug (its id in authentik's API)."""
        return f"{self.slug}-portal"

    @property
    def launch_url(self) -> str:
        """Where the application opens."""
        return f"https://{self.slug}.app.{DOMAIN}/"


def tenants(count: int) -> list[Tenant]:
    """``count`` tenants, numbered from 0."""
    return [Tenant(i) for i in range(count)]
