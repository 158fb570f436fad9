"""Inputs that name other authentik objects (flows by slug, a keypair by name, scopes by scope name).

State and diffs show the names people use; authentik's API wants pks. A provider with such inputs
(``OAuth2Provider``, ``Brand``) lists them in ``references`` and says how to look one up; this base
then, for all of them:

- verifies at ``pulumi preview`` the names that are new or changed (never unchanged ones, so an
  unchanged stack previews without calling authentik), failing on the field that names nothing, and
  only warning when authentik cannot be reached (once per process: later resources do not wait again);
- resolves the names to pks at apply time, reusing the previous apply's pks (the ``authentik_ids``
  output) for names that did not change;
- on refresh, shows a pk by the declared name while it is the one of the last apply, and by its own
  name when it was swapped out of band.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

from pulumi.dynamic import CheckFailure

from dezky_infra.authentik.provider.base import AuthentikObjectProvider, SpecT

if TYPE_CHECKING:
    from dezky_infra.authentik.api.client import AuthentikClient

IDS_OUTPUT: Final = "authentik_ids"
"""The output that keeps the pks the names resolved to at the last apply."""


class ReferencingProvider(AuthentikObjectProvider[SpecT]):
    """A provider whose inputs name other authentik objects (see the module docstring)."""

    references: ClassVar[tuple[str, ...]]
    """The input fields that name other objects."""

    @abstractmethod
    def lookup(self, client: AuthentikClient, spec: SpecT, field: str) -> Any:
        """The pk (or pks) that the reference ``field`` of ``spec`` names."""

    def verify_references(
        self, olds: Mapping[str, Any], spec: SpecT, unknown: frozenset[str]
    ) -> list[CheckFailure]:
        changed = [
            field
            for field in self.references
            if field not in unknown and olds.get(field) != getattr(spec, field)
        ]
        if not changed:
            return []

        def look_up(client: AuthentikClient) -> list[CheckFailure]:
            for field in changed:
                self.lookup(client, spec, field)
            return []

        return self.ask_at_preview(spec, changed, look_up)

    def resolve(
        self, client: AuthentikClient, spec: SpecT, olds: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Every reference as pk(s), reusing the previous apply's for names that did not change."""
        previous = olds.get(IDS_OUTPUT) if olds else None
        return {
            field: previous[field]
            if previous is not None and olds is not None and olds.get(field) == getattr(spec, field)
            else self.lookup(client, spec, field)
            for field in self.references
        }


def name_of(
    client: AuthentikClient,
    field: str,
    pk: str | None,
    props: Mapping[str, Any],
    reverse: Callable[[AuthentikClient, str], str],
) -> str | None:
    """The name a refresh shows for the pk authentik holds in ``field``: the declared one while it is
    the last apply's pk, else the pk's own name (looked up with ``reverse``)."""
    if pk is None:
        return None
    known = props.get(IDS_OUTPUT)
    if known is not None and known.get(field) == pk:
        return str(props[field])
    return str(reverse(client, pk))
