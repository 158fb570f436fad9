"""The engine floor: dynamic resources whose provider does nothing at all.

The floor programs declare the same resources, with the same dependencies, as the authentik program,
but each one is a ``NoopResource``: the time it takes is the engine's own (CLI, language host,
program, provider process, state), with no authentik call and no provider logic. Two floors:

- the fair floor (``bench.authentik_kit.FairFloorKit``): each ``NoopResource`` registers exactly the
  properties and options the real resource registers (taken from the real class's constructor) and
  answers with outputs shaped like authentik's (``STAND_INS``), secrets included;
- the thin floor (``ThinFloorKit``, the benchmark's first floor): a name, two or three inputs and a
  ``pk``. Kept to show how much the baseline moved.

This module never imports ``dezky_infra``: the floor's provider process unpickles ``NoopProvider``
from here and must not pay for loading our providers.
"""

from __future__ import annotations

import os
import random
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider, UpdateResult

from bench.tenants import READY_RESOURCE, TOKEN_IDENTIFIER, TOKEN_RESOURCE, Tenant

GENERATION_ENV = "DEZKY_BENCH_GENERATION"
"""Bumped by the runner when it wipes authentik: ids made in another generation read as gone, as
our resources do after the wipe (the floor has no authentik to wipe)."""
LASTING_KINDS = frozenset({"Ready"})
"""Kinds that survive a wipe: ``AuthentikReady``'s read never asks authentik."""


def _uuid() -> str:
    return str(uuid.uuid4())


def _authentik_ids(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "authorization_flow": _uuid(),
        "invalidation_flow": _uuid(),
        "scopes": {scope: _uuid() for scope in props.get("scopes", ())},
        "signing_key": _uuid(),
    }


STAND_INS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "Ready": lambda _props: {"user": "akadmin"},
    "ApiToken": lambda _props: {"pk": _uuid(), "user_pk": random.randint(2, 99)},
    "Group": lambda _props: {"pk": _uuid(), "num_pk": random.randint(10_000, 99_999)},
    "OAuth2Provider": lambda props: {
        "pk": random.randint(1, 9_999),
        "client_secret": secrets.token_urlsafe(96),  # 128 characters, like authentik's
        "authentik_ids": _authentik_ids(props),
    },
    "Application": lambda props: {
        "pk": _uuid(),
        "issuer": f"{str(props['public_url']).rstrip('/')}/application/o/{props['slug']}/",
    },
}
"""The computed outputs of each kind of our resources (``AuthentikResourceProvider.kind``), shaped and
sized like what authentik answers; ``FairFloorKit`` checks that they name exactly the real outputs."""


def _generation() -> str:
    return os.environ.get(GENERATION_ENV, "0")


class NoopProvider(ResourceProvider):
    """Creates, reads, updates and deletes nothing; echoes its inputs, plus stand-in outputs.

    ``kind`` (set for the fair floor only, so the thin floor's pickled provider stays as it was) picks
    the outputs from ``STAND_INS``; without it the only output is ``pk``.
    """

    serialize_as_secret_always = False
    kind: str | None = None

    def __init__(self, kind: str | None = None) -> None:
        if kind is not None:
            self.kind = kind

    def _outputs(self, props: dict[str, Any]) -> dict[str, Any]:
        return STAND_INS[self.kind](props) if self.kind is not None else {"pk": 1}

    def create(self, props: dict[str, Any]) -> CreateResult:
        """A new id in this generation; the outputs stand in for what authentik would answer."""
        return CreateResult(f"{_generation()}-{_uuid()}", {**props, **self._outputs(props)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Whatever the state says exists, unless it was made before the last (simulated) wipe."""
        if self.kind not in LASTING_KINDS and not id_.startswith(f"{_generation()}-"):
            return ReadResult(None, {})
        return ReadResult(id_, props)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Accept the new inputs, keeping the outputs."""
        return UpdateResult({**olds, **news})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete."""


class NoopResource(Resource, module="bench", name="Noop"):
    """A trivial dynamic resource with a ``pk`` output (so dependents wait on it like on a real one)."""

    pk: pulumi.Output[Any]

    def __init__(
        self,
        resource_name: str,
        props: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
        provider: NoopProvider | None = None,
    ) -> None:
        super().__init__(provider or NoopProvider(), resource_name, props, opts)


def _thin(
    resource_name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None
) -> NoopResource:
    return NoopResource(resource_name, {"name": resource_name, **inputs, "pk": None}, opts)


class ThinFloorKit:
    """The workload's graph made of thin ``NoopResource``s (see ``bench.workload.Kit``)."""

    def __init__(self, public_url: str) -> None:
        """``public_url`` is unused: the thin floor has no issuer."""

    def ready(self) -> pulumi.Resource:
        """Stands in for ``AuthentikReady``."""
        return _thin(READY_RESOURCE, {"trigger": "bench"})

    def token(self, key: pulumi.Input[str], opts: pulumi.ResourceOptions) -> pulumi.Resource:
        """Stands in for the ``ApiToken`` (the key stays a secret input)."""
        return _thin(TOKEN_RESOURCE, {"identifier": TOKEN_IDENTIFIER, "key": key}, opts)

    def group(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> pulumi.Resource:
        """Stands in for the tenant's ``Group``."""
        return _thin(tenant.group_name, {"attributes": tenant.group_attributes}, opts)

    def provider(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> NoopResource:
        """Stands in for the tenant's ``OAuth2Provider``."""
        inputs = {"client_id": tenant.client_id, "redirect_uris": tenant.redirect_uris}
        return _thin(tenant.provider_resource, inputs, opts)

    def application(
        self, tenant: Tenant, provider_pk: pulumi.Input[int], opts: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        """Stands in for the tenant's ``Application``, wired to the provider's ``pk``."""
        return _thin(tenant.app_resource, {"slug": tenant.app_slug, "provider": provider_pk}, opts)

    def export(self, tenants: list[Tenant], token: pulumi.Resource, clients: list[Any]) -> None:
        """The thin floor exports nothing (as it always did)."""
