"""The benchmark workload made of the real ``dezky_infra.authentik`` dynamic resources, and its fair floor.

``AuthentikKit`` declares each object the way ``dezky_infra.program.authentik_objects`` declares the dev
stack's and exports what ``python -m dezky_infra env`` and ``verify`` read (through
``dezky_infra.program.stack``'s own helpers), treating each tenant's provider and application as an OIDC
client.

``FairFloorKit`` runs the very same declarations, but every resource constructor only *records* what
the real resource would register (``registration``: provider, name, properties, options, without
registering anything) and declares a ``NoopResource`` with exactly those properties and options (so
the same secret inputs and ``additional_secret_outputs``), whose provider answers with outputs shaped
like authentik's (``bench.noop.STAND_INS``). Its program imports the same resource modules as ours, so
``ours / fair floor`` is what our dynamic providers cost: their process's imports, check, diff, the
authentik calls and their latency.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple, cast

import pulumi
import pulumi.dynamic

from bench.noop import STAND_INS, NoopProvider, NoopResource
from bench.tenants import READY_RESOURCE, TOKEN_IDENTIFIER, TOKEN_RESOURCE, Tenant
from bench.workload import HasPk
from dezky_infra.authentik import ApiToken, Application, Group, OAuth2Provider
from dezky_infra.authentik.provider.base import AuthentikResourceProvider
from dezky_infra.authentik.readiness import AuthentikReady
from dezky_infra.program.authentik_objects import OidcClient
from dezky_infra.program.oidc_clients import OidcClientConfig
from dezky_infra.program.stack import client_outputs


class Registration(NamedTuple):
    """What a dynamic resource's constructor hands to ``pulumi.dynamic.Resource.__init__``."""

    provider: pulumi.dynamic.ResourceProvider
    name: str
    props: dict[str, Any]
    opts: pulumi.ResourceOptions | None


