"""Read-only lookups of built-in objects: flows, certificate keypairs and OAuth2 scope mappings."""

from __future__ import annotations

from typing import Any

from tests.authentik_server import drf, listing, oidc_keys
from tests.authentik_server.drf import not_found
from tests.authentik_server.routes.base import route
from tests.authentik_server.state import Database
from tests.authentik_server.web import Request, Response, ok

FLOW_DESIGNATIONS = (
    "authentication",
    "authorization",
    "invalidation",
    "enrollment",
    "unenrollment",
    "recovery",
    "stage_configuration",
)


def _items(rows: dict[str, dict[str, object]]) -> list[listing.Item]:
    return [listing.Item(dict(row), index) for index, row in enumerate(rows.values())]


def _flows(db: Database) -> dict[str, dict[str, object]]:
    """FlowSerializer rows: cache_count counts the flow's live cached plans (state.Database.flow_plans)."""
    return {pk: {**row, "cache_count": db.cached_plans(pk)} for pk, row in db.flows.items()}


def flow_list(request: Request, db: Database) -> Response:
    """GET flows/instances/ (?slug=, ?designation=, ?name=)."""
    items = listing.exact(request, _items(_flows(db)), ("slug", "name"))
    items = listing.choice(request, items, "designation", FLOW_DESIGNATIONS)
    items = listing.search(request, items, listing.keys("name", "slug", "title"))
    items = listing.order(request, items, ("slug",), ("slug", "name", "title", "designation"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedFlowList")


def flow_detail(request: Request, db: Database) -> Response:
    """GET flows/instances/{slug}/ (the lookup field is the slug)."""
    flow = next((f for f in _flows(db).values() if f["slug"] == request.params["slug"]), None)
    if flow is None:
        raise not_found("No Flow matches the given query.")
    return ok(flow, "Flow")


KEY_TYPES = ("rsa", "ec", "dsa", "ed25519", "ed448")  # 2026.2's KeyTypeEnum (34)
_DETAILS = ("fingerprint_sha256", "fingerprint_sha1", "cert_expiry", "cert_subject")


def _keypair_json(request: Request, row: dict[str, Any]) -> dict[str, Any]:
    """CertificateKeyPairSerializer; the seeded self-signed keypair shows its real certificate.

    The key's type is ``private_key_type`` on 2025.10 and ``key_type`` on 2026.2 (34). 2025.10 also
    honours ?include_details=false (details null; authentik's crypto/api.py), which 2026.2 ignores
    (34 [7]).
    """
    body = dict(row)
    if row["name"] == oidc_keys.KEYPAIR_NAME:
        body.update(oidc_keys.signing_key().keypair_facts())
    if not request.version.keypair_key_type and (request.param("include_details") or "").lower() == "false":
        body.update(dict.fromkeys((*_DETAILS, "private_key_type")))
    return body


def _keypair_items(request: Request, db: Database) -> list[listing.Item]:
    return [
        listing.Item(_keypair_json(request, row), index) for index, row in enumerate(db.keypairs.values())
    ]


def keypair_list(request: Request, db: Database) -> Response:
    """GET crypto/certificatekeypairs/ (?name= exact, ?has_key=, 2026.2 ?key_type= repeatable)."""
    items = listing.exact(request, _keypair_items(request, db), ("name", "managed"))
    items = listing.boolean(request, items, "has_key", lambda d: bool(d["private_key_available"]))
    if request.version.keypair_key_type:
        items = listing.multiple_choice(request, items, "key_type", KEY_TYPES)
    items = listing.search(request, items, (lambda d: d["name"],))
    items = listing.order(request, items, ("name",), ("name", "cert_expiry"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedCertificateKeyPairList")


def _keypair(request: Request, db: Database) -> dict[str, Any]:
    return drf.by_uuid(db.keypairs, request.params["pk"], "CertificateKeyPair")


def keypair_detail(request: Request, db: Database) -> Response:
    """GET crypto/certificatekeypairs/{pk}/ (34 [1], [8])."""
    return ok(_keypair_json(request, _keypair(request, db)), "CertificateKeyPair")


def _pem(request: Request, db: Database, part: str) -> Response:
    """view_certificate/ and view_private_key/: {"data": PEM}; with ?download (any value) the PEM itself
    as an attachment named after the keypair (authentik's crypto/api.py; the viewing is an event there).
    """
    row = _keypair(request, db)
    if row["name"] == oidc_keys.KEYPAIR_NAME:
        key = oidc_keys.signing_key()
        pem = key.certificate_pem if part == "certificate" else key.private_pem
    else:
        pem = str(row.get("certificate_data" if part == "certificate" else "key_data", ""))
    if "download" in request.query:
        disposition = f'attachment; filename="{row["name"]}_{part}.pem"'
        return Response(
            200,
            content_type="application/x-pem-file",
            raw=pem.encode("utf-8"),
            headers=[("Content-Disposition", disposition)],
        )
    return ok({"data": pem}, "CertificateData")


def view_certificate(request: Request, db: Database) -> Response:
    """GET crypto/certificatekeypairs/{pk}/view_certificate/."""
    return _pem(request, db, "certificate")


def view_private_key(request: Request, db: Database) -> Response:
    """GET crypto/certificatekeypairs/{pk}/view_private_key/."""
    return _pem(request, db, "private_key")


def scope_mapping_list(request: Request, db: Database) -> Response:
    """GET propertymappings/provider/scope/ (?managed= multi-value, ?scope_name=, ?name=)."""
    items = listing.multiple_choice(request, _items(db.scope_mappings), "managed")
    items = listing.exact(request, items, ("scope_name", "name"))
    items = listing.search(request, items, (lambda d: d["name"], lambda d: d["scope_name"]))
    items = listing.order(request, items, ("scope_name", "name"), ("scope_name", "name"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedScopeMappingList")


_KEYPAIR = r"/api/v3/crypto/certificatekeypairs/(?P<pk>[^/]+)/"
ROUTES = [
    route("GET", r"/api/v3/flows/instances/", flow_list),
    route("GET", r"/api/v3/flows/instances/(?P<slug>[^/]+)/", flow_detail),
    route("GET", r"/api/v3/crypto/certificatekeypairs/", keypair_list),
    route("GET", _KEYPAIR, keypair_detail),
    route("GET", _KEYPAIR + "view_certificate/", view_certificate),
    route("GET", _KEYPAIR + "view_private_key/", view_private_key),
    route("GET", r"/api/v3/propertymappings/provider/scope/", scope_mapping_list),
]
