"""The in-memory "database": authentik's rows for the resources this server models.

One re-entrant lock guards everything; request handlers hold it for the whole request so every API
call is atomic, like a database transaction. ``seq`` mimics PostgreSQL's heap order (a row moves to
the end whenever it is written), which decides the order of rows that tie on the sort key.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import string
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.authentik_server.clock import Clock

_ALNUM = string.ascii_letters + string.digits
_seq = itertools.count(1)


def now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime | None) -> str | None:
    """authentik's timestamp format: microseconds and a Z suffix."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def random_id(length: int) -> str:
    """authentik's generate_id(): letters and digits."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def new_uuid() -> str:
    """A fresh UUID4 string."""
    return str(uuid.uuid4())


def jsonb(value: Any) -> Any:
    """A JSON value as PostgreSQL's jsonb reads it back: object keys shortest first, then bytewise.

    A write's response echoes the object as sent; later reads see this order (30-brands [14] vs [15]).
    """
    if isinstance(value, dict):
        ordered = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return {k: jsonb(value[k]) for k in ordered}
    if isinstance(value, list):
        return [jsonb(v) for v in value]
    return value


@dataclass(kw_only=True)
class Row:
    """Common bookkeeping for stored rows."""

    seq: int = field(default_factory=lambda: next(_seq))

    def touch(self) -> None:
        """Record a write (the row moves to the end of the heap)."""
        self.seq = next(_seq)


@dataclass(kw_only=True)
class User(Row):
    """authentik_core.User (only what the API shows)."""

    pk: int
    username: str
    name: str
    email: str
    password: str | None
    uuid: str
    uid: str
    avatar: str
    type: str = "internal"
    path: str = "users"
    is_active: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    system_permissions: list[str] = field(default_factory=list)
    date_joined: dt.datetime = field(default_factory=now)
    password_change_date: dt.datetime = field(default_factory=now)
    last_updated: dt.datetime = field(default_factory=now)
    last_login: dt.datetime | None = None


@dataclass(kw_only=True)
class Group(Row):
    """authentik_core.Group (2025.10 has one parent at most, 2026.2 any number: versions.py)."""

    pk: str
    num_pk: int
    name: str
    is_superuser: bool = False
    parents: list[str] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    roles: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class OAuth2Provider(Row):
    """authentik_providers_oauth2.OAuth2Provider; ``fields`` holds the writable API fields."""

    pk: int
    fields: dict[str, Any]


@dataclass(kw_only=True)
class Application(Row):
    """authentik_core.Application; ``fields`` holds the writable API fields (provider included)."""

    pk: str
    fields: dict[str, Any]


@dataclass(kw_only=True)
class Brand(Row):
    """authentik_brands.Brand; ``pk`` is the brand_uuid, ``fields`` holds the writable API fields."""

    pk: str
    fields: dict[str, Any]


@dataclass(kw_only=True)
class Token(Row):
    """authentik_core.Token."""

    pk: str
    identifier: str
    key: str
    user: int
    intent: str = "api"
    description: str = ""
    expiring: bool = True
    expires: dt.datetime | None = None
    managed: str | None = None

    def valid_for_api(self, moment: dt.datetime) -> bool:
        """Token.filter_not_expired(intent=api): not expired, or not expiring at all."""
        if self.intent != "api":
            return False
        return not self.expiring or (self.expires is not None and self.expires > moment)


@dataclass(kw_only=True)
class Session(Row):
    """A Django session plus, once logged in, its AuthenticatedSession row."""

    key: str
    user: int | None = None
    uuid: str = field(default_factory=new_uuid)
    flow: dict[str, Any] = field(default_factory=dict)  # flow-executor plan state
    application_pre: str | None = None  # pk of the application an anonymous authorize asked for
    authenticated_at: dt.datetime | None = None  # login time on the server clock (OIDC auth_time)
    last_ip: str = "127.0.0.1"
    last_user_agent: str = ""
    last_used: dt.datetime = field(default_factory=now)
    expires: dt.datetime = field(default_factory=lambda: now() + dt.timedelta(days=1))


@dataclass(kw_only=True)
class Grant(Row):
    """authentik's BaseGrantModel: what authorization codes, access and refresh tokens share.

    ``session`` is the uuid of the AuthenticatedSession the grant was issued in: authentik deletes a
    session's grants with it (26-oidc-authorize-code-confidential: tokens die with their session).
    """

    provider: int
    user: int
    session: str
    scope: list[str]
    expires: dt.datetime  # on the server clock
    auth_time: dt.datetime


@dataclass(kw_only=True)
class AuthorizationCode(Grant):
    """authentik_providers_oauth2.AuthorizationCode (single use; deleted when redeemed)."""

    code: str
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None


@dataclass(kw_only=True)
class AccessToken(Grant):
    """authentik_providers_oauth2.AccessToken; ``token`` is the signed JWT itself."""

    pk: int
    token: str
    sub: str
    id_token: dict[str, Any]  # the claims of the id_token issued with it (the API shows them)
    nonce: str | None = None


@dataclass(kw_only=True)
class RefreshToken(Grant):
    """authentik_providers_oauth2.RefreshToken (opaque); a rotated token stays, revoked."""

    token: str
    revoked: bool = False


@dataclass(kw_only=True)
class ReputationScore(Row):
    """authentik_policies_reputation.Reputation."""

    pk: str
    identifier: str
    ip: str
    score: int = 0
    updated: dt.datetime = field(default_factory=now)


@dataclass
class Database:
    """Every table, plus caches that live in authentik's database (2025.10 keeps its cache in PostgreSQL)."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    users: dict[int, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    flows: dict[str, dict[str, Any]] = field(default_factory=dict)  # read-only seed rows, by pk
    keypairs: dict[str, dict[str, Any]] = field(default_factory=dict)
    scope_mappings: dict[str, dict[str, Any]] = field(default_factory=dict)
    providers: dict[int, OAuth2Provider] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    brands: dict[str, Brand] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)  # by cookie value
    reputation: dict[str, ReputationScore] = field(default_factory=dict)
    authorization_codes: dict[str, AuthorizationCode] = field(default_factory=dict)  # by code
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)  # by JWT
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)  # by token
    config: dict[str, Any] = field(default_factory=dict)
    autocomplete: dict[str, Any] = field(default_factory=dict)
    # ApplicationViewSet.list's per-user page cache: (user pk, page) -> (stored at, application pks)
    app_list_cache: dict[tuple[int, int], tuple[dt.datetime, list[str]]] = field(default_factory=dict)
    # FlowPlanner's plan cache: (flow pk, user pk, None for the anonymous user) -> expiry on the clock;
    # a flow's cache_count is the number of live entries (2026.2's 07 [5], 33 [10])
    flow_plans: dict[tuple[str, int | None], dt.datetime] = field(default_factory=dict)
    next_provider_pk: int = 1
    next_grant_pk: int = 1  # access tokens' integer pks
    clock: Clock = field(default_factory=Clock)  # OIDC expiry and JWT times (see clock.py)

    def clear(self) -> None:
        """Drop every row (the lock and the clock stay the same objects)."""
        for table in (
            self.users,
            self.groups,
            self.flows,
            self.keypairs,
            self.scope_mappings,
            self.providers,
            self.applications,
            self.brands,
            self.tokens,
            self.sessions,
            self.reputation,
            self.authorization_codes,
            self.access_tokens,
            self.refresh_tokens,
            self.config,
            self.autocomplete,
            self.app_list_cache,
            self.flow_plans,
        ):
            table.clear()
        self.next_provider_pk = 1
        self.next_grant_pk = 1

    def plan_flow(self, flow_pk: str, user_pk: int | None) -> None:
        """FlowPlanner.plan(): a plan is cached for flow and user (cache_timeout_flows seconds) unless
        a live one is, which is then used and keeps its expiry."""
        key = (flow_pk, user_pk)
        moment = self.clock.now()
        if self.flow_plans.get(key, moment) <= moment:
            timeout = dt.timedelta(seconds=int(self.config["cache_timeout_flows"]))
            self.flow_plans[key] = moment + timeout

    def cached_plans(self, flow_pk: str) -> int:
        """Flow.cache_count: the live cached plans of the flow (for any user)."""
        moment = self.clock.now()
        return sum(
            1 for (flow, _user), expiry in self.flow_plans.items() if flow == flow_pk and expiry > moment
        )

    def is_superuser(self, user: User) -> bool:
        """authentik derives superuser status from group membership."""
        return any(g.is_superuser and user.pk in g.users for g in self.groups.values())

    def user_by_username(self, username: str) -> User | None:
        """Exact username lookup."""
        return next((u for u in self.users.values() if u.username == username), None)

    def token_by_identifier(self, identifier: str) -> Token | None:
        """Tokens are addressed by identifier in the API."""
        return next((t for t in self.tokens.values() if t.identifier == identifier), None)

    def application_by_slug(self, slug: str) -> Application | None:
        """Applications are addressed by slug in the API."""
        return next((a for a in self.applications.values() if a.fields["slug"] == slug), None)

    def application_for_provider(self, provider_pk: int) -> Application | None:
        """The application bound to a provider (one-to-one)."""
        return next((a for a in self.applications.values() if a.fields.get("provider") == provider_pk), None)

    def live_session(self, session_uuid: str) -> Session | None:
        """The authenticated, unexpired session with this uuid (grants are only valid while it lives)."""
        moment = now()
        return next(
            (
                s
                for s in self.sessions.values()
                if s.uuid == session_uuid and s.user is not None and s.expires > moment
            ),
            None,
        )

    def new_num_pk(self) -> int:
        """Groups carry a random, unique integer num_pk besides their UUID."""
        taken = {g.num_pk for g in self.groups.values()}
        while True:
            candidate = 10000 + secrets.randbelow(90000)
            if candidate not in taken:
                return candidate
