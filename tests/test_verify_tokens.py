"""The checks of ``verify`` that judge what authentik hands back (JWKS, id_token, userinfo, the wrong
secret's refusal), failing the right way on answers a healthy authentik never gives: a token signed
with another key, for another audience, issuer or nonce, expired; a JWKS without the signing key;
userinfo about someone else; a token endpoint that does not refuse a wrong secret.

The local server cannot be made to give these, so these run the checks on answers made here
with a key of this module's own (RS256, as authentik signs); the whole flow against the server is
``tests/test_verify.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from dezky_infra.authentik.api import versions
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.cli.verify.consumer import ConsumerView
from dezky_infra.cli.verify.oidc import OidcFlow
from dezky_infra.cli.verify.report import CheckFailed
from dezky_infra.contract import OidcClientInfo

ISSUER = "https://auth.dezky.local/application/o/dezky-portal/"
JWKS_URI = f"{ISSUER}jwks/"
USERINFO = "https://auth.dezky.local/application/o/userinfo/"
DISCOVERY = {"jwks_uri": JWKS_URI, "id_token_signing_alg_values_supported": ["RS256"]}
VIEW = ConsumerView(client_id="dezky-portal", issuer=ISSUER, secret=None)
NONCE = "nonce-sent-with-the-authorize-request"
KID = "4a1e2b"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = rsa_key()
OTHER_KEY = rsa_key()


def jwks_body(key: rsa.RSAPrivateKey = SIGNING_KEY, kid: str = KID) -> dict[str, Any]:
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]}


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "sub": "akadmin-sub", "aud": "dezky-portal", "exp": now + 300, "iat": now}
    base["nonce"] = NONCE
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


def id_token(key: rsa.RSAPrivateKey = SIGNING_KEY, kid: str = KID, **changes: Any) -> str:
    return jwt.encode(claims(**changes), key, algorithm="RS256", headers={"kid": kid})


SERVER = versions.Server(versions.Release(2025, 10, 4), versions.DIALECTS[0], "authentik 2025.10.4")
"""The authentik the answers pretend to come from (the checks here do not depend on its release)."""


def verifier() -> OidcFlow:
    return OidcFlow(ConnectionSettings(url="https://auth.dezky.local"), SERVER)


def answering(
    monkeypatch: pytest.MonkeyPatch, body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> OidcFlow:
    """A flow whose HTTP calls all get this answer (what the check would read from authentik)."""
    answers = verifier()

    def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
        content = {"content": b""} if body is None else {"json": body}
        return httpx.Response(status, headers=headers, request=httpx.Request(method, url), **content)

    monkeypatch.setattr(answers, "call", call)
    return answers


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The keys the JWKS check read from a JWKS holding the signing key."""
    return answering(monkeypatch, jwks_body()).jwks(JWKS_URI)


def check(verifier_keys: dict[str, Any], token: str) -> dict[str, Any]:
    return verifier().check_id_token(token, verifier_keys, DISCOVERY, VIEW, NONCE)


def test_a_token_as_authentik_signs_it_passes(keys: dict[str, Any]) -> None:
    assert check(keys, id_token())["sub"] == "akadmin-sub"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: id_token(kid="rotated"), "signed with key 'rotated', which the JWKS at " + JWKS_URI),
        (lambda: id_token(key=OTHER_KEY), "the id_token does not verify: InvalidSignatureError"),
        (
            lambda: id_token(iss="http://authentik-server:9000/application/o/dezky-portal/"),
            "Issuer URL does not match: the token's iss is 'http://authentik-server:9000/application/o/"
            f"dezky-portal/', the consumer expects '{ISSUER}'",
        ),
        (lambda: id_token(aud="ocis-web"), "the id_token's aud is not dezky-portal"),
        (lambda: id_token(exp=int(time.time()) - 600), "the id_token had expired on arrival"),
        (lambda: id_token(nonce="a-replayed-nonce"), "another nonce than the authorize request sent"),
        (lambda: id_token(nonce=None), "another nonce than the authorize request sent"),
        (lambda: id_token(sub=None), "the id_token does not verify: MissingRequiredClaimError"),
        (lambda: "not.a-jwt", "the id_token is not a JWT"),
    ],
    ids=[
        "unknown kid",
        "other key",
        "issuer",
        "audience",
        "expired",
        "nonce",
        "no nonce",
        "no sub",
        "no JWT",
    ],
)
def test_a_wrong_id_token_fails_naming_what_is_wrong(
    keys: dict[str, Any], make: Callable[[], str], message: str
) -> None:
    with pytest.raises(CheckFailed) as failed:
        check(keys, make())
    assert message in str(failed.value)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"keys": []}, "holds no usable key"),
        (
            {"keys": [{k: v for k, v in jwks_body()["keys"][0].items() if k != "kid"}]},
            "holds no key with a kid",
        ),
    ],
    ids=["empty", "no kid"],
)
def test_a_jwks_without_a_usable_signing_key_fails(
    monkeypatch: pytest.MonkeyPatch, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(CheckFailed, match=message):
        answering(monkeypatch, body).jwks(JWKS_URI)


def test_userinfo_about_another_subject_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    got = {"access_token": "access", "sub": "akadmin-sub"}
    verifier = answering(monkeypatch, {"sub": "someone-else", "preferred_username": "mallory"})
    with pytest.raises(CheckFailed, match="another subject than the id_token's"):
        verifier.userinfo(USERINFO, got["access_token"], got["sub"])
    fine = answering(monkeypatch, {"sub": "akadmin-sub", "preferred_username": "akadmin"})
    assert fine.userinfo(USERINFO, got["access_token"], got["sub"]) == "akadmin"


def test_userinfo_refusing_the_access_token_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """authentik refuses with 401, an empty body and WWW-Authenticate (transcripts 25+)."""
    refusing = answering(monkeypatch, None, 401, {"WWW-Authenticate": 'error="invalid_token"'})
    with pytest.raises(CheckFailed, match=f"userinfo at {USERINFO} answered HTTP 401"):
        refusing.userinfo(USERINFO, "access", "akadmin-sub")


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (400, {"error": "invalid_grant", "error_description": "x", "request_id": "r"}, "invalid_grant"),
        (200, {"access_token": "a", "token_type": "Bearer"}, "HTTP 200"),
    ],
    ids=["secret not checked first", "accepted"],
)
def test_a_token_endpoint_that_does_not_refuse_a_wrong_secret_fails(
    monkeypatch: pytest.MonkeyPatch, status: int, body: dict[str, Any], message: str
) -> None:
    """authentik checks client authentication before the code: anything but invalid_client is wrong."""
    info = OidcClientInfo(
        client_id="dezky-portal",
        issuer=ISSUER,
        redirect_uris=("https://app.dezky.local/api/auth/callback",),
        public=False,
        env_prefix="PORTAL_OIDC",
    )
    discovery = {**DISCOVERY, "token_endpoint": "https://auth.dezky.local/application/o/token/"}
    lax = answering(monkeypatch, body, status)
    with pytest.raises(CheckFailed, match=f"answered {message} to a wrong secret, not invalid_client"):
        lax.wrong_secret(discovery, info, VIEW)
    refusing = answering(
        monkeypatch, {"error": "invalid_client", "error_description": "x", "request_id": "r"}, 400
    )
    assert refusing.wrong_secret(discovery, info, VIEW) == "invalid_client"
