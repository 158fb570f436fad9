"""crypto/certificatekeypairs/ on both versions: fields, filters, detail, and the PEM views.

2025.10.4 shows the key's type as ``private_key_type`` and honours ?include_details=false; 2026.2.2
shows ``key_type``, filters by ?key_type= and ignores include_details (34, 05). view_certificate/
and view_private_key/ answer {"data": PEM}, or the PEM itself as an attachment with ?download
(authentik's crypto/api.py; a Terraform client reads them).
"""

from __future__ import annotations

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.authentik_server import oidc_keys
from tests.authentik_server.server import AuthentikServer

URL = "/api/v3/crypto/certificatekeypairs/"


def _keypair(api: httpx.Client) -> dict[str, object]:
    results = api.get(URL, params={"name": oidc_keys.KEYPAIR_NAME}).json()["results"]
    assert len(results) == 1
    keypair: dict[str, object] = results[0]
    return keypair


def test_fields_and_detail(any_server: AuthentikServer, any_api: httpx.Client) -> None:
    keypair = _keypair(any_api)
    kind = "key_type" if any_server.version.keypair_key_type else "private_key_type"
    assert list(keypair) == [
        "pk",
        "name",
        "fingerprint_sha256",
        "fingerprint_sha1",
        "cert_expiry",
        "cert_subject",
        "private_key_available",
        kind,
        "certificate_download_url",
        "private_key_download_url",
        "managed",
    ]
    assert keypair[kind] == "rsa"
    assert keypair["certificate_download_url"] == f"{URL}{keypair['pk']}/view_certificate/?download"
    assert any_api.get(f"{URL}{keypair['pk']}/").json() == keypair  # 34 [1]: the same object
    missing = any_api.get(f"{URL}5eed0000-0000-0000-0000-000000000001/")
    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": "No CertificateKeyPair matches the given query."},
    )
    assert any_api.get(f"{URL}not-a-uuid/").json() == {"detail": "Not found."}


def test_filters(any_server: AuthentikServer, any_api: httpx.Client) -> None:
    count = {}
    for query in ("key_type=rsa", "key_type=ec", "key_type=rsa&key_type=ec", "has_key=true"):
        count[query] = any_api.get(f"{URL}?{query}").json()["pagination"]["count"]
    bogus = any_api.get(URL, params={"key_type": "bogus"})
    details = any_api.get(URL, params={"include_details": "false"}).json()["results"][0]
    if any_server.version.keypair_key_type:  # 34 [4]-[7]
        assert count == {
            "key_type=rsa": 1,
            "key_type=ec": 0,
            "key_type=rsa&key_type=ec": 1,
            "has_key=true": 1,
        }
        assert (bogus.status_code, bogus.json()) == (
            400,
            {"key_type": ["Select a valid choice. bogus is not one of the available choices."]},
        )
        assert details == _keypair(any_api)  # include_details is gone: full objects
    else:  # ?key_type= is no filter of 2025.10 (ignored); include_details=false empties the details
        assert set(count.values()) == {1} and bogus.status_code == 200
        assert [details[k] for k in ("fingerprint_sha256", "cert_expiry", "private_key_type")] == [None] * 3


@pytest.mark.parametrize("part", ["certificate", "private_key"])
def test_pem_views(any_server: AuthentikServer, any_api: httpx.Client, part: str) -> None:
    keypair = _keypair(any_api)
    view = f"{URL}{keypair['pk']}/view_{part}/"
    shown = any_api.get(view)
    assert shown.status_code == 200 and list(shown.json()) == ["data"]
    assert shown.headers["Content-Type"] == any_server.version.api_json
    pem = shown.json()["data"]
    download = any_api.get(view + "?download")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/x-pem-file"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{keypair["name"]}_{part}.pem"'
    assert download.text == pem
    if part == "certificate":
        certificate = x509.load_pem_x509_certificate(pem.encode())
        fingerprint = certificate.fingerprint(hashes.SHA256()).hex(":")
        assert fingerprint == keypair["fingerprint_sha256"]
    else:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        public = oidc_keys.signing_key().certificate.public_key()
        assert isinstance(public, rsa.RSAPublicKey)
        assert key.public_key().public_numbers() == public.public_numbers()
    assert httpx.get(any_server.url + view).status_code == 403  # a secret: authentication first
    missing = any_api.get(f"{URL}5eed0000-0000-0000-0000-000000000001/view_{part}/")
    assert missing.status_code == 404
