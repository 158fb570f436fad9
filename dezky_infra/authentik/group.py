"""``Group``: an authentik group; the dev stack models each Dezky tenant as one.

Group names are unique across authentik (transcript 17), which makes the name the natural key for
adoption. A PATCH of ``attributes`` replaces the whole object, so the declared attributes are the
complete truth: drift in any key shows up on refresh and is put back by the next ``up``.

A group's parents are a set of group pks. authentik 2025.12 and later hold several (``parents``);
earlier releases hold one (``parent``), so there a second parent fails the preview. Which field the
body and the read use is the dialect's (``versions.Dialect.group_parents``): a ``parent`` sent to 2026.2
is silently ignored (2026.2 transcript 17), which is how a parent used to get lost.

The module reads top down: the inputs (``GroupSpec``), the pure mapping to authentik's body and back,
the CRUD, and the resource users declare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import pulumi
from pulumi.dynamic import CheckFailure
from pydantic import Field, field_validator

from dezky_infra.authentik.api.errors import AuthentikValidationError
from dezky_infra.authentik.api.versions import DIALECTS, Dialect, Server
from dezky_infra.authentik.provider.adoption import create_or_adopt, find_by
from dezky_infra.authentik.provider.base import AdoptableSpec, AuthentikObjectProvider, ResourceSpec
from dezky_infra.authentik.provider.declaration import UNSET, AuthentikResource, Unset

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.api.client import AuthentikClient


class GroupSpec(AdoptableSpec):
    """Inputs of a group."""

    name: str = Field(min_length=1)
    """The group's name, unique in authentik: its natural key."""
    attributes: dict[str, Any] = Field(default_factory=dict)
    """Free-form attributes; replaced as a whole, so drift in any key shows on refresh."""
    parents: list[str] = Field(default_factory=list)
    """pks (UUIDs) of the parent groups, usually other ``Group``s' ``pk`` outputs; a set (order is
    not a change). authentik before 2025.12 holds at most one."""
    is_superuser: bool = False
    """Members become authentik superusers."""

    @field_validator("parents")
    @classmethod
    def _parents_as_set(cls, value: list[str]) -> list[str]:
        return sorted(set(value))

    @classmethod
    def upgrade(cls, props: Mapping[str, Any]) -> dict[str, Any]:
        """State of dezky-infra 0.1, which had one ``parent`` (a pk, or none: the engine keeps no null
        property, so then there is no key at all), as ``parents``."""
        upgraded = dict(props)
        if "parents" not in upgraded:
            parent = upgraded.pop("parent", None)
            upgraded["parents"] = [parent] if parent else []
        return upgraded


def too_many_parents(spec: GroupSpec, server: Server) -> str | None:
    """Why ``server`` cannot hold ``spec``'s parents (several on a release that holds one), or None."""
    if server.dialect.group_parents == "parents" or len(spec.parents) <= 1:
        return None
    return (
        f"{server.name} holds one parent per group, {len(spec.parents)} are given "
        "(authentik 2025.12 and later hold several)"
    )


def body(spec: GroupSpec, dialect: Dialect) -> dict[str, Any]:
    """The API body for ``spec``, its parents as ``dialect`` spells them."""
    one_parent = spec.parents[0] if spec.parents else None
    parents: Any = spec.parents if dialect.group_parents == "parents" else one_parent
    return {
        "name": spec.name,
        "attributes": spec.attributes,
        dialect.group_parents: parents,
        "is_superuser": spec.is_superuser,
    }


def spelled_in(live: Mapping[str, Any]) -> Dialect:
    """The dialect a group as authentik answers it is spelled in: each release's answer carries its own
    parents field, so a read needs no question about the release."""
    return next((d for d in reversed(DIALECTS) if d.group_parents in live), DIALECTS[-1])


def declared(live: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs that declare the group authentik holds (``body``'s inverse)."""
    dialect = spelled_in(live)
    held = live[dialect.group_parents]
    parents = held if dialect.group_parents == "parents" else [held] if held else []
    return {
        "name": live["name"],
        "attributes": live["attributes"],
        "parents": sorted(str(pk) for pk in parents),
        "is_superuser": live["is_superuser"],
    }


def outputs(live: Mapping[str, Any]) -> dict[str, Any]:
    """The computed outputs."""
    return {"pk": str(live["pk"]), "num_pk": int(live["num_pk"])}


class GroupProvider(AuthentikObjectProvider[GroupSpec]):
    """Dynamic provider for ``core/groups/``; the resource id is the group's pk (UUID)."""

    spec_type: ClassVar[type[ResourceSpec]] = GroupSpec
    kind: ClassVar[str] = "Group"
    path: ClassVar[str] = "core/groups/"

    def verify_references(
        self, olds: Mapping[str, Any], spec: GroupSpec, unknown: frozenset[str]
    ) -> list[CheckFailure]:
        """Several parents need a release that holds them: asked only when several are given."""
        if "parents" in unknown or len(spec.parents) <= 1:
            return []

        def ask(client: AuthentikClient) -> list[CheckFailure]:
            problem = too_many_parents(spec, self.server(client))
            return [CheckFailure("parents", problem)] if problem else []

        return self.ask_at_preview(spec, ["parents"], ask)

    def dialect(self, client: AuthentikClient, spec: GroupSpec) -> Dialect:
        """The dialect to write ``spec`` in; raises (naming ``parents``) what it cannot hold."""
        server = self.server(client)
        problem = too_many_parents(spec, server)
        if problem is not None:
            raise AuthentikValidationError("POST", f"/api/v3/{self.path}", {"parents": [problem]})
        return server.dialect

    def create_object(self, client: AuthentikClient, spec: GroupSpec) -> tuple[str, dict[str, Any]]:
        adoption = self.adoption(spec, "name")
        sent = body(spec, self.dialect(client, spec))
        live = create_or_adopt(
            client, self.path, sent, adoption, lambda: find_by(client, self.path, "name", spec.name)
        )
        return str(live["pk"]), outputs(live)

    def from_live(
        self, client: AuthentikClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        return declared(live), outputs(live)

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: GroupSpec
    ) -> dict[str, Any]:
        return outputs(client.patch(self.detail(id_), body(spec, self.dialect(client, spec))))


class Group(AuthentikResource, name="Group", provider=GroupProvider):
    """An authentik group. Outputs ``pk`` (UUID) and ``num_pk``; inputs as ``GroupSpec`` declares them."""

    pk: pulumi.Output[str]
    """authentik's pk of the group (a UUID): what another group's ``parents`` names."""
    num_pk: pulumi.Output[int]
    """The group's numeric id (what some integrations, e.g. LDAP, show)."""

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        attributes: pulumi.Input[Mapping[str, Any]] | Unset = UNSET,
        parents: pulumi.Input[Sequence[pulumi.Input[str]]] | Unset = UNSET,
        is_superuser: pulumi.Input[bool] | Unset = UNSET,
        adopt: pulumi.Input[bool] | Unset = UNSET,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, locals(), opts)
