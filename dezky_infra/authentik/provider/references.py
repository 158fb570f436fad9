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
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Final

from pulumi.dynamic import CheckFailure

from dezky_infra.authentik.provider.base import PREVIEW_PATIENCE_SECONDS, AuthentikObjectProvider, SpecT

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
            self.look_up_all(client, spec, changed, PREVIEW_PATIENCE_SECONDS)
            return []

        return self.ask_at_preview(spec, changed, look_up)

    def look_up_all(
        self, client: AuthentikClient, spec: SpecT, fields: list[str], patience: float | None = None
    ) -> dict[str, Any]:
        """The pk(s) each of ``fields`` names, looked up at the same time (a flow lookup alone takes
        ~0.4 s on a real authentik, 29-latency.json): the first field on ``client``, each other one on a
        connection of its own (``run``), within ``patience`` seconds when given. A name is asked at
        most once per process (``lookups`` remembers the answers, and a second asker waits for the
        first); the first field in ``references`` order that fails raises."""
        if not fields:
            return {}
        first, *others = fields
        if not others:
            return {first: self.lookup(client, spec, first)}
        with ThreadPoolExecutor(max_workers=len(others)) as pool:
            pending = {
                field: pool.submit(
                    self.run, partial(self.lookup, spec=spec, field=field), retry_deadline_seconds=patience
                )
                for field in others
            }
            found = {first: self.lookup(client, spec, first)}
            found.update({field: future.result() for field, future in pending.items()})
        return {field: found[field] for field in fields}

    def resolve(
        self, client: AuthentikClient, spec: SpecT, olds: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Every reference as pk(s), reusing the previous apply's for names that did not change."""
        previous = olds.get(IDS_OUTPUT) if olds else None
        kept = {
            field: previous[field]
            for field in self.references
            if previous is not None and olds is not None and olds.get(field) == getattr(spec, field)
        }
        looked_up = self.look_up_all(client, spec, [f for f in self.references if f not in kept])
        return {field: kept[field] if field in kept else looked_up[field] for field in self.references}


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
