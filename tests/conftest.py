"""Shared fixtures: a running local authentik-compatible server and providers configured for it."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.runtime import settings as pulumi_settings

from dezky_infra.authentik.api import sessions, versions
from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import ConnectionSettings
from dezky_infra.authentik.api.lookups import forget_reference_data
from dezky_infra.authentik.provider.base import AuthentikResourceProvider
from tests.authentik_server import AuthentikServer
from tests.engine.harness import let_plugins_stop_when_asked
from tests.target import LOCAL_VERSIONS, target_versions

ADMIN_TOKEN = "dezky-test-admin-token-6b1f0e2a9c7d4e8fb3a5c1d2e4f60718"
AKADMIN_PASSWORD = "dezky-test-akadmin-password-3e9a"

P = TypeVar("P", bound=AuthentikResourceProvider[Any])
APP_FOLDERS = ("services/platform-api", "services/portal")
"""Where the Dezky monorepo keeps the apps the dev stack runs from source."""


@dataclass(frozen=True)
class Checkout:
    """A Dezky monorepo checkout with this project in it, as a developer has it."""

    monorepo: Path
    project: Path
    """`infrastructure/pulumi` inside the monorepo: the Pulumi program's working directory."""


@functools.cache
def ca_certificate_pem() -> bytes:
    """A self-signed CA certificate in PEM, like mkcert's rootCA.pem (made once per test session)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dezky test root CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def monorepo_checkout(root: Path, *, with_apps: bool = True) -> Checkout:
    """Make the Dezky monorepo at ``root``: this project at infrastructure/pulumi with the mkcert root
    that Pulumi.dev.example.yaml names, and (``with_apps``) the apps' source folders."""
    project = root / "infrastructure" / "pulumi"
    (project / "certs").mkdir(parents=True)
    (project / "certs" / "rootCA.pem").write_bytes(ca_certificate_pem())
    for folder in APP_FOLDERS if with_apps else ():
        (root / folder).mkdir(parents=True)
    return Checkout(monorepo=root, project=project)


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Checkout:
    """Run the test inside a monorepo checkout (as Pulumi runs the program), so the dev defaults find
    the apps' folders."""
    made = monorepo_checkout(tmp_path / "dezky")
    monkeypatch.chdir(made.project)
    return made


def pytest_configure(config: pytest.Config) -> None:
    """The engines the tests start can stop their plugins, even when pytest runs in the background."""
    let_plugins_stop_when_asked()


@pytest.fixture(autouse=True)
def _no_pulumi_mocks_left() -> Iterator[None]:
    """A test that installs pulumi's mocks leaves none behind: with a mock engine still configured,
    ``pulumi.log`` in a later test goes to the mock's logger instead of stderr (as it would in a
    provider without an engine), which made a warning test depend on the order the files ran in."""
    yield
    if pulumi_settings.SETTINGS.engine is not None or pulumi_settings.SETTINGS.monitor is not None:
        pulumi_settings.reset_options()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module whose fixtures take ``authentik_version`` runs once per authentik release (module scope:
    one server per release and module), or once against the real authentik in acceptance mode."""
    if "authentik_version" in metafunc.fixturenames:
        metafunc.parametrize("authentik_version", target_versions(), scope="module")


@pytest.fixture(scope="session", params=LOCAL_VERSIONS)
def authentik(request: pytest.FixtureRequest) -> Iterator[AuthentikServer]:
    """One server per authentik release for the session, seeded like a fresh authentik with a bootstrap
    token; every test that uses it runs on each release."""
    server = AuthentikServer(
        bootstrap_token=ADMIN_TOKEN, akadmin_password=AKADMIN_PASSWORD, version=request.param
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_authentik(authentik: AuthentikServer) -> Iterator[AuthentikServer]:
    """The session server, wiped to a fresh authentik before the test and without faults after it."""
    authentik.wipe()
    forget_reference_data()
    sessions.forget()
    versions.forget()
    authentik.faults.clear()
    authentik.reset_calls()
    yield authentik
    authentik.faults.clear()
    assert_contract_kept(authentik)


def assert_contract_kept(server: AuthentikServer) -> None:
    """Fail when the server saw a response that breaks authentik's API models, or crashed."""
    violations, errors = list(server.contract_violations), list(server.errors)
    server.contract_violations.clear()
    server.errors.clear()
    assert violations == [], violations
    assert errors == [], errors


def stack_config(server: AuthentikServer, **overrides: str) -> dict[str, str]:
    """Stack config as a dynamic provider's configure() receives it."""
    config = {
        "dezky:authentikUrl": server.url,
        "dezky:authentikToken": ADMIN_TOKEN,
        "dezky:authentikBootstrapPassword": AKADMIN_PASSWORD,
        "dezky:authentikRetryDeadlineSeconds": "3",
    }
    config.update(overrides)
    return {k: v for k, v in config.items() if v != ""}


def configured(provider: P, server: AuthentikServer, **overrides: str) -> P:
    """``provider`` after configure() with the stack config for ``server``."""
    forget_reference_data()
    sessions.forget()
    versions.forget()
    provider.configure(ConfigureRequest(Config(stack_config(server, **overrides), "dezky")))
    return provider


@pytest.fixture
def admin(fresh_authentik: AuthentikServer) -> Iterator[AuthentikClient]:
    """An API client acting for "someone else": the UI, a script, the old setup guide."""
    settings = ConnectionSettings(url=fresh_authentik.url, token=ADMIN_TOKEN, retry_deadline_seconds=3)
    with AuthentikClient(settings) as client:
        yield client
