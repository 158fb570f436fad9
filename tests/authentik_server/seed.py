"""What a freshly started authentik contains (blueprints applied, bootstrap env vars read).

The recorded rows (flows, keypair, scope mappings, akadmin, "authentik Admins") live in one JSON file
per version (``AuthentikVersion.seed``: seed_data.json for 2025.10, seed_data_2026.2.json for
2026.2) with the values of that version's capture server, so lookups by slug/name/managed id return
exactly what the transcripts show; the pks that seed rows refer to (akadmin, the outpost account, the
default brand) are there too; the self-signed keypair's certificate fields are replaced, when
read, by those of the real key in oidc_keys.py. The embedded outpost's service account is not in any
transcript except as its pk (2 on 2025.10, 4 on 2026.2) and a user count of 2; its details below are
plausible stand-ins. The shipped default brand (30-brands) is built here, its flows looked up by slug.
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
from tests.authentik_server.versions import AuthentikVersion

BOOTSTRAP_TOKEN_IDENTIFIER = "authentik-bootstrap-token"
# the "Default - Brand" blueprint's flows, by slug (30-brands notes, SHIPPED STATE)
_DEFAULT_BRAND_FLOWS = {
    "flow_authentication": "default-authentication-flow",
    "flow_invalidation": "default-invalidation-flow",
    "flow_user_settings": "default-user-settings-flow",
}
_HERE = Path(__file__).parent


@cache
def _data(file: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((_HERE / file).read_text())
    return loaded


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _akadmin(data: dict[str, Any], password: str) -> User:
    raw = data["akadmin"]
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


def _outpost_account(data: dict[str, Any]) -> User:
    created = _parse(data["akadmin"]["date_joined"]) - dt.timedelta(seconds=3)
    return User(
        pk=data["outpost_user_pk"],
        username="ak-outpost-0c8b1e4d9f2a4d6c8e3b5a7f1c9d2e40",
        name="Outpost authentik Embedded Outpost Service-Account",
        email="",
        password=None,
        uuid="5b0e2c1a-3d4f-4a6b-8c9d-0e1f2a3b4c5d",
        uid="0f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170",
        avatar=data["akadmin"]["avatar"],
        type="internal_service_account",
        path="goauthentik.io/outposts",
        date_joined=created,
        password_change_date=created,
        last_updated=created,
    )


def _default_brand(db: Database, brand_uuid: str) -> Brand:
    """The shipped brand: domain authentik-default, default true, the default flows (30-brands [0]).

    Its brand_uuid is random per install; the seed has the recorded one.
    """
    by_slug = {str(flow["slug"]): pk for pk, flow in db.flows.items()}
    flows = {field: by_slug[slug] for field, slug in _DEFAULT_BRAND_FLOWS.items()}
    return Brand(
        pk=brand_uuid,
        fields={**BRAND_DEFAULTS, "domain": "authentik-default", "default": True, **flows},
    )


def akadmin_pk(version: AuthentikVersion) -> int:
    """akadmin's pk on that version's capture server (6 on 2025.10, 3 on 2026.2)."""
    pk: int = _data(version.seed)["akadmin"]["pk"]
    return pk


def populate(
    db: Database, version: AuthentikVersion, *, bootstrap_token: str | None, akadmin_password: str
) -> None:
    """Fill an empty database with the version's seed (caller holds the lock)."""
    data = copy.deepcopy(_data(version.seed))
    db.config.update(data["config"])
    db.autocomplete.update(data["autocomplete"])
    db.flows.update({f["pk"]: f for f in data["flows"]})
    db.keypairs.update({k["pk"]: k for k in data["keypairs"]})
    db.scope_mappings.update({m["pk"]: m for m in data["scope_mappings"]})
    brand = _default_brand(db, data["default_brand_uuid"])
    db.brands[brand.pk] = brand
    akadmin = _akadmin(data, akadmin_password)
    for user in (_outpost_account(data), akadmin):
        db.users[user.pk] = user
    admins = data["admin_group"]
    db.groups[admins["pk"]] = Group(
        pk=admins["pk"],
        num_pk=admins["num_pk"],
        name=admins["name"],
        is_superuser=True,
        users=[akadmin.pk],
    )
    if bootstrap_token is not None:
        token = Token(
            pk=new_uuid(),
            identifier=BOOTSTRAP_TOKEN_IDENTIFIER,
            key=bootstrap_token,
            user=akadmin.pk,
            intent="api",
            expiring=False,
            expires=now() + dt.timedelta(minutes=30),
        )
        db.tokens[token.pk] = token
