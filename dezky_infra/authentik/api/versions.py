"""Which authentik release a provider talks to, what that release can do and how it spells it.

authentik's API changes between releases, and a team that upgrades its pinned image must not lose its
setup. Every difference the project meets is one field of ``Dialect``; ``DIALECTS`` lists the dialects
by the first release that speaks them, so the resources and ``verify`` ask the dialect (``group_parents``,
``slug_max_length``, ...) and never compare versions themselves.

Where the facts come from: the transcripts recorded from real authentik 2025.10.4 and 2026.2.2 servers
(``authentik-2026.2/README.md`` lists the differences), and for the release each change came with, the
official ``authentik-client`` packages (the API schema of every release): 2025.12.0's client is the first
with a group's ``parents`` list, no 50-character slug limit and a keypair's ``key_type``; 2024.10's is
the first whose OAuth2 provider has the ``redirect_uris`` list and a required ``invalidation_flow``
(earlier releases lack what the providers send). The login redirect changed in 2025.12 too (authentik's
release notes); the brand matching rule was recorded on 2026.2.2 only and is assumed to have changed
with the rest.

The release is learned once per process and authentik (``learn``): ``GET admin/version/``
(``version_current``, any authenticated user; transcript 32), or, for a caller without credentials, the
keys of the anonymous ``core/brands/current/`` (2025.12 added ``branding_logo_themed_urls``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from dezky_infra.authentik.api.errors import AuthentikAuthError, AuthentikError
from dezky_infra.authentik.api.once import OncePerKey

if TYPE_CHECKING:
    from dezky_infra.authentik.api.client import AuthentikClient

_RELEASE = re.compile(r"^(\d{4})\.(\d{1,2})(?:\.(\d+))?")


@dataclass(frozen=True, order=True)
class Release:
    """An authentik release number: ``2025.10.4`` is year 2025, minor 10, patch 4."""

    year: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> Release | None:
        """The release a version string names (``2026.2.2``, ``2025.10.0-rc1``), None if it names none."""
        match = _RELEASE.match(text.strip())
        if match is None:
            return None
        return cls(int(match[1]), int(match[2]), int(match[3] or 0))

    @property
    def line(self) -> str:
        """The release line without the patch (``2025.10``)."""
        return f"{self.year}.{self.minor}"

    def __str__(self) -> str:
        return f"{self.line}.{self.patch}"


@dataclass(frozen=True)
class Dialect:
    """What one range of authentik releases can do and how it spells it (see ``DIALECTS``)."""

    since: Release
    """The first release that speaks this dialect."""
    group_parents: Literal["parent", "parents"]
    """How a group names its parents: one ``parent`` pk (or null), or a ``parents`` list of pks. A
    ``parent`` sent to a release that has ``parents`` is silently ignored (2026.2 transcript 17)."""
    slug_max_length: int | None
    """The longest application slug authentik accepts (None: no limit; 2026.2 transcript 14)."""
    login_redirect: str
    """Where authorize sends a browser without a session (the path before the query): the default
    login flow's redirect, which leads on to ``/if/flow/<slug>/`` (2025.10 transcript 26), or that flow
    interface itself with the authorize query and ``next`` (2026.2 transcript 26)."""
    brand_match: Literal["suffix", "subdomain"]
    """How a request's Host picks a brand (longest domain first, port included): any Host that ends
    with the domain (2025.10 transcript 31), or only the domain itself and its subdomains (2026.2)."""

    def brand_serves(self, domain: str, host: str) -> bool:
        """True when a brand on ``domain`` matches a request with this ``Host`` (case-insensitive)."""
        domain, host = domain.lower(), host.lower()
        if self.brand_match == "suffix":
            return host.endswith(domain)
        return host == domain or host.endswith(f".{domain}")

    def brand_for(self, domains: Iterable[str], host: str) -> str | None:
        """The domain of the brand that serves ``host`` among brands on ``domains`` (longest first), or
        None when none does (authentik then serves the default brand)."""
        matching = [domain for domain in domains if self.brand_serves(domain, host)]
        return max(matching, key=len) if matching else None

    @property
    def releases(self) -> str:
        """The releases that speak this dialect, for messages (``authentik before 2025.12``)."""
        later = [dialect.since for dialect in DIALECTS if dialect.since > self.since]
        return f"authentik before {later[0].line}" if later else f"authentik {self.since.line} and later"


MINIMUM: Final = Release(2024, 10)
"""The oldest release with what the providers need (a provider's ``redirect_uris`` list and
``invalidation_flow``); an older one fails the preview."""
TESTED: Final = (Release(2025, 10), Release(2026, 2))
"""The oldest and newest release lines the suites run against (each with its recorded transcripts)."""
DIALECTS: Final = (
    Dialect(
        since=MINIMUM,
        group_parents="parent",
        slug_max_length=50,
        login_redirect="/flows/-/default/authentication/",
        brand_match="suffix",
    ),
    Dialect(
        since=Release(2025, 12),
        group_parents="parents",
        slug_max_length=None,
        login_redirect="/if/flow/",
        brand_match="subdomain",
    ),
)


class UnsupportedVersion(AuthentikError):
    """authentik is older than ``MINIMUM``: the providers cannot work with it."""


@dataclass(frozen=True)
class Server:
    """One authentik as learned: its release (None when only a fingerprint told it) and its dialect."""

    release: Release | None
    dialect: Dialect
    name: str
    """``authentik 2026.2.2``, or what a fingerprint tells (``authentik 2025.12 or later``), for messages."""

    def tested(self) -> bool:
        """True when the release line is within ``TESTED`` (inclusive)."""
        if self.release is None:
            return True
        line = Release(self.release.year, self.release.minor)
        return TESTED[0] <= line <= TESTED[1]

    def warning(self) -> str | None:
        """One line for a release outside the tested range (None inside it)."""
        if self.tested():
            return None
        return (
            f"{self.name} is outside the range dezky-infra is tested with "
            f"({TESTED[0].line} to {TESTED[1].line}); carrying on with the {self.dialect.since.line} "
            "dialect: check the result with `python -m dezky_infra verify`"
        )


def dialect_for(release: Release) -> Dialect:
    """The dialect ``release`` speaks; ``UnsupportedVersion`` for a release older than ``MINIMUM``."""
    if release < MINIMUM:
        raise UnsupportedVersion(
            f"authentik {release} is too old for dezky-infra: it needs {MINIMUM.line} or later (OAuth2 "
            "providers with a redirect URI list and an invalidation flow); upgrade authentik"
        )
    return [dialect for dialect in DIALECTS if dialect.since <= release][-1]


_learned: OncePerKey[str, Server] = OncePerKey()
"""The authentik at each API root, as this process learned it (resources that start together ask once)."""


def learn(
    client: AuthentikClient, warn: Callable[[str], None] | None = None, *, anonymous: bool = False
) -> Server:
    """The authentik ``client`` talks to, asked once per process and API root.

    Authenticated: ``admin/version/``; authentik refusing the credentials raises, so a provider can log
    in and ask again. With ``anonymous``, a refusal (or no credentials at all) falls back to the
    anonymous ``core/brands/current/``, which tells the dialect by its keys (no release number).
    ``warn`` gets ``Server.warning()`` once, when the release is first learned and is untested.
    """

    def first_time() -> Server:
        server = _ask(client, anonymous)
        message = server.warning()
        if message is not None and warn is not None:
            warn(message)
        return server

    return _learned.get(client.settings.api_root, first_time)


def _ask(client: AuthentikClient, anonymous: bool) -> Server:
    """The authentik behind ``client``, asked now (see ``learn``)."""
    try:
        text = str(client.get("admin/version/")["version_current"])
    except AuthentikAuthError:
        if not anonymous:
            raise
        client.use_session()  # no Authorization header: the anonymous view, not a refused token
        return _fingerprint(client)
    release = Release.parse(text)
    if release is None:
        raise AuthentikError(f"authentik at {client.settings.url} reports an unknown version {text!r}")
    return Server(release, dialect_for(release), f"authentik {release}")


def _fingerprint(client: AuthentikClient) -> Server:
    """The dialect from the anonymous current brand (transcript 32): 2025.12 added themed logo URLs."""
    current = client.send("GET", "core/brands/current/")
    newer = current.status_code == 200 and "branding_logo_themed_urls" in current.json()
    if newer:
        return Server(None, DIALECTS[-1], f"authentik {DIALECTS[-1].since.line} or later")
    return Server(None, DIALECTS[0], f"authentik before {DIALECTS[-1].since.line}")


def forget() -> None:
    """Drop what this process learned (a test switched the authentik behind a URL)."""
    _learned.clear()
