"""``Group``: an authentik group; the dev stack models each Dezky tenant as one.

Group names are unique across authentik (transcript 17), which makes the name the natural key for
adoption. A PATCH of ``attributes`` replaces the whole object, so the declared attributes are the
complete truth: drift in any key shows up on refresh and is put back by the next ``up``.

The module reads top down: the inputs (``GroupSpec``), the pure mapping to authentik's body and back,
the CRUD, and the resource users declare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
from pydantic import Field

from dezky_infra.authentik.adoption import create_or_adopt, find_by
from dezky_infra.authentik.declaration import UNSET, AuthentikResource, Unset
from dezky_infra.authentik.dynamic_base import AdoptableSpec, AuthentikObjectProvider, ResourceSpec

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.client import AuthentikClient


class GroupSpec(AdoptableSpec):
    """Inputs of a group."""

    name: str = Field(min_length=1)
    attributes: dict[str, Any] = Field(default_factory=dict)
    parent: str | None = None
    """pk (UUID) of the parent group, usually another ``Group``'s ``pk`` output."""
    is_superuser: bool = False


def body(spec: GroupSpec) -> dict[str, Any]:
    """The API body for ``spec``."""
    return {
        "name": spec.name,
        "attributes": spec.attributes,
        "parent": spec.parent,
        "is_superuser": spec.is_superuser,
    }


def declared(live: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs that declare the group authentik holds (``body``'s inverse)."""
    return {key: live[key] for key in ("name", "attributes", "parent", "is_superuser")}


def outputs(live: Mapping[str, Any]) -> dict[str, Any]:
    """The computed outputs."""
    return {"pk": str(live["pk"]), "num_pk": int(live["num_pk"])}


class GroupProvider(AuthentikObjectProvider[GroupSpec]):
    """Dynamic provider for ``core/groups/``; the resource id is the group's pk (UUID)."""

    spec_type: ClassVar[type[ResourceSpec]] = GroupSpec
    kind: ClassVar[str] = "Group"
    path: ClassVar[str] = "core/groups/"

    def create_object(self, client: AuthentikClient, spec: GroupSpec) -> tuple[str, dict[str, Any]]:
        adoption = self.adoption(spec, "name")
        live = create_or_adopt(
            client, self.path, body(spec), adoption, lambda: find_by(client, self.path, "name", spec.name)
        )
        return str(live["pk"]), outputs(live)

    def from_live(
        self, client: AuthentikClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        return declared(live), outputs(live)

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: GroupSpec
    ) -> dict[str, Any]:
        return outputs(client.patch(self.detail(id_), body(spec)))


class Group(AuthentikResource, module="authentik", name="Group"):
    """An authentik group. Outputs ``pk`` (UUID) and ``num_pk``; inputs as ``GroupSpec`` declares them."""

    pk: pulumi.Output[str]
    num_pk: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        attributes: pulumi.Input[Mapping[str, Any]] | Unset = UNSET,
        parent: pulumi.Input[str] | None | Unset = UNSET,
        is_superuser: pulumi.Input[bool] | Unset = UNSET,
        adopt: pulumi.Input[bool] | Unset = UNSET,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(GroupProvider(), resource_name, locals(), opts)
