"""Translation of server-generated strings into the locale of the brand a request's Host picked.

authentik's BrandMiddleware activates ``attributes.settings.locale`` of the matched brand for the
whole request, so Django's gettext translates every message the request produces: DRF's validation
errors (30-brands [58]: "Dieses Feld ist erforderlich."), model ``verbose_name`` strings in API bodies
(31-brands-host-oidc-flows [35]) and flow-executor texts (31 [25]: primary_action "Anmelden").

Like ``gettext_lazy``, a translatable string is marked where it is produced (``Message``) and
translated when the response is rendered (``translate``); user data is never a Message, so a group
that happens to be called "Log in" stays as it is. The catalog holds exactly the strings the
transcripts show translated, each citing its exchange; every other Message stays English. To add a
translation, mark the string where it is produced and add the recorded text here.
"""

from __future__ import annotations

from typing import Any


class Message(str):
    """A server-generated English text that gettext would translate (Django's msgid)."""


# locale -> {English msgid: translation}, only as recorded from authentik 2025.10.4
CATALOG: dict[str, dict[str, str]] = {
    "de": {
        "This field is required.": "Dieses Feld ist erforderlich.",  # 30-brands [58]
        "OAuth2/OpenID Provider": "OAuth2/OpenID Anbieter",  # 31-brands-host-oidc-flows [35]
        "OAuth2/OpenID Providers": "OAuth2/OpenID Anbietern",  # 31-brands-host-oidc-flows [35]
        "Log in": "Anmelden",  # 31-brands-host-oidc-flows [25]
    },
}


def catalog(locale: str) -> dict[str, str]:
    """The catalog for a locale as Django resolves it: "de-DE"/"de_DE" fall back to "de"; none -> {}."""
    tag = locale.strip().lower().replace("_", "-")
    if not tag:
        return {}
    return CATALOG.get(tag) or CATALOG.get(tag.split("-")[0], {})


def translate(payload: Any, locale: str) -> Any:
    """``payload`` with every Message replaced by its translation (a fresh structure; no-op for "")."""
    entries = catalog(locale)
    if not entries:
        return payload
    return _walk(payload, entries)


def _walk(value: Any, entries: dict[str, str]) -> Any:
    if isinstance(value, Message):
        return entries.get(value, str(value))
    if isinstance(value, dict):
        return {k: _walk(v, entries) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, entries) for v in value]
    return value
