"""``Application``: an authentik application bound to a provider, with its OIDC issuer as an output.

The resource id is the slug, because authentik's detail route is keyed by it and its ``?slug=`` list
filter is unreliable (a per-user cache that ignores filters, transcript 15): reads always go to
``core/applications/<slug>/``. A slug change therefore replaces the application (deleted first: a
provider can be bound to one application only). Deleting an application leaves its provider alone,
as authentik does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field, field_validator

from dezky_infra.authentik.adoption import create_or_adopt, find_at
from dezky_infra.authentik.dynamic_base import AuthentikResourceProvider, ResourceSpec
from dezky_infra.authentik.validation import check_absolute_url, check_slug

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.client import AuthentikClient

PATH = "core/applications/"


class ApplicationSpec(ResourceSpec):
    """Inputs of an application."""

    replace_on: ClassVar[frozenset[str]] = frozenset({"slug"})

    name: str = Field(min_length=1)
    slug: str
    provider: int | None = None
    launch_url: str | None = None
    policy_engine_mode: Literal["any", "all"] = "any"
    group: str = ""
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


class ApplicationProvider(AuthentikResourceProvider[ApplicationSpec]):
    """Dynamic provider for ``core/applications/``; the resource id is the slug."""

    spec_type: ClassVar[type[ResourceSpec]] = ApplicationSpec
    kind: ClassVar[str] = "Application"

    @staticmethod
    def body(spec: ApplicationSpec) -> dict[str, Any]:
        """The API body for this spec."""
        return {
            "name": spec.name,
            "slug": spec.slug,
            "provider": spec.provider,
            "meta_launch_url": spec.launch_url or "",
            "policy_engine_mode": spec.policy_engine_mode,
            "group": spec.group,
        }

    @staticmethod
    def outputs(live: Mapping[str, Any], spec: ApplicationSpec) -> dict[str, Any]:
        """Computed outputs."""
        return {"pk": str(live["pk"]), "issuer": spec.issuer()}

    def create_object(self, client: AuthentikClient, spec: ApplicationSpec) -> tuple[str, dict[str, Any]]:
        # adoption goes by the detail route: the ?slug= list filter is a stale per-user cache
        detail = f"{PATH}{spec.slug}/"
        live = create_or_adopt(
            client, PATH, self.body(spec), self.adoption(spec, "slug"), lambda: find_at(client, detail)
        )
        return spec.slug, self.outputs(live, spec)

    def read_object(
        self, client: AuthentikClient, id_: str, props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        live = client.get_or_none(f"{PATH}{id_}/")
        if live is None:
            return None
        inputs = {
            "name": live["name"],
            "slug": live["slug"],
            "provider": live["provider"],
            "launch_url": live["meta_launch_url"] or None,
            "policy_engine_mode": live["policy_engine_mode"],
            "group": live["group"],
            "public_url": props["public_url"],
        }
        return inputs, self.outputs(live, ApplicationSpec.model_validate(inputs))

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: ApplicationSpec
    ) -> dict[str, Any]:
        return self.outputs(client.patch(f"{PATH}{id_}/", self.body(spec)), spec)

    def delete_object(self, client: AuthentikClient, id_: str, props: Mapping[str, Any]) -> None:
        client.delete(f"{PATH}{id_}/")


class Application(Resource, module="authentik", name="Application"):
    """An authentik application. Outputs ``pk`` and ``issuer`` (``<public_url>/application/o/<slug>/``)."""

    pk: pulumi.Output[str]
    issuer: pulumi.Output[str]
    slug: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        slug: pulumi.Input[str],
        public_url: pulumi.Input[str],
        provider: pulumi.Input[int] | None = None,
        launch_url: pulumi.Input[str] | None = None,
        policy_engine_mode: pulumi.Input[str] = "any",
        group: pulumi.Input[str] = "",
        adopt: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "adopt": adopt,
            "name": name,
            "slug": slug,
            "public_url": public_url,
            "provider": provider,
            "launch_url": launch_url,
            "policy_engine_mode": policy_engine_mode,
            "group": group,
            "pk": None,
            "issuer": None,
        }
        super().__init__(ApplicationProvider(), resource_name, props, opts)