class _Recorder(pulumi.dynamic.Resource):
    """Sits between a real resource class and ``pulumi.dynamic.Resource``: records instead of registering."""

    recorded: Registration

    def __init__(
        self,
        provider: pulumi.dynamic.ResourceProvider,
        name: str,
        props: Any,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self.recorded = Registration(provider, name, dict(props), opts)


_RECORDING: dict[type[Any], Callable[..., _Recorder]] = {}


def _recording(cls: type[Any]) -> Callable[..., _Recorder]:
    # MRO: recording class, the real class, _Recorder, pulumi.dynamic.Resource, ...: the real class's
    # ``super().__init__(provider, name, props, opts)`` lands in _Recorder.
    # It carries the real class's module and annotations: the outputs are read from them.
    if cls not in _RECORDING:
        namespace = {"__module__": cls.__module__, "__annotations__": inspect.get_annotations(cls)}
        _RECORDING[cls] = type(f"Recording{cls.__name__}", (cls, _Recorder), namespace)
    return _RECORDING[cls]


def registration(cls: type[Any], resource_name: str, /, **kwargs: Any) -> Registration:
    """What ``cls(resource_name, **kwargs)`` would register, without registering anything."""
    return _recording(cls)(resource_name, **kwargs).recorded


Make = Callable[..., Any]
"""``make(cls, resource_name, **kwargs)``: declare (or stand in for) one resource."""


def _declare(cls: type[Any], resource_name: str, /, **kwargs: Any) -> Any:
    return cls(resource_name, **kwargs)


def oidc_client(tenant: Tenant) -> OidcClientConfig:
    """The tenant's provider and application as ``dezky:oidcClients`` would describe them."""
    return OidcClientConfig(
        name=tenant.app_name,
        client_id=tenant.client_id,
        redirect_uris=tuple(uri["url"] for uri in tenant.redirect_uris),
        launch_url=tenant.launch_url,
        env_prefix=f"{tenant.slug.upper()}_OIDC",
        provider_name=tenant.provider_name,
    )


class AuthentikKit:
    """Makes each object the way ``dezky_infra.program.authentik_objects`` makes the dev stack's."""

    make: Make = staticmethod(_declare)

    def __init__(self, public_url: str) -> None:
        """``public_url`` is authentik's URL as the consumers (and ``verify``) reach it."""
        self.public_url = public_url

    def ready(self) -> pulumi.Resource:
        """Waits for authentik (the trigger never changes, so it runs on a fresh ``up`` only)."""
        return cast(pulumi.Resource, self.make(AuthentikReady, READY_RESOURCE, trigger="bench"))

    def token(self, key: pulumi.Input[str], opts: pulumi.ResourceOptions) -> pulumi.Resource:
        """The platform-api token."""
        return cast(
            pulumi.Resource,
            self.make(
                ApiToken, TOKEN_RESOURCE, identifier=TOKEN_IDENTIFIER, key=key, user="akadmin", opts=opts
            ),
        )

    def group(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> pulumi.Resource:
        """The tenant's group."""
        return cast(
            pulumi.Resource,
            self.make(
                Group,
                tenant.group_name,
                name=tenant.group_name,
                attributes=tenant.group_attributes,
                opts=opts,
            ),
        )

    def provider(self, tenant: Tenant, opts: pulumi.ResourceOptions) -> HasPk:
        """The tenant's confidential OAuth2 provider (default flows, key and scopes)."""
        return cast(
            HasPk,
            self.make(
                OAuth2Provider,
                tenant.provider_resource,
                name=tenant.provider_name,
                client_type="confidential",
                client_id=tenant.client_id,
                redirect_uris=list(tenant.redirect_uris),
                opts=opts,
            ),
        )

    def application(
        self, tenant: Tenant, provider_pk: pulumi.Input[int], opts: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        """The tenant's application, bound to its provider."""
        return cast(
            pulumi.Resource,
            self.make(
                Application,
                tenant.app_resource,
                name=tenant.app_name,
                slug=tenant.app_slug,
                provider=provider_pk,
                launch_url=tenant.launch_url,
                public_url=self.public_url,
                opts=opts,
            ),
        )

    def export(self, tenants: list[Tenant], token: pulumi.Resource, clients: list[Any]) -> None:
        """The outputs ``env`` and ``verify`` read, made by ``dezky_infra.program.stack``'s own helpers."""
        described = [
            OidcClient(oidc_client(tenant), provider, application)
            for tenant, (provider, application) in zip(tenants, clients, strict=True)
        ]
        pulumi.export("authentik_url", self.public_url)
        pulumi.export("authentik_bootstrap_token", pulumi.Output.secret(cast(Any, token).key))
        for client in described:
            for name, value in client_outputs(client).items():
                pulumi.export(name, value)
        pulumi.export(
            "oidc_clients",
            {tenant.app_slug: c.description() for tenant, c in zip(tenants, described, strict=True)},
        )


def outputs_of(recorded: Registration) -> tuple[str, ...]:
    """The properties a real resource registers that are not inputs: its computed outputs."""
    provider = cast(AuthentikResourceProvider[Any], recorded.provider)
    return tuple(name for name in recorded.props if name not in provider.spec_type.model_fields)


_CHECKED: set[str] = set()


def _checked_kind(cls: type[Any], kind: str, outputs: tuple[str, ...]) -> str:
    """``kind``, once its stand-in is known to give exactly the outputs ``cls`` registers."""
    if kind not in _CHECKED:
        stand_in = set(STAND_INS[kind]({"scopes": [], "public_url": "", "slug": ""}))
        if stand_in != set(outputs):
            raise RuntimeError(
                f"bench.noop.STAND_INS[{kind!r}] gives {sorted(stand_in)}, but {cls.__name__} registers "
                f"the outputs {sorted(outputs)}: update the stand-in"
            )
        _CHECKED.add(kind)
    return kind


def fair_stand_in(cls: type[Any], resource_name: str, /, **kwargs: Any) -> NoopResource:
    """A ``NoopResource`` registering what ``cls(resource_name, **kwargs)`` would register."""
    recorded = registration(cls, resource_name, **kwargs)
    provider = cast(AuthentikResourceProvider[Any], recorded.provider)
    kind = _checked_kind(cls, provider.kind, outputs_of(recorded))
    return NoopResource(recorded.name, recorded.props, recorded.opts, NoopProvider(kind))


class FairFloorKit(AuthentikKit):
    """The same declarations and exports as ``AuthentikKit``, each resource a fair ``NoopResource``."""

    make: Make = staticmethod(fair_stand_in)
