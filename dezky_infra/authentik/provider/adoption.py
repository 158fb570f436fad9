"""Taking over an object authentik already holds under the natural key a create wants.

Every create may meet an object with the same natural key (a provider's name, an application's slug,
a group's name, a token's identifier): one made by hand with the old setup guide, by another stack on
a shared authentik, or by an earlier run whose answer was lost. Taking it over and converging it
avoids duplicates, but it must be said: ``pulumi up`` warns, naming the object and how it matched.
With ``dezky:adoptExisting`` false a create does not take anything over unless asked to for that
name (``dezky:adopt`` in the stack config, ``adopt=True`` for a library user), and fails with one
line that says how to ask. ``pulumi import`` cannot do it: the engine hands a dynamic provider no
properties on import, so it cannot even load the provider (pulumi/pulumi#16175).

How the object is recognised must not depend on authentik's language: a brand's locale translates
its error texts ("Dieses Feld muss eindeutig sein."). So a 400 that names the natural-key field counts
only when the object with that key can then be found; the message text is never read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from dezky_infra.authentik.api.connection import CONFIG_NAMESPACE
from dezky_infra.authentik.api.errors import AuthentikError, AuthentikValidationError
from dezky_infra.authentik.provider import host

if TYPE_CHECKING:
    from dezky_infra.authentik.api.client import AuthentikClient

ADOPT_EXISTING_KEY: Final = "adoptExisting"
"""Stack config: may a create take over an existing object with the same natural key (default true)."""
ADOPT_KEY: Final = "adopt"
"""Stack config: the natural keys (as authentik sees them) to take over even when adoptExisting is false."""


class AdoptionRefused(AuthentikError):
    """A create met an existing object and was not allowed to take it over."""


@dataclass(frozen=True)
class Adoption:
    """What a create may do with an object that already holds its natural key, and how it says so."""

    kind: str
    """The resource type as users see it (``OAuth2Provider``)."""
    key: str
    """The natural-key field (``name``, ``slug``, ``identifier``)."""
    value: str
    """The natural key's value (with the stack's name prefix)."""
    allowed: bool
    """``dezky:adoptExisting``, or this object was asked for explicitly."""

    def take_over(self, pk: str) -> None:
        """Announce taking over the object ``pk``, or refuse with the way to ask for it."""
        what = f"{self.kind} `{self.value}`"
        if not self.allowed:
            raise AdoptionRefused(
                f"{what} already exists in authentik (pk {pk}, matched by its {self.key}) and is not in "
                f"this stack's state; `{CONFIG_NAMESPACE}:{ADOPT_EXISTING_KEY}` is false, so it was not "
                f"taken over. To take it over on purpose: `pulumi config set --path "
                f"'{CONFIG_NAMESPACE}:{ADOPT_KEY}[\"{self.value}\"]' true`, then `pulumi up` "
                "(`pulumi import` cannot import dynamic-provider resources: pulumi/pulumi#16175)"
            )
        host.warn(
            f"{what}: took over the existing authentik object with this {self.key} (pk {pk}); this stack "
            "did not make it (made by hand, by another stack, or by an earlier run whose answer was "
            "lost), and manages it from now on"
        )


def names_the_key(error: AuthentikValidationError, field: str) -> bool:
    """True when authentik's 400 is about ``field`` (in any language: only the field name is read)."""
    return bool(error.messages_for(field))


def create_or_adopt(
    client: AuthentikClient,
    path: str,
    body: Mapping[str, Any],
    adoption: Adoption,
    existing: Callable[[], Found | None],
) -> Any:
    """POST ``body``; when authentik refuses the natural key and an object holds it, take that over.

    ``existing`` finds the object holding the key (``None`` if there is none: the 400 was about
    something else and stands). Taking over PATCHes the object to ``body``.
    """
    try:
        return client.post(path, body)
    except AuthentikValidationError as exc:
        if not names_the_key(exc, adoption.key):
            raise
        found = existing()
        if found is None:
            raise
    adoption.take_over(found.pk)
    return client.patch(found.path, body)


@dataclass(frozen=True)
class Found:
    """An object that holds a natural key: its detail path and its pk."""

    path: str
    pk: str


def find_by(client: AuthentikClient, path: str, field: str, value: str, pk: str = "pk") -> Found | None:
    """The one object whose ``field`` equals ``value`` (an exact list filter); ``pk`` names its key."""
    found = client.list_all(path, {field: value})
    return Found(f"{path}{found[0][pk]}/", str(found[0][pk])) if found else None


def find_at(client: AuthentikClient, detail_path: str) -> Found | None:
    """The object at ``detail_path`` (for objects whose route is their natural key, like a slug)."""
    live = client.get_or_none(detail_path)
    return Found(detail_path, str(live["pk"])) if live is not None else None
