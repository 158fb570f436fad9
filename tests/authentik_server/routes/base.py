"""The route table entry type shared by every resource module."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from tests.authentik_server.state import Database
from tests.authentik_server.web import Request, Response

Handler = Callable[[Request, Database], Response]


class Access(Enum):
    """Who may call a route."""

    API = "api"  # DRF view: authentication, then IsAuthenticated + object permissions (superuser)
    USER = "user"  # DRF view: authentication, then IsAuthenticated only
    ANONYMOUS = "anonymous"  # DRF view with AllowAny: authentication still runs (a bad token is a 403)
    PUBLIC = "public"  # plain Django view: no DRF authentication at all


@dataclass(frozen=True)
class Route:
    """One path pattern and the methods it answers."""

    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler
    access: Access = Access.API


def route(methods: str, pattern: str, handler: Handler, access: Access = Access.API) -> Route:
    """Build a Route from "GET POST" and a regex with named groups (anchored)."""
    return Route(frozenset(methods.split()), re.compile(f"^{pattern}$"), handler, access)
