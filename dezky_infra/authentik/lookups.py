"""Find authentik objects by the names people use: flow slugs, keypair names, scope names.

authentik's API wants pks (UUIDs) for flows, keypairs and scope mappings, but a program and a review
should show ``default-provider-invalidation-flow``, not ``da789ea6-...``. These lookups turn names into
pks at apply time, and pks back into names when a refresh finds drift. Each failure names the field,
what was asked for and what exists, so the fix is obvious.
"""

from __future__ import annotations

from collections.abc import Iterable

from dezky_infra.authentik.client import AuthentikClient
from dezky_infra.authentik.errors import AuthentikError

SCOPE_MAPPINGS_PATH = "propertymappings/provider/scope/"


class AuthentikLookupError(AuthentikError):
    """A name given in the program does not exist in authentik."""


def _suggest(existing: Iterable[str]) -> str:
    names = sorted(set(existing))
    shown = ", ".join(f"`{name}`" for name in names[:12])
    return f"authentik has: {shown}" if names else "authentik has none"


def flow_pk(client: AuthentikClient, slug: str, field: str) -> str:
    """The pk of the flow with this slug; the error names ``field`` and lists flows of that kind."""
    found = client.list_all("flows/instances/", {"slug": slug})
    if found:
        return str(found[0]["pk"])
    existing = [flow["slug"] for flow in client.list_all("flows/instances/")]
    raise AuthentikLookupError(f"field `{field}`: no flow with slug `{slug}`; {_suggest(existing)}")


def flow_slug(client: AuthentikClient, pk: str) -> str:
    """The slug of the flow with this pk (used only when a refresh sees a flow changed out of band)."""
    for flow in client.list_all("flows/instances/"):
        if str(flow["pk"]) == pk:
            return str(flow["slug"])
    return pk


def keypair_pk(client: AuthentikClient, name: str, field: str) -> str:
    """The pk of the certificate keypair with exactly this name."""
    found = client.list_all("crypto/certificatekeypairs/", {"name": name})
    if found:
        return str(found[0]["pk"])
    existing = [pair["name"] for pair in client.list_all("crypto/certificatekeypairs/")]
    raise AuthentikLookupError(
        f"field `{field}`: no certificate keypair named `{name}`; {_suggest(existing)}"
    )


def keypair_name(client: AuthentikClient, pk: str) -> str:
    """The name of the keypair with this pk (drift only)."""
    found = client.get_or_none(f"crypto/certificatekeypairs/{pk}/")
    return str(found["name"]) if found else pk


def scope_mapping_pks(client: AuthentikClient, scope_names: Iterable[str], field: str) -> dict[str, str]:
    """Map each scope name (``openid``, ``email``, ...) to its scope mapping's pk, in one list call.

    When several mappings serve one scope, authentik's managed (built-in) one wins, so a custom
    mapping for the same scope never changes what an existing stack resolves to.
    """
    by_scope: dict[str, str] = {}
    mappings = sorted(client.list_all(SCOPE_MAPPINGS_PATH), key=lambda m: m.get("managed") is None)
    for mapping in mappings:
        by_scope.setdefault(str(mapping["scope_name"]), str(mapping["pk"]))
    wanted = list(scope_names)
    missing = [name for name in wanted if name not in by_scope]
    if missing:
        raise AuthentikLookupError(
            f"field `{field}`: no scope mapping for scope {', '.join(f'`{m}`' for m in missing)}; "
            f"{_suggest(by_scope)}"
        )
    return {name: by_scope[name] for name in wanted}


def scope_names_by_pk(client: AuthentikClient, pks: Iterable[str]) -> dict[str, str]:
    """Scope name of each mapping pk (drift only); a pk that is not a scope mapping maps to itself."""
    by_pk = {str(m["pk"]): str(m["scope_name"]) for m in client.list_all(SCOPE_MAPPINGS_PATH)}
    return {pk: by_pk.get(pk, pk) for pk in pks}
