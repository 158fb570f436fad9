"""Find authentik objects by the names people use: flow slugs, keypair names, scope names.

authentik's API wants pks (UUIDs) for flows, keypairs and scope mappings, but a program and a review
should show ``default-provider-invalidation-flow``, not ``da789ea6-...``. These lookups turn names into
pks at apply time, and pks back into names when a refresh finds drift. Each failure names the field,
what was asked for and what exists, so the fix is obvious.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from dezky_infra.authentik.api import sessions
from dezky_infra.authentik.api.errors import AuthentikError, AuthentikFieldError
from dezky_infra.authentik.api.once import OncePerKey

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.api.client import AuthentikClient

LOG = logging.getLogger(__name__)
FLOWS_PATH: Final = "flows/instances/"
KEYPAIRS_PATH: Final = "crypto/certificatekeypairs/"
SCOPE_MAPPINGS_PATH: Final = "propertymappings/provider/scope/"
REFERENCE_PATHS: Final = (FLOWS_PATH, KEYPAIRS_PATH, SCOPE_MAPPINGS_PATH)

# Flows, keypairs and scope mappings are reference data that a stack does not change, so one provider
# process (one pulumi operation) asks authentik for each list once, however many providers use it:
# with 100 tenants that is 4 lookups instead of 400 (a flow lookup costs ~0.4 s on a real authentik).
# Resources check and create at the same time (the engine runs several at once): a second asker of the
# same list waits for the first one's answer instead of asking again (``OncePerKey``).
_Key = tuple[str, str, tuple[tuple[str, str], ...]]
_lists: OncePerKey[_Key, list[dict[str, Any]]] = OncePerKey()
_prefetch_lock = threading.Lock()
_prefetching: set[_Key] = set()
"""The whole lists a ``prefetch`` asked for: lookups then answer from them instead of asking by name."""


def _key(client: AuthentikClient, path: str, params: dict[str, str] | None) -> _Key:
    return (client.settings.api_root, path, tuple(sorted((params or {}).items())))


def _reference_list(
    client: AuthentikClient, path: str, params: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """``client.list_all`` of reference data, asked once per process however many ask at once."""
    return _lists.get(_key(client, path, params), lambda: client.list_all(path, params))


def forget_reference_data() -> None:
    """Drop the memoised lookups (for tests that change flows or keypairs between calls)."""
    _lists.clear()
    with _prefetch_lock:
        _prefetching.clear()


def prefetch(client: AuthentikClient, connect: Callable[[], AuthentikClient]) -> None:
    """Start asking for the whole flow, keypair and scope mapping lists in the background, once.

    ``AuthentikReady`` calls it when its create found authentik answering: authentik was just made, so
    the stack's providers and brands are about to check their names, but only after the API token
    (they depend on it); on a real authentik a flow lookup takes ~0.4 s, which then overlaps the token
    instead of following it. ``connect`` makes each list's own client (``client`` is the caller's). A
    list that fails here is asked again by the lookup that needs it.
    """
    for key in (_key(client, path, None) for path in REFERENCE_PATHS):
        with _prefetch_lock:
            if key in _prefetching or key in _lists:
                continue
            _prefetching.add(key)
        path = key[1]
        threading.Thread(target=_fetch, args=(connect, path), name=f"prefetch {path}", daemon=True).start()


def _fetch(connect: Callable[[], AuthentikClient], path: str) -> None:
    try:
        with connect() as client:
            sessions.resume(client)  # a fresh authentik's token may not exist yet
            _reference_list(client, path)
    except AuthentikError as exc:  # the lookup that needs the list asks for it itself, and reports
        LOG.debug("prefetching %s failed: %s", path, exc)


def _matching(client: AuthentikClient, path: str, field: str, value: str) -> list[dict[str, Any]]:
    """The objects at ``path`` whose ``field`` is ``value``: from the whole list when a prefetch asked
    for it (waiting for it while in flight), else asked by that field."""
    with _prefetch_lock:
        prefetched = _key(client, path, None) in _prefetching
    if prefetched:
        return [found for found in _reference_list(client, path) if found.get(field) == value]
    return _reference_list(client, path, {field: value})


class AuthentikLookupError(AuthentikFieldError):
    """A name given in the program does not exist in authentik; ``field`` is the input that named it."""


def _suggest(existing: Iterable[str], label: str = "authentik has") -> str:
    """``<label>: `a`, `b``` with at most 12 names (and how many more), or ``<label>: none``."""
    names = sorted(set(existing))
    shown = ", ".join(f"`{name}`" for name in names[:12]) or "none"
    more = f" and {len(names) - 12} more" if len(names) > 12 else ""
    return f"{label}: {shown}{more}"


def flow_pk(client: AuthentikClient, slug: str, field: str, designation: str | None = None) -> str:
    """The pk of the flow with this slug; the error names ``field`` and lists flows of that kind."""
    found = _matching(client, FLOWS_PATH, "slug", slug)
    if found:
        return str(found[0]["pk"])
    kind = {"designation": designation} if designation else None
    existing = [flow["slug"] for flow in _reference_list(client, FLOWS_PATH, kind)]
    label = f"authentik's {designation} flows" if designation else "authentik has"
    raise AuthentikLookupError(field, f"no flow with slug `{slug}`; {_suggest(existing, label)}")


def _name_by_pk(client: AuthentikClient, path: str, pk: str, name: str) -> str:
    """The ``name`` field of the object at ``path`` with this pk, or the pk itself when none has it
    (used only when a refresh finds a reference changed out of band)."""
    for found in _reference_list(client, path):
        if str(found["pk"]) == pk:
            return str(found[name])
    return pk


def flow_slug(client: AuthentikClient, pk: str) -> str:
    """The slug of the flow with this pk (drift only)."""
    return _name_by_pk(client, FLOWS_PATH, pk, "slug")


def keypair_pk(client: AuthentikClient, name: str, field: str) -> str:
    """The pk of the certificate keypair with exactly this name."""
    found = _matching(client, KEYPAIRS_PATH, "name", name)
    if found:
        return str(found[0]["pk"])
    existing = [pair["name"] for pair in _reference_list(client, KEYPAIRS_PATH)]
    raise AuthentikLookupError(field, f"no certificate keypair named `{name}`; {_suggest(existing)}")


def keypair_name(client: AuthentikClient, pk: str) -> str:
    """The name of the keypair with this pk (drift only)."""
    return _name_by_pk(client, KEYPAIRS_PATH, pk, "name")


def scope_mapping_pks(client: AuthentikClient, scope_names: Iterable[str], field: str) -> dict[str, str]:
    """Map each scope name (``openid``, ``email``, ...) to its scope mapping's pk, in one list call.

    When several mappings serve one scope, authentik's managed (built-in) one wins, so a custom
    mapping for the same scope never changes what an existing stack resolves to.
    """
    by_scope: dict[str, str] = {}
    mappings = sorted(_reference_list(client, SCOPE_MAPPINGS_PATH), key=lambda m: m.get("managed") is None)
    for mapping in mappings:
        by_scope.setdefault(str(mapping["scope_name"]), str(mapping["pk"]))
    wanted = list(scope_names)
    missing = [name for name in wanted if name not in by_scope]
    if missing:
        raise AuthentikLookupError(
            field, f"no scope mapping for scope {', '.join(f'`{m}`' for m in missing)}; {_suggest(by_scope)}"
        )
    return {name: by_scope[name] for name in wanted}


def scope_names_by_pk(client: AuthentikClient, pks: Iterable[str]) -> dict[str, str]:
    """Scope name of each mapping pk (drift only); a pk that is not a scope mapping maps to itself."""
    by_pk = {str(m["pk"]): str(m["scope_name"]) for m in _reference_list(client, SCOPE_MAPPINGS_PATH)}
    return {pk: by_pk.get(pk, pk) for pk in pks}
