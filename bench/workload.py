"""The benchmark program's resource graph, declared once for both kinds of run.

``declare`` builds the graph the dev stack has (``AuthentikReady`` -> ``ApiToken`` -> per tenant a
``Group``, an ``OAuth2Provider`` and an ``Application`` bound to the provider) from a ``Kit`` and lets
the kit export the stack outputs: ``bench.authentik_kit.AuthentikKit`` makes the real dynamic
resources of ``dezky_infra.authentik``; ``bench.authentik_kit.FairFloorKit`` the fair engine floor,
``NoopResource``s registering exactly what the real ones register; ``bench.noop.ThinFloorKit`` the
thin floor, ``NoopResource``s with the same names and dependencies and a few inputs. The kit's module
is imported only when chosen, so the thin floor never loads ``dezky_infra``.
"""

from __future__ import annotations

import importlib
import os
import time
from typing import Any, Protocol

import pulumi

from bench.tenants import PUBLIC_URL, Tenant, tenants
from dezky_infra.authentik.provider import host

KITS = {
    "authentik": "bench.authentik_kit:AuthentikKit",
    "fair": "bench.authentik_kit:FairFloorKit",
    "thin": "bench.noop:ThinFloorKit",
}
"""``dezky:benchMode`` -> the kit's class (constructed with authentik's public URL)."""


class HasPk(Protocol):
    """A resource with a ``pk`` output."""

    @property
    def pk(self) -> pulumi.Output[Any]: ...


class Kit(Protocol):
    """Makes the resources of the tenant workload."""

    def ready(self) -> pulumi.Resource: ...

    def token(self, key: pulumi.Input[str], opts: pulumi.ResourceOptions) -> pulumi.Resource: ...

    def group(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> pulumi.Resource: ...

    def provider(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> HasPk: ...

    def application(
        self, tenant: Tenant, provider_pk: pulumi.Input[int], opts: pulumi.ResourceOptions
    ) -> pulumi.Resource: ...

    def export(self, tenants: list[Tenant], token: pulumi.Resource, clients: list[Any]) -> None:
        """Export the stack outputs; ``clients`` holds each tenant's (provider, application)."""


def declare(kit: Kit, count: int, token_key: pulumi.Input[str]) -> None:
    """Declare readiness, the token and ``count`` tenants, wired like the program's authentik objects."""
    ready = kit.ready()
    token = kit.token(token_key, pulumi.ResourceOptions(depends_on=[ready]))
    after_token = pulumi.ResourceOptions(depends_on=[token])
    clients = []
    for tenant in tenants(count):
        kit.group(tenant, after_token)
        provider = kit.provider(tenant, after_token)
        clients.append((provider, kit.application(tenant, provider.pk, after_token)))
    kit.export(tenants(count), token, clients)


def load_kit(mode: str, public_url: str) -> Kit:
    """The kit for ``mode`` (a key of ``KITS``)."""
    if mode not in KITS:
        raise ValueError(f"dezky:benchMode must be one of {sorted(KITS)}, got {mode!r}")
    module, name = KITS[mode].split(":")
    kit: Kit = getattr(importlib.import_module(module), name)(public_url)
    return kit


def main() -> None:
    """The program: ``dezky:benchMode``, ``benchTenants`` and ``authentikPublicUrl`` from the stack
    config (the public URL defaults to ``bench.tenants.PUBLIC_URL``). With ``DEZKY_TRACE`` set, it
    records its own run there (the breakdown of ``bench.breakdown``)."""
    config = pulumi.Config("dezky")
    declare(
        load_kit(config.require("benchMode"), config.get("authentikPublicUrl") or PUBLIC_URL),
        config.require_int("benchTenants"),
        config.require_secret("authentikToken"),
    )
    trace = os.environ.get(host.TRACE_VARIABLE)
    if trace:
        host.trace_line(
            trace, {"call": "program", "urn": "", "start": host.process_start(), "end": time.time()}
        )
