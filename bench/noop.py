"""The engine floor: a dynamic resource whose provider does nothing at all.

The floor program declares the same resources, with the same dependencies, as the authentik program,
but each one is a ``NoopResource``: the time it takes is the engine's own (CLI, language host,
program, provider process, state), with no authentik call and no provider logic.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider, UpdateResult

from bench.tenants import TOKEN_IDENTIFIER, Tenant


class NoopProvider(ResourceProvider):
    """Creates, reads, updates and deletes nothing; echoes its inputs as outputs."""

    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        """The id is the declared name; ``pk`` stands in for a server-made key."""
        return CreateResult(str(props["name"]), {**props, "pk": 1})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Whatever the state says is what exists."""
        return ReadResult(id_, props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Accept the new inputs."""
        return UpdateResult({**news, "pk": 1})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete."""


class NoopResource(Resource, module="bench", name="Noop"):
    """A trivial dynamic resource with a ``pk`` output (so dependents wait on it like on a real one)."""

    pk: pulumi.Output[int]

    def __init__(
        self, resource_name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(NoopProvider(), resource_name, {"name": resource_name, **inputs, "pk": None}, opts)


class NoopKit:
    """The benchmark workload's graph made of ``NoopResource``s (see ``bench.workload.Kit``)."""

    def ready(self) -> pulumi.Resource:
        """Stands in for ``AuthentikReady``."""
        return NoopResource("authentik-ready", {"trigger": "bench"})

    def token(self, key: pulumi.Input[str], opts: pulumi.ResourceOptions) -> pulumi.Resource:
        """Stands in for the ``ApiToken`` (the key stays a secret input)."""
        return NoopResource("platform-api-token", {"identifier": TOKEN_IDENTIFIER, "key": key}, opts)

    def group(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> pulumi.Resource:
        """Stands in for the tenant's ``Group``."""
        return NoopResource(tenant.group_name, {"attributes": tenant.group_attributes}, opts)

    def provider(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> NoopResource:
        """Stands in for the tenant's ``OAuth2Provider``."""
        inputs = {"client_id": tenant.client_id, "redirect_uris": tenant.redirect_uris}
        return NoopResource(f"{tenant.slug}-provider", inputs, opts)

    def application(
        self, tenant: Tenant, provider_pk: pulumi.Input[int], opts: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        """Stands in for the tenant's ``Application``, wired to the provider's ``pk``."""
        return NoopResource(f"{tenant.slug}-app", {"slug": tenant.app_slug, "provider": provider_pk}, opts)
