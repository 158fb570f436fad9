"""Which brand a request belongs to, and what that brand decides (authentik's BrandMiddleware).

Every request gets a brand from its Host header (brands/utils.py get_brand_for_request, as confirmed
by 31-brands-host-oidc-flows [0]-[17]):
- 2025.10: a brand matches when its domain is a case-insensitive SUFFIX of the Host header verbatim,
  port included, with no dot boundary: ``xacme.auth.dezky.local`` matches ``acme.auth.dezky.local``
  (31 [3]); 2026.2: the Host must be the domain or end with "." + domain (2026.2's 31 [3]: xacme gets
  the default brand); on both, ``acme.auth.dezky.local:8443`` matches no port-less domain (31 [4],
  [12]) and a ``*.`` domain is literal (31 [18]);
- the longest matching domain wins (31 [9], [10]); at equal length the default brand first;
- without a match the brand with ``default`` true, and without one an in-memory ``fallback`` brand
  (30-brands [100], [106]); X-Forwarded-Host and X-Forwarded-Proto play no part (31 [6], [7]).
The brand then supplies the locale (i18n.py), the flow executor's background, the flows behind
``/flows/-/default/<designation>/`` and the session-end screen. It does not touch the OIDC issuer,
root/config or the applications list (31 [18]-[22], [32]-[34]).
"""

from __future__ import annotations

from typing import Any

from tests.authentik_server.state import Brand, Database
from tests.authentik_server.web import Request

FLOW_FIELDS = (
    "flow_authentication",
    "flow_invalidation",
    "flow_recovery",
    "flow_unenrollment",
    "flow_user_settings",
    "flow_device_code",
)
# The model defaults, as a domain-only POST shows them (30-brands [16]): a new brand has no flows.
DEFAULTS: dict[str, Any] = {
    "default": False,
    "branding_title": "authentik",
    "branding_logo": "/static/dist/assets/icons/icon_left_brand.svg",
    "branding_favicon": "/static/dist/assets/icons/icon.png",
    "branding_custom_css": "",
    "branding_default_flow_background": "/static/dist/assets/images/flow_background.jpg",
    **dict.fromkeys(FLOW_FIELDS),
    "default_application": None,
    "web_certificate": None,
    "client_certificates": [],
    "attributes": {},
}
FALLBACK_DOMAIN = "fallback"  # authentik's DEFAULT_BRAND = Brand(domain="fallback"), never saved
# /flows/-/default/<designation>/ (ToDefaultFlow): the brand field each entry point consults
DEFAULT_FLOW_FIELDS = {"authentication": "flow_authentication", "invalidation": "flow_invalidation"}


def fallback() -> Brand:
    """The in-memory brand a request gets when no brand matches and none is default (30 [100])."""
    return Brand(pk="", fields={**DEFAULTS, "domain": FALLBACK_DOMAIN})


def _matches(host: str, domain: str, rule: str) -> bool:
    """Whether a brand domain matches the Host (both upper-cased, as PostgreSQL compares them)."""
    if rule == "suffix":  # 2025.10: domain is a suffix of Host, no dot boundary
        return host.endswith(domain)
    return host == domain or host.endswith("." + domain)  # 2026.2: "subdomain"


def for_host(db: Database, host: str, rule: str) -> Brand:
    """get_brand_for_request(): the longest case-insensitive match (``rule``: AuthentikVersion.brand_match),
    else the default brand, else the fallback."""
    wanted = host.upper()  # PostgreSQL's iendswith compares UPPER() of both sides

    def priority(brand: Brand) -> tuple[int, int, int]:
        domain = str(brand.fields["domain"])
        length = len(domain) if _matches(wanted, domain.upper(), rule) else -1
        return (length, 0 if brand.fields["default"] else -2, -brand.seq)

    candidates = [b for b in db.brands.values() if priority(b)[0] > -1 or b.fields["default"]]
    return max(candidates, key=priority) if candidates else fallback()


def of(request: Request) -> Brand:
    """The brand routes.dispatch picked for this request (the fallback before it ran)."""
    return request.brand if request.brand is not None else fallback()


def _settings(brand: Brand) -> dict[str, Any]:
    attributes = brand.fields["attributes"]
    settings = attributes.get("settings") if isinstance(attributes, dict) else None
    return settings if isinstance(settings, dict) else {}


def locale(brand: Brand) -> str:
    """Brand.default_locale: ``attributes.settings.locale``, "" when unset (30 [58], 31 [17])."""
    value = _settings(brand).get("locale", "")
    return value if isinstance(value, str) else ""


def theme(brand: Brand) -> Any:
    """``attributes.settings.theme.base``, "automatic" when unset (31 [17]: "dark")."""
    theme_settings = _settings(brand).get("theme")
    if isinstance(theme_settings, dict) and "base" in theme_settings:
        return theme_settings["base"]
    return "automatic"


def flow_slug_of(db: Database, flow_pk: object) -> str | None:
    """The slug of the flow with this pk (None when there is none)."""
    flow = db.flows.get(str(flow_pk)) if flow_pk is not None else None
    return str(flow["slug"]) if flow is not None else None


def flow_slug(db: Database, brand: Brand, field: str) -> str | None:
    """The slug of the flow a brand sets in ``field`` (None when unset)."""
    return flow_slug_of(db, brand.fields[field])


def default_flow(db: Database, brand: Brand, designation: str) -> str | None:
    """ToDefaultFlow: the brand's flow, else the first flow of the designation by slug (31 [26]-[30]).

    None for entry points authentik does not have (only authentication and invalidation exist).
    """
    field = DEFAULT_FLOW_FIELDS.get(designation)
    if field is None:
        return None
    slug = flow_slug(db, brand, field)
    if slug is not None:
        return slug
    slugs = sorted(str(f["slug"]) for f in db.flows.values() if f["designation"] == designation)
    return slugs[0] if slugs else None
