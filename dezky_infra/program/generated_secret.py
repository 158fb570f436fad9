"""``GeneratedSecret``: a random secret made once and kept in state (encrypted), like pulumi-random.

pulumi-random is a provider plugin, which cannot be fetched on an offline machine; this dynamic
resource does the one thing the stack needs from it. The value is generated in ``create`` with
``secrets.token_urlsafe`` and never changes until ``length`` or ``keepers`` change (which replaces it).
It is always a Pulumi secret.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider

INPUTS = ("length", "keepers")


class GeneratedSecretProvider(ResourceProvider):
    """Generates the value; nothing lives outside the state."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Generate ``length`` bytes of randomness, URL-safe base64 encoded."""
        value = secrets.token_urlsafe(int(props["length"]))
        return CreateResult(str(uuid.uuid4()), {**{k: props.get(k) for k in INPUTS}, "value": value})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A new length or keeper means a new value."""
        changed = [key for key in INPUTS if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """The state is the truth."""
        return ReadResult(id_, props)


class GeneratedSecret(Resource, module="dezky", name="GeneratedSecret"):
    """A random secret string (output ``value``, always secret)."""

    value: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        length: int = 32,
        keepers: pulumi.Input[dict[str, str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if length < 16:
            raise ValueError(
                f"GeneratedSecret {resource_name}: length must be at least 16 bytes, got {length}"
            )
        props = {"length": length, "keepers": keepers or {}, "value": None}
        secret_opts = pulumi.ResourceOptions(additional_secret_outputs=["value"])
        super().__init__(
            GeneratedSecretProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret_opts)
        )
