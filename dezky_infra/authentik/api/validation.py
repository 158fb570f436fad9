"""Checks of input values that authentik itself would reject, run at preview so nothing half-applies.

Each rule mirrors an authentik 2025.10 validator (transcripts 10 and 14) and words its message as the
fix. They are plain functions so the resource specs stay declarative.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SLUG_PATTERN = re.compile(r"[-a-zA-Z0-9_]+")
# Application slugs that collide with authentik's OAuth2 endpoints under /application/o/.
RESERVED_SLUGS = frozenset({"authorize", "token", "device", "userinfo", "introspect", "revoke"})
DURATION_UNITS = frozenset({"weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds"})


def check_slug(slug: str) -> str:
    """An application slug authentik accepts: letters, digits, ``-`` and ``_``, not reserved. (How long
    it may be depends on authentik's release: ``versions.Dialect.slug_max_length``.)"""
    if not SLUG_PATTERN.fullmatch(slug):
        raise ValueError(f"slug {slug!r} may only contain letters, digits, '-' and '_' (e.g. 'dezky-portal')")
    if slug in RESERVED_SLUGS:
        raise ValueError(f"slug {slug!r} is reserved by authentik's OAuth2 endpoints; choose another")
    return slug


HOST_NAME_PATTERN = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+"
)
"""A lowercase DNS name of at least two labels; the one pattern for host names (use ``fullmatch``)."""


def check_host_name(name: str) -> str:
    """A lowercase DNS host name (``acme.auth.dezky.local``): what a brand's domain must be for the Host
    header to pick it. authentik validates nothing here (transcript 30: spaces, a scheme, a port, ``*.``
    are all accepted, and uniqueness is case-sensitive), so this check does that work."""
    if not HOST_NAME_PATTERN.fullmatch(name):
        raise _not_a_host_name(name)
    return name


def _not_a_host_name(name: str) -> ValueError:
    return ValueError(
        f"{name!r} is not a lowercase host name such as 'acme.auth.dezky.local' (labels of a-z, 0-9 "
        "and '-', at most 63 characters each)"
    )


def check_brand_domain(domain: str) -> str:
    """A brand's domain: a lowercase host name, with ``:port`` when browsers reach it on a port.
    authentik compares the whole Host header, port included (transcript 31: ``acme.auth.dezky.local:8443``
    matches no port-less domain), so a stack served on a port needs its brands' domains to carry it."""
    host, colon, port = domain.partition(":")
    if not HOST_NAME_PATTERN.fullmatch(host):
        raise _not_a_host_name(domain)
    if colon and not (port.isdigit() and port[0] != "0" and int(port) < 65536):
        raise ValueError(
            f"{domain!r} has no valid port after ':' (1-65535, e.g. 'acme.auth.dezky.local:8443')"
        )
    return domain


def check_absolute_url(url: str, example: str = "https://app.dezky.local/cb") -> str:
    """An absolute http(s) URL with a host and a valid port, without credentials in it, as a strict
    redirect URI, a launch URL or authentik's own URL must be; ``example`` shows the fix."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL; write it like {example!r}")
    if any(char.isspace() for char in url):
        raise ValueError(f"{url!r} contains white space")
    if "@" in parts.netloc:
        raise ValueError(
            f"{parts.scheme}://{parts.hostname}/... carries a user name or password before '@': no "
            "credentials go into a URL; write it without them"
        )
    try:
        parts.port  # noqa: B018 - reading it is the check: urllib raises for a port out of range
    except ValueError:
        raise ValueError(f"{url!r} has no valid port after ':' (1-65535)") from None
    return url


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def check_redirect_url(url: str) -> str:
    """A strict redirect URI: absolute and https (plain http only on a loopback host, as OAuth 2.1 allows),
    without a fragment (RFC 6749 3.1.2) and without wildcards (a strict URI is compared exactly)."""
    check_absolute_url(url)
    parts = urlsplit(url)
    if "#" in url:
        raise ValueError(
            f"{url!r} has a fragment ('#...'), which a redirect URI must not have (RFC 6749 3.1.2)"
        )
    if "*" in parts.netloc or "*" in parts.path:
        raise ValueError(
            f"{url!r} has a wildcard, but a strict redirect URI is compared exactly; list each URI, or "
            "give a regular expression with matching_mode 'regex'"
        )
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(
            f"{url!r} is not https; authorization codes must not travel in clear text "
            f"(write 'https://{url.split('://', 1)[1]}'; plain http is allowed only for localhost)"
        )
    return url


def check_regex(pattern: str) -> str:
    """A redirect URI pattern that compiles (authentik compiles it with Python's ``re`` too)."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression ({exc})") from None
    return pattern


def check_duration(value: str) -> str:
    """authentik's duration syntax: ``unit=number`` parts joined by ``;`` (``hours=1;minutes=30``)."""
    for part in value.split(";"):
        unit, _, amount = part.partition("=")
        if unit not in DURATION_UNITS or not re.fullmatch(r"\d+(\.\d+)?", amount):
            raise ValueError(
                f"{value!r} is not an authentik duration; write e.g. 'minutes=1' or 'hours=1;minutes=30' "
                f"(units: {', '.join(sorted(DURATION_UNITS))})"
            )
    return value
