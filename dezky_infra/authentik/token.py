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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pulumi
from pulumi.dynamic import Resource
from pydantic import Field

from dezky_infra.authentik import sessions
from dezky_infra.authentik.adoption import names_the_key
from dezky_infra.authentik.dynamic_base import AuthentikResourceProvider, ResourceSpec
from dezky_infra.authentik.errors import AuthentikValidationError
from dezky_infra.authentik.lookups import AuthentikLookupError

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.client import AuthentikClient

PATH = "core/tokens/"
# What a refresh records as the key when authentik holds a different one: never the foreign key itself.
KEY_CHANGED_OUT_OF_BAND = "(changed outside pulumi)"


class ApiTokenSpec(ResourceSpec):
    """Inputs of an API token."""

    replace_on: ClassVar[frozenset[str]] = frozenset({"identifier", "user"})

    identifier: str = Field(min_length=1, pattern=r"^[-a-zA-Z0-9_.]+$")
    key: str = Field(min_length=8, repr=False)
    user: str = Field(default="akadmin", min_length=1)
    description: str = ""
    intent: Literal["api"] = "api"
    expiring: Literal[False] = False


def user_pk(client: AuthentikClient, username: str) -> int:
    """The pk of the user with this username (never assume akadmin is pk 1: it is not)."""
    found = client.list_all("core/users/", {"username": username})
    if not found:
        raise AuthentikLookupError("user", f"authentik has no user `{username}`")
    return int(found[0]["pk"])


class ApiTokenProvider(AuthentikResourceProvider[ApiTokenSpec]):
    """Dynamic provider for ``core/tokens/``; the resource id is the identifier."""

    spec_type: ClassVar[type[ResourceSpec]] = ApiTokenSpec
    kind: ClassVar[str] = "ApiToken"

    @staticmethod
    def body(spec: ApiTokenSpec) -> dict[str, Any]:
        """Writable fields that converge an existing token (identifier and user are fixed)."""
        return {"intent": spec.intent, "expiring": False, "description": spec.description}

    def create_object(self, client: AuthentikClient, spec: ApiTokenSpec) -> tuple[str, dict[str, Any]]:
        client.add_secret(spec.key)
        owner = user_pk(client, spec.user)
        path = f"{PATH}{spec.identifier}/"
        new_token = {"identifier": spec.identifier, "user": owner, **self.body(spec)}
        try:
            live = client.post(PATH, new_token)
        except AuthentikValidationError as exc:
            existing = client.get_or_none(path) if names_the_key(exc, "identifier") else None
            if existing is None:
                raise
            self.adoption(spec, "identifier").take_over(str(existing["pk"]))
            live = existing
            if int(live["user"]) != owner:
                client.delete(path)  # authentik cannot move a token to another user
                live = client.post(PATH, new_token)
            else:
                live = client.patch(path, self.body(spec))
        client.post(f"{path}set_key/", {"key": spec.key})
        sessions.end(client)  # the configured token works now: the password session has done its job
        return spec.identifier, {"pk": str(live["pk"]), "user_pk": owner}

    def read_object(
        self, client: AuthentikClient, id_: str, props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        live = client.get_or_none(f"{PATH}{id_}/")
        if live is None:
            return None
        declared_key = str(props.get("key") or "")
        client.add_secret(declared_key)
        live_key = client.get(f"{PATH}{id_}/view_key/")["key"]
        client.add_secret(live_key)
        user = (
            props.get("user") if int(live["user"]) == props.get("user_pk") else live["user_obj"]["username"]
        )
        inputs = {
            "identifier": live["identifier"],
            "key": declared_key if live_key == declared_key else KEY_CHANGED_OUT_OF_BAND,
            "user": user,
            "description": live.get("description") or "",
            "intent": live["intent"],
            "expiring": live["expiring"],
        }
        return inputs, {"pk": str(live["pk"]), "user_pk": int(live["user"])}

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: ApiTokenSpec
    ) -> dict[str, Any]:
        client.add_secret(spec.key)
        live = client.patch(f"{PATH}{id_}/", self.body(spec))
        if olds.get("key") != spec.key:
            client.post(f"{PATH}{id_}/set_key/", {"key": spec.key})
        return {"pk": str(live["pk"]), "user_pk": int(live["user"])}

    def delete_object(self, client: AuthentikClient, id_: str, props: Mapping[str, Any]) -> None:
        client.delete(f"{PATH}{id_}/")


class ApiToken(Resource, module="authentik", name="ApiToken"):
    """A non-expiring authentik API token (intent ``api``) whose ``key`` the program chooses (secret)."""

    pk: pulumi.Output[str]
    key: pulumi.Output[str]
    identifier: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        identifier: pulumi.Input[str],
        key: pulumi.Input[str],
        user: pulumi.Input[str] = "akadmin",
        description: pulumi.Input[str] = "",
        adopt: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "adopt": adopt,
            "identifier": identifier,
            "key": pulumi.Output.secret(key),
            "user": user,
            "description": description,
            "pk": None,
            "user_pk": None,
        }
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["key"])
        super().__init__(
            ApiTokenProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret_opts)
        )
