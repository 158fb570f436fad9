"""What a freshly started authentik 2025.10 contains (blueprints applied, bootstrap env vars read).

The recorded rows (flows, keypair, scope mappings, akadmin, "authentik Admins") live in
``seed_data.json`` with the values of the capture server, so lookups by slug/name/managed id return
exactly what the transcripts show; the self-signed keypair's certificate fields are replaced, when
read, by those of the real key in oidc_keys.py. The embedded outpost's service account is not in any
transcript except as "pk 2" and a user count of 2; its details below are plausible stand-ins. The
shipped default brand (30-brands) is built here, its flows looked up by slug.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.authentik_server.brands import DEFAULTS as BRAND_DEFAULTS
from tests.authentik_server.state import Brand, Database, Group, Token, User, new_uuid, now

AKADMIN_PK = 6
OUTPOST_USER_PK = 2
BOOTSTRAP_TOKEN_IDENTIFIER = "authentik-bootstrap-token"
DEFAULT_BRAND_UUID = "e7012909-3d95-4ac9-8732-4e02e0d6fee2"  # as recorded (30-brands [0]); random per install
# the "Default - Brand" blueprint's flows, by slug (30-brands notes, SHIPPED STATE)
_DEFAULT_BRAND_FLOWS = {
    "flow_authentication": "default-authentication-flow",
    "flow_invalidation": "default-invalidation-flow",
    "flow_user_settings": "default-user-settings-flow",
}
_DATA_FILE = Path(__file__).with_name("seed_data.json")


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_DATA_FILE.read_text())
    return loaded


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _akadmin(password: str) -> User:
    raw = _data()["akadmin"]
    return User(
        pk=raw["pk"],
        username=raw["username"],
        name=raw["name"],
        email=raw["email"],
        password=password,
        uuid=raw["uuid"],
        uid=raw["uid"],
        avatar=raw["avatar"],
        type=raw["type"],
        path=raw["path"],
        attributes=dict(raw["attributes"]),
        settings=dict(raw["settings"]),
        system_permissions=list(raw["system_permissions"]),
        date_joined=_parse(raw["date_joined"]),
        password_change_date=_parse(raw["password_change_date"]),
        last_updated=_parse(raw["last_updated"]),
    )


def _outpost_account() -> User:
    created = _parse(_data()["akadmin"]["date_joined"]) - dt.timedelta(seconds=3)
    return User(
        pk=OUTPOST_USER_PK,
        username="ak-outpost-0c8b1e4d9f2a4d6c8e3b5a7f1c9d2e40",
        name="Outpost authentik Embedded Outpost Service-Account",
        email="",
        password=None,
        uuid="5b0e2c1a-3d4f-4a6b-8c9d-0e1f2a3b4c5d",
        uid="0f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170",
        avatar=_data()["akadmin"]["avatar"],
        type="internal_service_account",
        path="goauthentik.io/outposts",
        date_joined=created,
        password_change_date=created,
        last_updated=created,
    )


def _default_brand(db: Database) -> Brand:
    """The shipped brand: domain authentik-default, default true, the default flows (30-brands [0])."""
    by_slug = {str(flow["slug"]): pk for pk, flow in db.flows.items()}
    flows = {field: by_slug[slug] for field, slug in _DEFAULT_BRAND_FLOWS.items()}
    return Brand(
        pk=DEFAULT_BRAND_UUID,
        fields={**BRAND_DEFAULTS, "domain": "authentik-default", "default": True, **flows},
    )


def populate(db: Database, *, bootstrap_token: str | None, akadmin_password: str) -> None:
    """Fill an empty database with the seed (caller holds the lock)."""
    data = copy.deepcopy(_data())
    db.config.update(data["config"])
    db.autocomplete.update(data["autocomplete"])
    db.flows.update({f["pk"]: f for f in data["flows"]})
    db.keypairs.update({k["pk"]: k for k in data["keypairs"]})
    db.scope_mappings.update({m["pk"]: m for m in data["scope_mappings"]})
    brand = _default_brand(db)
    db.brands[brand.pk] = brand
    for user in (_outpost_account(), _akadmin(akadmin_password)):
        db.users[user.pk] = user
    admins = data["admin_group"]
    db.groups[admins["pk"]] = Group(
        pk=admins["pk"],
        num_pk=admins["num_pk"],
        name=admins["name"],
        is_superuser=True,
        users=[AKADMIN_PK],
    )
    if bootstrap_token is not None:
        token = Token(
            pk=new_uuid(),
            identifier=BOOTSTRAP_TOKEN_IDENTIFIER,
            key=bootstrap_token,
            user=AKADMIN_PK,
            intent="api",
            expiring=False,
            expires=now() + dt.timedelta(minutes=30),
        )
        db.tokens[token.pk] = token
