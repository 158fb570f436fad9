"""Read-only lookups of built-in objects: flows, certificate keypairs and OAuth2 scope mappings."""

from __future__ import annotations

from tests.authentik_server import listing, oidc_keys
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


def flow_list(request: Request, db: Database) -> Response:
    """GET flows/instances/ (?slug=, ?designation=, ?name=)."""
    items = listing.exact(request, _items(db.flows), ("slug", "name"))
    items = listing.choice(request, items, "designation", FLOW_DESIGNATIONS)
    items = listing.search(request, items, listing.keys("name", "slug", "title"))
    items = listing.order(request, items, ("slug",), ("slug", "name", "title", "designation"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedFlowList")


def flow_detail(request: Request, db: Database) -> Response:
    """GET flows/instances/{slug}/ (the lookup field is the slug)."""
    flow = next((f for f in db.flows.values() if f["slug"] == request.params["slug"]), None)
    if flow is None:
        raise not_found("No Flow matches the given query.")
    return ok(dict(flow), "Flow")


def _keypair_items(db: Database) -> list[listing.Item]:
    """The keypair rows; the seeded self-signed one shows its real certificate (oidc_keys.py)."""
    rows = {
        pk: {**row, **oidc_keys.signing_key().keypair_facts()}
        if row["name"] == oidc_keys.KEYPAIR_NAME
        else row
        for pk, row in db.keypairs.items()
    }
    return _items(rows)


def keypair_list(request: Request, db: Database) -> Response:
    """GET crypto/certificatekeypairs/ (?name= exact, ?has_key=)."""
    items = listing.exact(request, _keypair_items(db), ("name", "managed"))
    items = listing.boolean(request, items, "has_key", lambda d: bool(d["private_key_available"]))
    items = listing.search(request, items, (lambda d: d["name"],))
    items = listing.order(request, items, ("name",), ("name", "cert_expiry"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedCertificateKeyPairList")


def scope_mapping_list(request: Request, db: Database) -> Response:
    """GET propertymappings/provider/scope/ (?managed= multi-value, ?scope_name=, ?name=)."""
    items = listing.multiple_choice(request, _items(db.scope_mappings), "managed")
    items = listing.exact(request, items, ("scope_name", "name"))
    items = listing.search(request, items, (lambda d: d["name"], lambda d: d["scope_name"]))
    items = listing.order(request, items, ("scope_name", "name"), ("scope_name", "name"))
    return ok(listing.page_body(request, [i.data for i in items]), "PaginatedScopeMappingList")


ROUTES = [
    route("GET", r"/api/v3/flows/instances/", flow_list),
    route("GET", r"/api/v3/flows/instances/(?P<slug>[^/]+)/", flow_detail),
    route("GET", r"/api/v3/crypto/certificatekeypairs/", keypair_list),
    route("GET", r"/api/v3/propertymappings/provider/scope/", scope_mapping_list),
]
