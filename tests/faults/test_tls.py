"""TLS to authentik: verified by default, a custom CA bundle, insecure mode (warned once per URL), and
clear errors for an untrusted certificate or a bad CA bundle. Certificates come from the openssl CLI."""

from __future__ import annotations

import logging
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dezky_infra.authentik.api import client as client_module
from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.errors import AuthentikConfigError
from dezky_infra.authentik.group import GroupProvider
from dezky_infra.authentik.readiness import ReadinessProvider
from tests.authentik_server import AuthentikServer
from tests.conftest import ADMIN_TOKEN, AKADMIN_PASSWORD, configured

INSECURE_KEY = "dezky:authentikInsecureSkipTlsVerify"
CA_KEY = "dezky:authentikCaBundle"


@dataclass(frozen=True)
class Pki:
    """A CA, a server certificate it signed, and a self-signed server certificate (both for 127.0.0.1)."""

    ca_cert: Path
    signed: tuple[str, str]
    self_signed: tuple[str, str]


def openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    san = d / "san.ext"
    san.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=dezky test CA",
            "-keyout", d / "ca.key", "-out", d / "ca.pem")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", d / "server.key", "-out", d / "server.csr")  # fmt: skip
    openssl("x509", "-req", "-in", d / "server.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", san, "-out", d / "server.pem")  # fmt: skip
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", d / "self.key", "-out", d / "self.pem")  # fmt: skip
    return Pki(
        d / "ca.pem",
        (str(d / "server.pem"), str(d / "server.key")),
        (str(d / "self.pem"), str(d / "self.key")),
    )


def tls_server(cert_and_key: tuple[str, str]) -> Iterator[AuthentikServer]:
    server = AuthentikServer(bootstrap_token=ADMIN_TOKEN, akadmin_password=AKADMIN_PASSWORD, tls=cert_and_key)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ca_signed_server(pki: Pki) -> Iterator[AuthentikServer]:
    """authentik over https with a certificate of the test CA."""
    yield from tls_server(pki.signed)


@pytest.fixture(scope="module")
def self_signed_server(pki: Pki) -> Iterator[AuthentikServer]:
    """authentik over https with a self-signed certificate."""
    yield from tls_server(pki.self_signed)


def client_for(server: AuthentikServer, **settings: str) -> AuthentikClient:
    """An admin client for ``server`` with these connection settings."""
    return AuthentikClient(
        ConnectionSettings.model_validate({"url": server.url, "token": ADMIN_TOKEN, **settings})
    )


def create_group(server: AuthentikServer, name: str, **config: str) -> str:
    groups = configured(GroupProvider(), server, **{"dezky:authentikRetryDeadlineSeconds": "10", **config})
    return groups.create(groups.check({}, {"name": name}).inputs).id


@pytest.mark.parametrize("server_name", ["self_signed_server", "ca_signed_server"])
def test_untrusted_certificate_fails_at_once_naming_the_url_and_both_fixes(
    server_name: str, request: pytest.FixtureRequest
) -> None:
    server: AuthentikServer = request.getfixturevalue(server_name)
    started = time.monotonic()
    with pytest.raises(AuthentikConfigError) as raised:
        create_group(server, "never")
    assert time.monotonic() - started < 2  # not retried for the 10 s deadline: waiting cannot fix it
    reason = (
        "self-signed certificate"
        if server_name == "self_signed_server"
        else "unable to get local issuer certificate"
    )
    assert str(raised.value) == (
        f"authentik at {server.url}: TLS certificate not trusted ({reason}); set `dezky:authentikCaBundle` "
        "to the PEM of the CA that signed it (e.g. mkcert's rootCA.pem), or "
        "`dezky:authentikInsecureSkipTlsVerify` to true to skip verification (unsafe)"
    )


def test_custom_ca_bundle_is_trusted(ca_signed_server: AuthentikServer, pki: Pki) -> None:
    group_id = create_group(ca_signed_server, "tenant-over-tls", **{CA_KEY: str(pki.ca_cert)})
    with client_for(ca_signed_server, ca_bundle=str(pki.ca_cert)) as client:
        assert client.get(f"core/groups/{group_id}/")["name"] == "tenant-over-tls"


def test_ca_bundle_adds_to_the_system_roots(ca_signed_server: AuthentikServer, pki: Pki) -> None:
    """``authentikCaBundle`` is "extra CA roots": the system roots stay trusted too."""
    system_roots = ssl.create_default_context().cert_store_stats()["x509_ca"]
    with client_for(ca_signed_server, ca_bundle=str(pki.ca_cert)) as client:
        verify = client._tls_verification()
    assert isinstance(verify, ssl.SSLContext)
    assert verify.cert_store_stats()["x509_ca"] == system_roots + 1


def test_insecure_mode_works_and_warns_once_per_url(
    self_signed_server: AuthentikServer,
    ca_signed_server: AuthentikServer,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "_insecure_warned", set())
    caplog.set_level(logging.WARNING, logger="dezky_infra.authentik")
    for i in range(3):
        create_group(self_signed_server, f"insecure-{i}", **{INSECURE_KEY: "true"})
    create_group(ca_signed_server, "insecure-other-url", **{INSECURE_KEY: "true"})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"TLS verification is OFF for authentik at {url} (dezky:authentikInsecureSkipTlsVerify=true): "
        "anyone on the path can read the API token"
        for url in (self_signed_server.url, ca_signed_server.url)
    ]


def test_missing_ca_bundle_path_names_the_key(ca_signed_server: AuthentikServer, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-root.pem"
    with pytest.raises(AuthentikConfigError) as raised:  # at configure() or at the first call
        create_group(ca_signed_server, "never", **{CA_KEY: str(missing)})
    message = str(raised.value)
    assert message.startswith("stack config `dezky:authentikCaBundle`: ")
    assert f"CA bundle file '{missing}' does not exist; give the path of a PEM file" in message


def test_ca_bundle_that_is_not_pem_names_the_key_and_the_file(
    ca_signed_server: AuthentikServer, tmp_path: Path
) -> None:
    garbage = tmp_path / "root.pem"
    garbage.write_text("this is not a certificate\n")
    with pytest.raises(AuthentikConfigError) as raised:
        create_group(ca_signed_server, "never", **{CA_KEY: str(garbage)})
    assert str(raised.value).startswith(
        f"stack config `dezky:authentikCaBundle`: CA bundle file '{garbage}' holds no PEM certificate ("
    )
    assert str(raised.value).endswith(
        "give the PEM of the CA that signs authentik's certificate (e.g. mkcert's rootCA.pem)"
    )


def test_readiness_stops_at_once_on_an_untrusted_certificate(self_signed_server: AuthentikServer) -> None:
    ready = configured(ReadinessProvider(), self_signed_server)
    inputs = ready.check({}, {"trigger": "tls"}).inputs
    started = time.monotonic()
    with pytest.raises(AuthentikConfigError, match="TLS certificate not trusted"):
        ready.create(inputs)
    assert time.monotonic() - started < 2
