"""The seeded "authentik Self-signed Certificate" keypair and JWT signing with it.

authentik signs OIDC tokens with the provider's ``signing_key`` (RS256, JOSE header
``{alg, kid, typ}``) and publishes the public half at ``/application/o/<slug>/jwks/``
(25-oidc-discovery-jwks). The ``kid`` is the md5 hex of the keypair's PEM private key on 2025.10 and
the urlsafe base64 (no padding, 86 characters) of its SHA-512 for a keypair created on 2026.2 (the
version decides, ``AuthentikVersion.kid``); the JWK
carries the certificate as ``x5c`` (standard base64 DER) and its SHA-1/SHA-256 thumbprints as
``x5t``/``x5t#S256`` (base64url, no padding). A provider without a signing key signs HS256 with its
client secret (discovery then advertises HS256).

Like authentik's bootstrap, the key is RSA 4096 with a one-year self-signed certificate. Generating it
takes a second or so, so it is made lazily, once per process, and shared by every server instance and
every wipe() (the capture's keypair also survives everything its API calls did). It lives only in
memory: nothing is written to disk.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
import uuid
from binascii import hexlify
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from jwt.utils import to_base64url_uint

KEYPAIR_NAME = "authentik Self-signed Certificate"
_KEY_SIZE = 4096
_VALIDITY = dt.timedelta(days=365)
_lock = threading.Lock()
_cache: dict[str, SigningKey] = {}  # "key" -> the process-wide keypair


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class SigningKey:
    """An RSA private key, its PEM text and its self-signed certificate."""

    private_key: rsa.RSAPrivateKey
    private_pem: str
    certificate: x509.Certificate

    def kid(self, form: str) -> str:
        """CertificateKeyPair.kid: "md5" hex (2025.10) or "sha512" urlsafe base64 (2026.2) of the PEM key."""
        data = self.private_pem.encode("utf-8")
        if form == "md5":
            return hashlib.md5(data, usedforsecurity=False).hexdigest()
        if form == "sha512":
            return _b64url(hashlib.sha512(data).digest())
        raise ValueError(f"unknown kid form {form!r}")

    def jwk(self, kid: str) -> dict[str, Any]:
        """The JWKS entry, keys in authentik's order (25-oidc-discovery-jwks)."""
        numbers = self.private_key.public_key().public_numbers()
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return {
            "alg": "RS256",
            "kid": kid,
            "kty": "RSA",
            "use": "sig",
            "n": to_base64url_uint(numbers.n).decode("ascii"),
            "e": to_base64url_uint(numbers.e).decode("ascii"),
            "x5c": [base64.b64encode(der).decode("ascii")],
            "x5t": _b64url(hashlib.sha1(der, usedforsecurity=False).digest()),
            "x5t#S256": _b64url(hashlib.sha256(der).digest()),
        }

    def keypair_facts(self) -> dict[str, Any]:
        """The CertificateKeyPairSerializer fields derived from the certificate."""
        return {
            "fingerprint_sha256": hexlify(self.certificate.fingerprint(hashes.SHA256()), ":").decode(),
            "fingerprint_sha1": hexlify(
                self.certificate.fingerprint(hashes.SHA1()),  # noqa: S303 - the API shows it
                ":",
            ).decode(),
            "cert_expiry": self.certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "cert_subject": self.certificate.subject.rfc4514_string(),
        }

    @property
    def certificate_pem(self) -> str:
        """CertificateKeyPair.certificate_data: the certificate in PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _generate() -> SigningKey:
    """authentik's CertificateBuilder for the bootstrap self-signed keypair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZE)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, KEYPAIR_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "authentik"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Self-signed"),
        ]
    )
    today = dt.datetime.now(dt.UTC).replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .not_valid_before(today - dt.timedelta(days=1))
        .not_valid_after(today + _VALIDITY)
        .serial_number(uuid.uuid4().int)
        .public_key(key.public_key())
        .sign(private_key=key, algorithm=hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")
    return SigningKey(private_key=key, private_pem=pem, certificate=certificate)


def signing_key() -> SigningKey:
    """The process-wide keypair (generated on first use; thread-safe, so every caller sees one key)."""
    with _lock:
        if "key" not in _cache:
            _cache["key"] = _generate()
        return _cache["key"]


def encode(claims: dict[str, Any], *, rsa_signed: bool, client_secret: str, kid_form: str) -> str:
    """OAuth2Provider.encode(): RS256 with the keypair (``kid`` header), else HS256 with the secret.

    PyJWT sorts the JOSE header (alg, kid, typ, as recorded) and keeps the claims in dict order.
    """
    if rsa_signed:
        key = signing_key()
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid(kid_form)})
    return jwt.encode(claims, client_secret, algorithm="HS256")
