"""``OAuth2Provider``: an authentik OAuth2/OpenID provider, declared with human names.

Flows are given by slug, the signing key by name and scopes by scope name; they are resolved to
authentik's pks at apply time and kept in the ``authentik_ids`` output, so state and diffs show names
while a refresh can still see a flow or mapping swapped out of band with a single read. Redirect URIs
and scopes are sets: their order never causes a diff. ``client_secret`` is always a Pulumi secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dezky_infra.authentik.api import lookups
from dezky_infra.authentik.api.validation import check_duration, check_redirect_url, check_regex
from dezky_infra.authentik.provider.adoption import create_or_adopt, find_by
from dezky_infra.authentik.provider.base import AdoptableSpec, ResourceSpec
from dezky_infra.authentik.provider.declaration import UNSET, AuthentikResource, Unset
from dezky_infra.authentik.provider.references import IDS_OUTPUT, ReferencingProvider, name_of

if TYPE_CHECKING:  # the client (and httpx) load only when a connection is made, not to declare resources
    from dezky_infra.authentik.api.client import AuthentikClient

DEFAULT_AUTHORIZATION_FLOW = "default-provider-authorization-implicit-consent"
DEFAULT_INVALIDATION_FLOW = "default-provider-invalidation-flow"
DEFAULT_SIGNING_KEY = "authentik Self-signed Certificate"
DEFAULT_SCOPES = ("openid", "profile", "email")
# Inputs that name other authentik objects, looked up by name.
REFERENCE_FIELDS = ("authorization_flow", "invalidation_flow", "signing_key", "scopes")
SubMode = Literal["hashed_user_id", "user_id", "user_uuid", "user_username", "user_email", "user_upn"]


class RedirectUri(BaseModel):
    """One allowed redirect URI: an exact URL (``strict``) or a regular expression (``regex``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    url: str
    """The exact URL (``strict``: absolute, https except on a loopback host) or a regular expression."""
    matching_mode: Literal["strict", "regex"] = "strict"
    """How authentik compares a request's redirect URI with ``url``."""

    @model_validator(mode="after")
    def _valid_for_mode(self) -> RedirectUri:
        if self.matching_mode == "strict":
            check_redirect_url(self.url)
        else:
            check_regex(self.url)
        return self


class OAuth2ProviderSpec(AdoptableSpec):
    """Inputs of an OAuth2/OpenID provider."""

    server_chosen: ClassVar[frozenset[str]] = frozenset({"client_id"})
    secrets: ClassVar[frozenset[str]] = frozenset({"client_secret"})

    name: str = Field(min_length=1)
    """The provider's name, unique in authentik: its natural key."""
    client_type: Literal["confidential", "public"] = "confidential"
    """``public`` for a client that keeps no secret (a browser app using PKCE)."""
    client_id: str | None = Field(default=None, min_length=1, max_length=255)
    """The OAuth2 client id; left out, authentik generates one (never shown as a change then)."""
    redirect_uris: list[RedirectUri] = Field(min_length=1)
    """Where authentik may send users back with a code (at least one); a set: order is no change."""
    authorization_flow: str = Field(default=DEFAULT_AUTHORIZATION_FLOW, min_length=1)
    """The flow that authorizes a login, by slug (looked up at apply time, checked at preview)."""
    invalidation_flow: str = Field(default=DEFAULT_INVALIDATION_FLOW, min_length=1)
    """The flow that ends a session started through this provider, by slug."""
    signing_key: str | None = DEFAULT_SIGNING_KEY
    """The certificate keypair that signs tokens, by name; ``None`` signs with the client secret (HS256)."""
    scopes: list[str] = Field(default_factory=lambda: list(DEFAULT_SCOPES))
    """The scopes the client may ask for, by scope name (authentik's built-in mappings win); a set."""
    sub_mode: SubMode = "hashed_user_id"
    """What the tokens' ``sub`` claim holds."""
    issuer_mode: Literal["global", "per_provider"] = "per_provider"
    """``per_provider``: the issuer is the application's URL (``<public_url>/application/o/<slug>/``)."""
    access_code_validity: str = "minutes=1"
    """How long an authorization code lives, in authentik's duration syntax (``minutes=1``)."""
    access_token_validity: str = "hours=1"
    """How long an access token lives (``hours=1``)."""
    refresh_token_validity: str = "days=30"
    """How long a refresh token lives (``days=30``)."""

    @field_validator("redirect_uris")
    @classmethod
    def _redirects_as_set(cls, value: list[RedirectUri]) -> list[RedirectUri]:
        return sorted(set(value), key=lambda r: (r.url, r.matching_mode))

    @field_validator("scopes")
    @classmethod
    def _scopes_as_set(cls, value: list[str]) -> list[str]:
        if any(not scope for scope in value):
            raise ValueError("scope names must not be empty")
        return sorted(set(value))

    @field_validator("access_code_validity", "access_token_validity", "refresh_token_validity")
    @classmethod
    def _duration(cls, value: str) -> str:
        return check_duration(value)


class ResolvedIds(BaseModel):
    """authentik pks the names resolved to at the last apply (output ``authentik_ids``)."""

    model_config = ConfigDict(defer_build=True)

    authorization_flow: str
    invalidation_flow: str
    signing_key: str | None
    scopes: dict[str, str]


def body(spec: OAuth2ProviderSpec, ids: ResolvedIds) -> dict[str, Any]:
    """The API body for ``spec`` with its names resolved to ``ids`` (``client_id`` omitted when
    authentik should generate it)."""
    sent: dict[str, Any] = {
        "name": spec.name,
        "client_type": spec.client_type,
        "redirect_uris": [uri.model_dump() for uri in spec.redirect_uris],
        "authorization_flow": ids.authorization_flow,
        "invalidation_flow": ids.invalidation_flow,
        "signing_key": ids.signing_key,
        "property_mappings": sorted(ids.scopes.values()),
        "sub_mode": spec.sub_mode,
        "issuer_mode": spec.issuer_mode,
        "access_code_validity": spec.access_code_validity,
        "access_token_validity": spec.access_token_validity,
        "refresh_token_validity": spec.refresh_token_validity,
    }
    if spec.client_id is not None:
        sent["client_id"] = spec.client_id
    return sent


def declared(live: Mapping[str, Any], names: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs that declare the provider authentik holds (``body``'s inverse), with ``names`` the
    flows' slugs, the key's name and the scope names its pks stand for."""
    return {
        "name": live["name"],
        "client_type": live["client_type"],
        "client_id": live["client_id"],
        "redirect_uris": sorted(
            ({"url": u["url"], "matching_mode": u["matching_mode"]} for u in live["redirect_uris"]),
            key=lambda u: (u["url"], u["matching_mode"]),
        ),
        **{field: names[field] for field in REFERENCE_FIELDS},
        "sub_mode": live["sub_mode"],
        "issuer_mode": live["issuer_mode"],
        "access_code_validity": live["access_code_validity"],
        "access_token_validity": live["access_token_validity"],
        "refresh_token_validity": live["refresh_token_validity"],
    }


def outputs(live: Mapping[str, Any], ids: ResolvedIds) -> dict[str, Any]:
    """The computed outputs."""
    return {
        "pk": int(live["pk"]),
        "client_id": live["client_id"],
        "client_secret": live["client_secret"],
        "authentik_ids": ids.model_dump(),
    }


class OAuth2ProviderProvider(ReferencingProvider[OAuth2ProviderSpec]):
    """Dynamic provider for ``providers/oauth2/``; the resource id is the provider's integer pk."""

    spec_type: ClassVar[type[ResourceSpec]] = OAuth2ProviderSpec
    kind: ClassVar[str] = "OAuth2Provider"
    path: ClassVar[str] = "providers/oauth2/"

    references: ClassVar[tuple[str, ...]] = REFERENCE_FIELDS

    def lookup(self, client: AuthentikClient, spec: OAuth2ProviderSpec, field: str) -> Any:
        """The pk(s) for one reference field of ``spec``."""
        if field in {"authorization_flow", "invalidation_flow"}:
            return lookups.flow_pk(client, getattr(spec, field), field, designation=field.split("_")[0])
        if field == "signing_key":
            return lookups.keypair_pk(client, spec.signing_key, field) if spec.signing_key else None
        return lookups.scope_mapping_pks(client, spec.scopes, field)

    def create_object(self, client: AuthentikClient, spec: OAuth2ProviderSpec) -> tuple[str, dict[str, Any]]:
        ids = ResolvedIds.model_validate(self.resolve(client, spec))
        live = create_or_adopt(
            client,
            self.path,
            body(spec, ids),
            self.adoption(spec, "name"),
            lambda: find_by(client, self.path, "name", spec.name),
        )
        return str(live["pk"]), outputs(live, ids)

    def from_live(
        self, client: AuthentikClient, live: Mapping[str, Any], props: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Names for authentik's pks: the declared ones where the pks are those of the last apply, else
        looked up (a flow or mapping swapped out of band shows by its own name)."""
        known = ResolvedIds.model_validate(props[IDS_OUTPUT]) if props.get(IDS_OUTPUT) else None
        live_scope_pks = sorted(str(pk) for pk in live["property_mappings"])
        if known is not None and sorted(known.scopes.values()) == live_scope_pks:
            scopes = dict(known.scopes)
        else:
            scopes = {name: pk for pk, name in lookups.scope_names_by_pk(client, live_scope_pks).items()}
        ids = ResolvedIds(
            authorization_flow=str(live["authorization_flow"]),
            invalidation_flow=str(live["invalidation_flow"]),
            signing_key=str(live["signing_key"]) if live.get("signing_key") else None,
            scopes=scopes,
        )
        reverse = {
            "authorization_flow": lookups.flow_slug,
            "invalidation_flow": lookups.flow_slug,
            "signing_key": lookups.keypair_name,
        }
        names: dict[str, Any] = {
            field: name_of(client, field, getattr(ids, field), props, lookup)
            for field, lookup in reverse.items()
        }
        names["scopes"] = sorted(scopes)
        return declared(live, names), outputs(live, ids)

    def update_object(
        self, client: AuthentikClient, id_: str, olds: Mapping[str, Any], spec: OAuth2ProviderSpec
    ) -> dict[str, Any]:
        ids = ResolvedIds.model_validate(self.resolve(client, spec, olds))
        return outputs(client.patch(self.detail(id_), body(spec, ids)), ids)


class OAuth2Provider(AuthentikResource, name="OAuth2Provider", provider=OAuth2ProviderProvider):
    """An authentik OAuth2/OpenID provider. Outputs ``pk``, ``client_id``, secret ``client_secret`` and
    ``authentik_ids`` (the pks its names resolved to); inputs as ``OAuth2ProviderSpec`` declares them."""

    pk: pulumi.Output[int]
    """authentik's pk of the provider (an integer): what an ``Application``'s ``provider`` takes."""
    client_id: pulumi.Output[str]
    """The OAuth2 client id (the given one, or the one authentik generated)."""
    client_secret: pulumi.Output[str]
    """The OAuth2 client secret authentik generated (a public client gets one too, unused)."""
    authentik_ids: pulumi.Output[dict[str, Any]]
    """The pks the flow, key and scope names resolved to at the last apply (a refresh compares them)."""

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        redirect_uris: pulumi.Input[Sequence[pulumi.Input[Mapping[str, str]]]],
        client_type: pulumi.Input[Literal["confidential", "public"]] | Unset = UNSET,
        client_id: pulumi.Input[str] | None | Unset = UNSET,
        authorization_flow: pulumi.Input[str] | Unset = UNSET,
        invalidation_flow: pulumi.Input[str] | Unset = UNSET,
        signing_key: pulumi.Input[str] | None | Unset = UNSET,
        scopes: pulumi.Input[Sequence[str]] | Unset = UNSET,
        sub_mode: pulumi.Input[SubMode] | Unset = UNSET,
        issuer_mode: pulumi.Input[Literal["global", "per_provider"]] | Unset = UNSET,
        access_code_validity: pulumi.Input[str] | Unset = UNSET,
        access_token_validity: pulumi.Input[str] | Unset = UNSET,
        refresh_token_validity: pulumi.Input[str] | Unset = UNSET,
        adopt: pulumi.Input[bool] | Unset = UNSET,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_name, locals(), opts)
