"""``ApiToken``: a non-expiring authentik API token with a key chosen by the program.

This is the token platform-api (and dezky-infra itself) uses. authentik quirks it survives (18, 19, 21):
- a create returns no key, so the key is set with ``set_key/`` (204) right after;
- without ``expiring: false`` a token dies after 30 minutes, so it is always sent;
- ``expires`` moves on every write, so it is never an input or a diff;
- the user cannot be changed, so a user change replaces the token; the identifier is the route key,
  so renaming it replaces too.

On a fresh authentik the configured key is not valid yet: the base provider then logs in with akadmin's
bootstrap password (session + CSRF) and this create makes the token. A refresh that finds the token
gone or its key changed (a wiped database) reports it, and the next ``up`` restores it. The key is a
secret input and output; a refresh never copies a foreign key into state.

The module reads top down: the inputs (``ApiTokenSpec``), the pure mapping to authentik's body and
back, the CRUD, and the resource users declare.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pulumi
from pydantic import Field

from dezky_infra.authentik.api import sessions
from dezky_infra.authentik.api.errors import AuthentikValidationError
from dezky_infra.authentik.api.lookups import AuthentikLookupError
from dezky_infra.authentik.provider.adoption import names_the_key
from dezky_infra.authentik.provider.base import AdoptableSpec, AuthentikObjectProvider, ResourceSpec
from dezky_infra.authentik.provider.declaration import UNSET, AuthentikResource, Unset

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.api.client import AuthentikClient

# What a refresh records as the key when authentik holds a different one: never the foreign key itself.
KEY_CHANGED_OUT_OF_BAND = "(changed outside pulumi)"


class ApiTokenSpec(AdoptableSpec):
    """Inputs of an API token."""

    replace_on: ClassVar[frozenset[str]] = frozenset({"identifier", "user"})
    secrets: ClassVar[frozenset[str]] = frozenset({"key"})

    identifier: str = Field(min_length=1, pattern=r"^[-a-zA-Z0-9_.]+$")
    """The token's id (letters, digits, ``-``, ``_``, ``.``): its natural key and API route."""
    key: str = Field(min_length=8, repr=False)
    """The secret sent as ``Authorization: Bearer``, chosen by the program (at least 8 characters)."""
    user: str = Field(default="akadmin", min_length=1)
    """The username the token acts for; authentik cannot move a token, so a change replaces it."""
    description: str = ""
    """Shown in authentik's token list."""
    intent: Literal["api"] = "api"
    """Always ``api``: a token for the API (not a recovery or app-password token)."""
    expiring: Literal[False] = False
    """Always false: without it authentik ends the token after 30 minutes (transcript 19)."""


def body(spec: ApiTokenSpec) -> dict[str, Any]:
    """The writable fields that converge an existing token (identifier and user are fixed)."""
    return {"intent": spec.intent, "expiring": spec.expiring, "description": spec.description}


def creation_body(spec: ApiTokenSpec, owner: int) -> dict[str, Any]:
    """The API body that creates the token for the user whose pk is ``owner``."""
    return {"identifier": spec.identifier, "user": owner, **body(spec)}


def key_body(spec: ApiTokenSpec) -> dict[str, Any]:
    """The ``set_key/`` body: a created token has a key authentik chose, the declared one replaces it."""
    return {"key": spec.key}


def declared(live: Mapping[str, Any], key: str, user: str) -> dict[str, Any]:
    """The inputs that declare the token authentik holds (``body``'s inverse): its key as the caller
    may show it (the declared one, or ``KEY_CHANGED_OUT_OF_BAND``) and its user by name."""
    return {
        "identifier": live["identifier"],
        "key": key,
        "user": user,
        "description": live.get("description") or "",
        "intent": live["intent"],
        "expiring": live["expiring"],
    }


def outputs(live: Mapping[str, Any]) -> dict[str, Any]:
    """The computed outputs."""
    return {"pk": str(live["pk"]), "user_pk": int(live["user"])}


def user_pk(client: AuthentikClient, username: str) -> int:
    """The pk of the user with this username (never assume akadmin is pk 1: it is not)."""
    found = client.list_all("core/users/", {"username": username})
    if not found:
        raise AuthentikLookupError("user", f"authentik has no user `{username}`")
    return int(found[0]["pk"])


class ApiTokenProvider(AuthentikObjectProvider[ApiTokenSpec]):
    """Dynamic provider for ``core/tokens/``; the resource id is the identifier."""

    spec_type: ClassVar[type[ResourceSpec]] = ApiTokenSpec
    kind: ClassVar[str] = "ApiToken"
    label_field: ClassVar[str] = "identifier"
    path: ClassVar[str] = "core/tokens/"

    def create_object(self, client: AuthentikClient, spec: ApiTokenSpec) -> tuple[str, dict[str, Any]]:
        client.add_secret(spec.key)
        owner = user_pk(client, spec.user)
        detail = self.detail(spec.identifier)
        new_token = creation_body(spec, owner)
        try:
            live = client.post(self.path, new_token)
        except AuthentikValidationError as exc:
            existing = client.get_or_none(detail) if names_the_key(exc, "identifier") else None
            if existing is None:
                raise
            self.adoption(spec, "identifier").take_over(str(existing["pk"]))
            if int(existing["user"]) != owner:
                client.delete(detail)  # authentik cannot move a token to another user
                live = client.post(self.path, new_token)
            else:
                live = client.patch(detail, body(spec))
        client.post(f"{detail}set_key/", key_body(spec))
        sessions.end(client)  # the configured token works now: the password session has done its job
        return spec.identifier, outputs(live)

    def from_live(
        self, client: AuthentikClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        declared_key = str(props.get("key") or "")
        client.add_secret(declared_key)
        live_key = client.get(f"{self.detail(live['identifier'])}view_key/")["key"]
        client.add_secret(live_key)
        same_user = int(live["user"]) == props.get("user_pk")
        user = str(props.get("user")) if same_user else str(live["user_obj"]["username"])
        key = declared_key if live_key == declared_key else KEY_CHANGED_OUT_OF_BAND
        return declared(live, key, user), outputs(live)

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: ApiTokenSpec
    ) -> dict[str, Any]:
        client.add_secret(spec.key)
        live = client.patch(self.detail(id_), body(spec))
        if olds.get("key") != spec.key:
            client.post(f"{self.detail(id_)}set_key/", key_body(spec))
        return outputs(live)


class ApiToken(AuthentikResource, name="ApiToken", provider=ApiTokenProvider):
    """A non-expiring authentik API token (intent ``api``) whose ``key`` the program chooses (secret);
    inputs as ``ApiTokenSpec`` declares them."""

    pk: pulumi.Output[str]
    """authentik's pk of the token (a UUID)."""
    user_pk: pulumi.Output[int]
    """The pk of the token's user."""
    key: pulumi.Output[str]
    """The key, as an output (for resources that hand it on, e.g. a container's environment)."""
    identifier: pulumi.Output[str]
    """The identifier, as an output."""

    def __init__(
        self,
        resource_name: str,
        *,
        identifier: pulumi.Input[str],
        key: pulumi.Input[str],
        user: pulumi.Input[str] | Unset = UNSET,
        description: pulumi.Input[str] | Unset = UNSET,
        intent: pulumi.Input[Literal["api"]] | Unset = UNSET,
        expiring: pulumi.Input[Literal[False]] | Unset = UNSET,
        adopt: pulumi.Input[bool] | Unset = UNSET,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, locals(), opts)
