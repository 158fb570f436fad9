"""``Application``: an authentik application bound to a provider, with its OIDC issuer as an output.

The resource id is the slug, because authentik's detail route is keyed by it and its ``?slug=`` list
filter is unreliable (a per-user cache that ignores filters, transcript 15): reads always go to
``core/applications/<slug>/``. A slug change therefore replaces the application (deleted first: a
provider can be bound to one application only). Deleting an application leaves its provider alone,
as authentik does.

The module reads top down: the inputs (``ApplicationSpec``), the pure mapping to authentik's body and
back, the CRUD, and the resource users declare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import CheckFailure
from pydantic import Field, field_validator

from dezky_infra.authentik.api.validation import check_absolute_url, check_slug
from dezky_infra.authentik.api.versions import DIALECTS, Server
from dezky_infra.authentik.provider.adoption import create_or_adopt, find_at
from dezky_infra.authentik.provider.base import AdoptableSpec, AuthentikObjectProvider, ResourceSpec
from dezky_infra.authentik.provider.declaration import UNSET, AuthentikResource, Unset

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.api.client import AuthentikClient


class ApplicationSpec(AdoptableSpec):
    """Inputs of an application."""

    replace_on: ClassVar[frozenset[str]] = frozenset({"slug"})

    name: str = Field(min_length=1)
    """The name users see in authentik's app library (need not be unique)."""
    slug: str
    """The application's id in URLs, and so in the OIDC issuer: letters, digits, ``-`` and ``_``; at most
    50 characters on authentik before 2025.12. Its natural key: a change replaces the application."""
    provider: int | None = None
    """pk of the provider it is bound to, usually an ``OAuth2Provider``'s ``pk`` output (one application
    per provider)."""
    launch_url: str | None = None
    """Where the app library opens the application (an absolute http(s) URL)."""
    policy_engine_mode: Literal["any", "all"] = "any"
    """Whether any or all bound policies must pass for a user to get access."""
    group: str = ""
    """The group the app library lists the application under."""
    public_url: str
    """authentik's public base URL (``https://auth.dezky.local``): the issuer is built from it."""

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return check_slug(value)

    @field_validator("launch_url", "public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_absolute_url(value)

    def issuer(self) -> str:
        """The OIDC issuer of a per-provider-issuer OAuth2 provider bound to this application."""
        return f"{self.public_url.rstrip('/')}/application/o/{self.slug}/"


SHORTEST_SLUG_LIMIT = min(d.slug_max_length for d in DIALECTS if d.slug_max_length is not None)
"""Slugs up to this long fit every release; a longer one is checked against authentik's own limit."""


def slug_too_long(slug: str, server: Server) -> str | None:
    """Why ``server`` refuses ``slug`` for its length, or None."""
    limit = server.dialect.slug_max_length
    if limit is None or len(slug) <= limit:
        return None
    return (
        f"slug is {len(slug)} characters long; {server.name} allows at most {limit} "
        "(authentik 2025.12 and later have no limit)"
    )


def body(spec: ApplicationSpec) -> dict[str, Any]:
    """The API body for ``spec``."""
    return {
        "name": spec.name,
        "slug": spec.slug,
        "provider": spec.provider,
        "meta_launch_url": spec.launch_url or "",
        "policy_engine_mode": spec.policy_engine_mode,
        "group": spec.group,
    }


def declared(live: Mapping[str, Any], public_url: str) -> dict[str, Any]:
    """The inputs that declare the application authentik holds (``body``'s inverse); authentik does
    not know the public URL the issuer is built from, so it comes from state."""
    return {
        "name": live["name"],
        "slug": live["slug"],
        "provider": live["provider"],
        "launch_url": live["meta_launch_url"] or None,
        "policy_engine_mode": live["policy_engine_mode"],
        "group": live["group"],
        "public_url": public_url,
    }


def outputs(live: Mapping[str, Any], spec: ApplicationSpec) -> dict[str, Any]:
    """The computed outputs."""
    return {"pk": str(live["pk"]), "issuer": spec.issuer()}


class ApplicationProvider(AuthentikObjectProvider[ApplicationSpec]):
    """Dynamic provider for ``core/applications/``; the resource id is the slug."""

    spec_type: ClassVar[type[ResourceSpec]] = ApplicationSpec
    kind: ClassVar[str] = "Application"
    path: ClassVar[str] = "core/applications/"

    def verify_references(
        self, olds: Mapping[str, Any], spec: ApplicationSpec, unknown: frozenset[str]
    ) -> list[CheckFailure]:
        """A slug longer than every release allows is checked against this authentik's limit."""
        if "slug" in unknown or len(spec.slug) <= SHORTEST_SLUG_LIMIT or olds.get("slug") == spec.slug:
            return []

        def ask(client: AuthentikClient) -> list[CheckFailure]:
            problem = slug_too_long(spec.slug, self.server(client))
            return [CheckFailure("slug", problem)] if problem else []

        return self.ask_at_preview(spec, ["slug"], ask)

    def create_object(self, client: AuthentikClient, spec: ApplicationSpec) -> tuple[str, dict[str, Any]]:
        # adoption goes by the detail route: the ?slug= list filter is a stale per-user cache
        live = create_or_adopt(
            client,
            self.path,
            body(spec),
            self.adoption(spec, "slug"),
            lambda: find_at(client, self.detail(spec.slug)),
        )
        return spec.slug, outputs(live, spec)

    def from_live(
        self, client: AuthentikClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        inputs = declared(live, props["public_url"])
        return inputs, outputs(live, ApplicationSpec.model_validate(inputs))

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: ApplicationSpec
    ) -> dict[str, Any]:
        return outputs(client.patch(self.detail(id_), body(spec)), spec)


class Application(AuthentikResource, name="Application", provider=ApplicationProvider):
    """An authentik application. Outputs ``pk`` and ``issuer`` (``<public_url>/application/o/<slug>/``);
    inputs as ``ApplicationSpec`` declares them."""

    pk: pulumi.Output[str]
    """authentik's pk of the application (a UUID)."""
    issuer: pulumi.Output[str]
    """The OIDC issuer of its provider: ``<public_url>/application/o/<slug>/``."""
    slug: pulumi.Output[str]
    """The slug, as an output (for resources that depend on the application)."""

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        slug: pulumi.Input[str],
        public_url: pulumi.Input[str],
        provider: pulumi.Input[int] | None | Unset = UNSET,
        launch_url: pulumi.Input[str] | None | Unset = UNSET,
        policy_engine_mode: pulumi.Input[str] | Unset = UNSET,
        group: pulumi.Input[str] | Unset = UNSET,
        adopt: pulumi.Input[bool] | Unset = UNSET,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, locals(), opts)
