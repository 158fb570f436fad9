"""The authentik versions this server can be, and everything that differs between them.

A server instance is one version for its whole life (``AuthentikServer(version="2026.2")``). Every
behaviour that differs between the recorded versions is a field of ``AuthentikVersion`` below, set once
per version with the transcript that shows it; routes read ``request.version`` and never compare
version names themselves. To model another version, add an instance to VERSIONS (and its
authentik-client to requirements-contracts.txt).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHARED = Path("/work/shared")


@dataclass(frozen=True)
class AuthentikVersion:
    """What one authentik release does where the recorded releases differ (each field cites the files)."""

    name: str  # what AuthentikServer(version=...) and --authentik-version accept, e.g. "2026.2"
    release: str  # authentik's __version__ (admin/version/ version_current)
    client: str  # the authentik-client release whose models are this version's contract (contract.py)
    transcripts: Path  # what was recorded from the real release (the evidence for every value below)
    seed: str  # the file (beside seed.py) with the shipped rows as that release's capture server had them
    # admin/version/ besides version_current (update check disabled, no internet: 32-version-and-config)
    version_latest: str
    version_latest_valid: bool
    # Content-Type of DRF's JSON answers, the REST API's (every API exchange; side by side in 32)
    api_json: str
    # an Authorization header with a scheme other than Bearer counts as no header at all, instead of a
    # 403 "Unsupported authentication type" (01 [3], [4])
    foreign_scheme_ignored: bool
    # page size without (or with an invalid) ?page_size=, and the largest one honoured (07, 33)
    default_page_size: int
    max_page_size: int | None
    # users carry roles: users/me "roles", user objects "roles"/"roles_obj" (02, 18, 19, 21)
    user_roles: bool
    # groups have several parents: parents/parents_obj/inherited_roles_obj instead of parent/parent_name,
    # ?include_parents=, read-only children, a "parent" in a body ignored; a user's groups_obj entries
    # lose parent/parent_name (17, 02)
    group_parents: bool
    group_name_taken: str  # a duplicate group name (17 [1], [9])
    # applications: meta_icon "" and its meta_icon_url/meta_icon_themed_urls (14, 15, 16, 23, 25, 31)
    application_icon_urls: bool
    # the invalid-slug message (straight or curly quotes: 14 [4], 15 [13])
    slug_message: str
    # token set_key/ validates its body (400 with field errors) instead of a bare empty 400 (18 [4]-[9])
    set_key_validates: bool
    # keypairs: key_type (and ?key_type=) instead of private_key_type; ?include_details= gone (34, 05)
    keypair_key_type: bool
    # flows: background is the stored value, its URL in background_url plus background_themed_urls (04)
    flow_background_url: bool
    # flow challenges: background_themed_urls in flow_info, pending_user_identifier and passkey_challenge
    # in the identification challenge, application_pre_launch and cancel_url ?next= during an OAuth
    # login (20, 26, 27, 28, 31)
    challenge_additions: bool
    # a brand matches a Host that ends with its domain (no dot boundary: "suffix") or that is its
    # domain or ends with "." + domain ("subdomain") (31 [0]-[19])
    brand_match: str
    # core/brands/current/: the *_themed_urls keys and the flows_continuous_login flag (30, 31, 32)
    current_brand_themed: bool
    # authorize without a session: redirect to /flows/-/default/authentication/?next= ("entry"), or plan
    # the authentication flow there and redirect to its interface with the query and next ("plan")
    # (26 [0], 27, 28 [3], 31 [32]-[36])
    authorize_login: str
    # id_token and access token carry the same random "jti" (26, 27, 28)
    jwt_jti: bool
    # the JWKS "kid" of the keypair the server ships: md5 hex or urlsafe-base64 SHA-512 of the key (25)
    kid: str
    # the template (beside web.py) of the HTML pages: a 404 and the authorize 400 errors (03 [4], 06 [7],
    # 25, 28, 31 [34])
    html_page: str

    def admin_version(self) -> dict[str, Any]:
        """The VersionSerializer body (no build hash on a release; no outposts that report a version)."""
        return {
            "version_current": self.release,
            "version_latest": self.version_latest,
            "version_latest_valid": self.version_latest_valid,
            "build_hash": "",
            "outdated": False,
            "outpost_outdated": False,
        }


V2025_10 = AuthentikVersion(
    name="2025.10",
    release="2025.10.4",
    client="2025.10.4",
    transcripts=SHARED / "authentik-2025.10",
    seed="seed_data.json",
    version_latest="2025.10.4",  # 32 [0]: the default tenant echoes the running version (inverted check)
    version_latest_valid=True,
    api_json="application/json; charset=utf-8",
    foreign_scheme_ignored=False,
    default_page_size=100,
    max_page_size=None,
    user_roles=False,
    group_parents=False,
    group_name_taken="This field must be unique.",
    application_icon_urls=False,
    slug_message='Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.',
    set_key_validates=False,
    keypair_key_type=False,
    flow_background_url=False,
    challenge_additions=False,
    brand_match="suffix",
    current_brand_themed=False,
    authorize_login="entry",
    jwt_jti=False,
    kid="md5",
    html_page="error_page.html",
)
V2026_2 = AuthentikVersion(
    name="2026.2",
    release="2026.2.2",
    client="2026.2.2",
    transcripts=SHARED / "authentik-2026.2",
    seed="seed_data_2026.2.json",
    version_latest="0.0.0",  # 32 [5]: the update check is disabled, the cache holds VERSION_NULL
    version_latest_valid=False,
    api_json="application/json",
    foreign_scheme_ignored=True,
    default_page_size=20,
    max_page_size=100,
    user_roles=True,
    group_parents=True,
    group_name_taken="Group with this name already exists.",
    application_icon_urls=True,
    slug_message="Enter a valid \u201cslug\u201d consisting of letters, numbers, underscores or hyphens.",
    set_key_validates=True,
    keypair_key_type=True,
    flow_background_url=True,
    challenge_additions=True,
    brand_match="subdomain",
    current_brand_themed=True,
    authorize_login="plan",
    jwt_jti=True,
    kid="sha512",
    html_page="error_page_2026.2.html",
)
DEFAULT = V2025_10
VERSIONS: dict[str, AuthentikVersion] = {v.name: v for v in (V2025_10, V2026_2)}


def get(name: str | AuthentikVersion) -> AuthentikVersion:
    """The version called ``name`` ("2025.10" or "2026.2"); ValueError for anything else.

    An AuthentikVersion is returned as it is: e.g. ``dataclasses.replace(V2026_2, client="2026.8.5")``
    plays 2026.2 but checks bodies against a newer authentik-client (listed in
    requirements-contracts.txt).
    """
    if isinstance(name, AuthentikVersion):
        return name
    try:
        return VERSIONS[name]
    except KeyError:
        raise ValueError(f"unknown authentik version {name!r}; known: {', '.join(VERSIONS)}") from None
