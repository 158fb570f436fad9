"""``Group``: an authentik group; the dev stack models each Dezky tenant as one.

Group names are unique across authentik (transcript 17), which makes the name the natural key for
adoption. A PATCH of ``attributes`` replaces the whole object, so the declared attributes are the
complete truth: drift in any key shows up on refresh and is put back by the next ``up``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field

from dezky_infra.authentik.adoption import create_or_adopt, find_by
from dezky_infra.authentik.dynamic_base import AuthentikResourceProvider, ResourceSpec

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.client import AuthentikClient

PATH = "core/groups/"


class GroupSpec(ResourceSpec):
    """Inputs of a group."""

    name: str = Field(min_length=1)
    attributes: dict[str, Any] = Field(default_factory=dict)
    parent: str | None = None
    """pk (UUID) of the parent group, usually another ``Group``'s ``pk`` output."""
    is_superuser: bool = False


class GroupProvider(AuthentikResourceProvider[GroupSpec]):
    """Dynamic provider for ``core/groups/``; the resource id is the group's pk (UUID)."""

    spec_type: ClassVar[type[ResourceSpec]] = GroupSpec
    kind: ClassVar[str] = "Group"

    @staticmethod
    def body(spec: GroupSpec) -> dict[str, Any]:
        """The API body for this spec."""
        return {
            "name": spec.name,
            "attributes": spec.attributes,
            "parent": spec.parent,
            "is_superuser": spec.is_superuser,
        }

    @staticmethod
    def outputs(live: Mapping[str, Any]) -> dict[str, Any]:
        """Computed outputs."""
        return {"pk": str(live["pk"]), "num_pk": int(live["num_pk"])}

    def create_object(self, client: AuthentikClient, spec: GroupSpec) -> tuple[str, dict[str, Any]]:
        live = create_or_adopt(
            client,
            PATH,
            self.body(spec),
            self.adoption(spec, "name"),
            lambda: find_by(client, PATH, "name", spec.name),
        )
        return str(live["pk"]), self.outputs(live)

    def read_object(
        self, client: AuthentikClient, id_: str, props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        live = client.get_or_none(f"{PATH}{id_}/")
        if live is None:
            return None
        inputs = {
            "name": live["name"],
            "attributes": live["attributes"],
            "parent": live["parent"],
            "is_superuser": live["is_superuser"],
        }
        return inputs, self.outputs(live)

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: GroupSpec
    ) -> dict[str, Any]:
        return self.outputs(client.patch(f"{PATH}{id_}/", self.body(spec)))

    def delete_object(self, client: AuthentikClient, id_: str, props: Mapping[str, Any]) -> None:
        client.delete(f"{PATH}{id_}/")


class Group(Resource, module="authentik", name="Group"):
    """An authentik group. Outputs ``pk`` (UUID) and ``num_pk``."""

    pk: pulumi.Output[str]
    num_pk: pulumi.Output[int]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        attributes: pulumi.Input[Mapping[str, Any]] | None = None,
        parent: pulumi.Input[str] | None = None,
        is_superuser: pulumi.Input[bool] = False,
        adopt: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "adopt": adopt,
            "name": name,
            "attributes": attributes if attributes is not None else {},
            "parent": parent,
            "is_superuser": is_superuser,
            "pk": None,
            "num_pk": None,
        }
        super().__init__(GroupProvider(), resource_name, props, opts)
