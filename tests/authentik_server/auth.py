"""authentik's API authentication: TokenAuthentication, then DRF SessionAuthentication with CSRF.

Every failure is 403 (the first authentication class declares no WWW-Authenticate header, so DRF
never answers 401). CSRF follows Django's CsrfViewMiddleware with authentik's settings: cookie
``authentik_csrf``, header ``X-authentik-CSRF``.
"""

from __future__ import annotations

import secrets
import string
from urllib.parse import urlsplit

from tests.authentik_server.drf import ApiError
from tests.authentik_server.state import Database, Session, User, now
from tests.authentik_server.web import SAFE_METHODS, Request

SESSION_COOKIE = "authentik_session"
CSRF_COOKIE = "authentik_csrf"
DEVICE_COOKIE = "authentik_device"
CSRF_HEADER = "X-authentik-CSRF"
_CSRF_HEADER_TITLE = "X-Authentik-Csrf"  # how Django names the header in its messages
_CSRF_CHARS = string.ascii_letters + string.digits
_CSRF_SECRET_LENGTH = 32
NOT_PROVIDED = "Authentication credentials were not provided."
TOKEN_INVALID = "Token invalid/expired"
NO_PERMISSION = "You do not have permission to perform this action."


def _forbidden(detail: str) -> ApiError:
    return ApiError(403, {"detail": detail})


def _bearer_key(request: Request) -> str | None:
    """authentik's validate_auth(): no space means no credentials; other schemes are refused
    (2025.10) or count as no credentials either (2026.2, versions.py)."""
    credentials = (request.headers.get("Authorization") or "").strip()
    if not credentials or " " not in credentials:
        return None
    scheme, _, key = credentials.partition(" ")
    if scheme.lower() != "bearer":
        if request.version.foreign_scheme_ignored:
            return None
        raise _forbidden("Unsupported authentication type")
    if not key.strip():
        raise _forbidden("Malformed header")
    return key.strip()


def load_session(request: Request, db: Database) -> None:
    """Attach the session named by the cookie, or note that the cookie is stale."""
    key = request.cookies.get(SESSION_COOKIE)
    if key is None:
        return
    session = db.sessions.get(key)
    if session is None or session.expires <= now():
        request.stale_session_cookie = True
        return
    request.session = session


def authenticate(request: Request, db: Database) -> None:
    """Run the authentication classes; sets request.user (None = anonymous) or raises 403."""
    key = _bearer_key(request)
    if key is not None:
        moment = now()
        token = next((t for t in db.tokens.values() if t.key == key and t.valid_for_api(moment)), None)
        user = db.users.get(token.user) if token else None
        if user is None or not user.is_active:
            raise _forbidden(TOKEN_INVALID)
        request.user = user
        return
    session = request.session
    if session is None or session.user is None:
        return
    user = db.users.get(session.user)
    if user is None or not user.is_active:
        return
    request.user = user
    request.via_session = True
    session.last_used = now()
    if request.method not in SAFE_METHODS:
        _enforce_csrf(request)


def ensure_session(request: Request, db: Database) -> Session:
    """The request's session, creating an anonymous one first (Django saves it on first write)."""
    if request.session is None:
        session = Session(
            key=secrets.token_urlsafe(48),
            last_ip=request.client_ip,
            last_user_agent=request.headers.get("User-Agent", ""),
        )
        db.sessions[session.key] = session
        request.session = session
    return request.session


def session_user(request: Request, db: Database) -> User | None:
    """The active user the session cookie is logged in as (plain Django views: no token auth)."""
    session = request.session
    if session is None or session.user is None:
        return None
    user = db.users.get(session.user)
    return user if user is not None and user.is_active else None


def require_user(request: Request, db: Database, *, superuser: bool = True) -> None:
    """IsAuthenticated, plus (``superuser``) object permissions, which only superusers hold here."""
    if request.user is None:
        raise _forbidden(NOT_PROVIDED)
    if superuser and not db.is_superuser(request.user):
        raise _forbidden(NO_PERMISSION)


def new_csrf_secret() -> str:
    """A fresh CSRF cookie value (Django's 32-character secret)."""
    return "".join(secrets.choice(_CSRF_CHARS) for _ in range(_CSRF_SECRET_LENGTH))


def _format_problem(token: str) -> str | None:
    if len(token) not in (_CSRF_SECRET_LENGTH, 2 * _CSRF_SECRET_LENGTH):
        return "has incorrect length"
    if any(char not in _CSRF_CHARS for char in token):
        return "has invalid characters"
    return None


def _unmask(token: str) -> str:
    """Django's _unmask_cipher_token for 64-character masked tokens."""
    if len(token) == _CSRF_SECRET_LENGTH:
        return token
    mask, cipher = token[:_CSRF_SECRET_LENGTH], token[_CSRF_SECRET_LENGTH:]
    pairs = zip((_CSRF_CHARS.index(c) for c in cipher), (_CSRF_CHARS.index(m) for m in mask), strict=True)
    return "".join(_CSRF_CHARS[x - y] for x, y in pairs)


def _check_referer(request: Request) -> None:
    referer = request.headers.get("Referer")
    if referer is None:
        raise _csrf_failed("Referer checking failed - no Referer.")
    try:
        parts = urlsplit(referer)
    except ValueError:
        raise _csrf_failed("Referer checking failed - Referer is malformed.") from None
    if not parts.scheme or not parts.netloc:
        raise _csrf_failed("Referer checking failed - Referer is malformed.")
    if parts.scheme != "https":
        raise _csrf_failed("Referer checking failed - Referer is insecure while host is secure.")
    if parts.netloc != request.headers.get("Host", ""):
        raise _csrf_failed(f"Referer checking failed - {referer} does not match any trusted origins.")


def _csrf_failed(reason: str) -> ApiError:
    return _forbidden(f"CSRF Failed: {reason}")


def _enforce_csrf(request: Request) -> None:
    """Django's CsrfViewMiddleware.process_view as DRF's SessionAuthentication runs it."""
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin != request.base_url:
            raise _csrf_failed(f"Origin checking failed - {origin} does not match any trusted origins.")
    elif request.secure:
        _check_referer(request)
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie is None:
        raise _csrf_failed("CSRF cookie not set.")
    problem = _format_problem(cookie)
    if problem is not None:
        raise _csrf_failed(f"CSRF cookie {problem}.")
    header = request.headers.get(CSRF_HEADER)
    if header is None:
        raise _csrf_failed("CSRF token missing.")
    problem = _format_problem(header)
    if problem is not None:
        raise _csrf_failed(f"CSRF token from the '{_CSRF_HEADER_TITLE}' HTTP header {problem}.")
    if not secrets.compare_digest(_unmask(header), _unmask(cookie)):
        raise _csrf_failed(f"CSRF token from the '{_CSRF_HEADER_TITLE}' HTTP header incorrect.")


def logged_in_session(db: Database, session: Session, user_pk: int) -> None:
    """Mark a flow session as authenticated (django.contrib.auth.login)."""
    session.user = user_pk
    session.authenticated_at = db.clock.now()
    session.last_used = now()
    session.touch()
    user = db.users[user_pk]
    user.last_login = now()
