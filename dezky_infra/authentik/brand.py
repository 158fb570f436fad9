"""``Brand``: an authentik brand, which serves one tenant on its own domain (``{tenant}.auth.<domain>``).

authentik picks the brand of a request by its Host (transcript 31: a case-insensitive suffix match,
longest domain first) and runs the brand's login and logout flows there. What a real authentik does
that this resource works around (files 30-31):

- only ``domain`` is required and a new brand gets no flows at all, so the flows are given by default
  (the default ones by slug unless the caller names others or ``None``), resolved to pks at apply time;
- the domain is not validated (spaces, a scheme, a port, ``*.`` are accepted) and uniqueness is
  case-sensitive, so the domain must be a lowercase host name here, checked at preview; it is
  compared with the whole Host header, so a port browsers send must be part of it;
- the OIDC issuer does not depend on the brand: it follows the request's Host.

The natural key is the domain: a create takes over an existing brand with the same domain (adoption).
The resource id is the brand's ``brand_uuid``. The module reads top down: the inputs (``BrandSpec``),
the pure mapping to authentik's body and back, the CRUD, and the resource users declare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

import pulumi
from pydantic import Field, field_validator

from dezky_infra.authentik.api import lookups
from dezky_infra.authentik.api.validation import check_brand_domain
from dezky_infra.authentik.provider.adoption import create_or_adopt, find_by
from dezky_infra.authentik.provider.base import AdoptableSpec, ResourceSpec
from dezky_infra.authentik.provider.declaration import UNSET, AuthentikResource, Unset
from dezky_infra.authentik.provider.references import IDS_OUTPUT, ReferencingProvider, name_of

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.api.client import AuthentikClient

FLOW_DESIGNATIONS: Final = {
    "flow_authentication": "authentication",
    "flow_invalidation": "invalidation",
    "flow_user_settings": "stage_configuration",
}
"""The brand's flow inputs and the designation each flow must have."""


class BrandSpec(AdoptableSpec):
    """Inputs of a brand."""

    domain: str
    """The Host the brand serves, e.g. ``acme.auth.dezky.local`` (lowercase, ``:port`` when browsers send
    one; its natural key)."""
    title: str = Field(default="authentik", min_length=1)
    """``branding_title``: the name the login page shows."""
    default: bool = False
    """The brand for requests no other brand matches (authentik allows one)."""
    flow_authentication: str | None = Field(default="default-authentication-flow", min_length=1)
    """The login flow by slug; ``None`` leaves it unset (authentik then takes the first of its kind)."""
    flow_invalidation: str | None = Field(default="default-invalidation-flow", min_length=1)
    """The logout flow by slug; ``None`` leaves it unset."""
    flow_user_settings: str | None = Field(default="default-user-settings-flow", min_length=1)
    """The flow users change their settings with, by slug; ``None`` leaves it unset."""
    attributes: dict[str, Any] = Field(default_factory=dict)
    """Free-form attributes (``settings.locale`` sets the brand's language); replaced as a whole."""

    @field_validator("domain")
    @classmethod
    def _host(cls, value: str) -> str:
        return check_brand_domain(value)


def body(spec: BrandSpec, ids: Mapping[str, str | None]) -> dict[str, Any]:
    """The API body for ``spec`` with its flows resolved to ``ids``."""
    return {
        "domain": spec.domain,
        "branding_title": spec.title,
        "default": spec.default,
        **{field: ids[field] for field in FLOW_DESIGNATIONS},
        "attributes": spec.attributes,
    }


def declared(live: Mapping[str, Any], flows: Mapping[str, str | None]) -> dict[str, Any]:
    """The inputs that declare the brand authentik holds (``body``'s inverse), ``flows`` by slug."""
    return {
        "domain": live["domain"],
        "title": live["branding_title"],
        "default": live["default"],
        **{field: flows[field] for field in FLOW_DESIGNATIONS},
        "attributes": live["attributes"],
    }


def outputs(live: Mapping[str, Any], ids: Mapping[str, str | None]) -> dict[str, Any]:
    """The computed outputs."""
    return {"brand_uuid": str(live["brand_uuid"]), IDS_OUTPUT: dict(ids)}


class BrandProvider(ReferencingProvider[BrandSpec]):
    """Dynamic provider for ``core/brands/``; the resource id is the brand's ``brand_uuid``."""

    spec_type: ClassVar[type[ResourceSpec]] = BrandSpec
    kind: ClassVar[str] = "Brand"
    path: ClassVar[str] = "core/brands/"
    references: ClassVar[tuple[str, ...]] = tuple(FLOW_DESIGNATIONS)
    label_field: ClassVar[str] = "domain"

    def lookup(self, client: AuthentikClient, spec: BrandSpec, field: str) -> Any:
        slug = getattr(spec, field)
        return None if slug is None else lookups.flow_pk(client, slug, field, FLOW_DESIGNATIONS[field])

    def create_object(self, client: AuthentikClient, spec: BrandSpec) -> tuple[str, dict[str, Any]]:
        ids = self.resolve(client, spec)
        live = create_or_adopt(
            client,
            self.path,
            body(spec, ids),
            self.adoption(spec, "domain"),
            lambda: find_by(client, self.path, "domain", spec.domain, pk="brand_uuid"),
        )
        return str(live["brand_uuid"]), outputs(live, ids)

    def from_live(
        self, client: AuthentikClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        ids = {field: str(live[field]) if live[field] else None for field in FLOW_DESIGNATIONS}
        flows = {field: name_of(client, field, pk, props, lookups.flow_slug) for field, pk in ids.items()}
        return declared(live, flows), outputs(live, ids)

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: BrandSpec
    ) -> dict[str, Any]:
        ids = self.resolve(client, spec, olds)
        return outputs(client.patch(self.detail(id_), body(spec, ids)), ids)


class Brand(AuthentikResource, name="Brand", provider=BrandProvider):
    """An authentik brand on ``domain``. Outputs ``brand_uuid`` and ``authentik_ids`` (the flow pks);
    inputs as ``BrandSpec`` declares them."""

    brand_uuid: pulumi.Output[str]
    """authentik's pk of the brand (the resource id)."""
    authentik_ids: pulumi.Output[dict[str, str | None]]
    """The flow pks the slugs resolved to at the last apply (a refresh compares them)."""

    def __init__(
        self,
        resource_name: str,
        *,
        domain: pulumi.Input[str],
        title: pulumi.Input[str] | Unset = UNSET,
        default: pulumi.Input[bool] | Unset = UNSET,
        flow_authentication: pulumi.Input[str] | None | Unset = UNSET,
        flow_invalidation: pulumi.Input[str] | None | Unset = UNSET,
        flow_user_settings: pulumi.Input[str] | None | Unset = UNSET,
        attributes: pulumi.Input[Mapping[str, Any]] | Unset = UNSET,
        adopt: pulumi.Input[bool] | Unset = UNSET,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, locals(), opts)
