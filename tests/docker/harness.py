"""Pulumi mocks that record every resource the docker layer registers, and helpers to read them.

`RecordingMocks` keeps each resource's type, name and inputs; `RecordingMonitor` adds the
dependencies Pulumi sends with each registration, which the mocks API does not expose.
`run_stack` runs both phases under freshly installed mocks and returns what was recorded.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_docker as docker
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from dezky_infra.program.docker import AppSecrets, DockerApps, DockerPlatform, DockerSettings, PlatformSecrets

CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
NETWORK = "docker:index/network:Network"

PLATFORM_SECRET_VALUES = {
    "postgres_password": "pg-secret-value",
    "authentik_secret_key": "ak-secret-key-value",
    "bootstrap_password": "bootstrap-password-value",
    "bootstrap_token": "bootstrap-token-value",
}
APP_SECRET_VALUES = {"api_token": "api-token-value", "portal_client_secret": "portal-client-secret-value"}
ALL_SECRET_VALUES = [*PLATFORM_SECRET_VALUES.values(), *APP_SECRET_VALUES.values()]
PORTAL_CLIENT_ID = "portal"
PORTAL_ISSUER = "https://auth.dezky.local/application/o/portal/"
OCIS_CLIENT_ID = "ocis-web"
OCIS_ISSUER = "https://auth.dezky.local/application/o/ocis/"


@dataclass
class Recorded:
    """One registered resource: what the mocks saw, plus its dependencies by logical name."""

    type: str
    name: str
    inputs: dict[str, Any]
    dependencies: set[str] = field(default_factory=set)


class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that echo inputs back as outputs and record every resource, in order."""

    def __init__(self) -> None:
        self.registered: list[Recorded] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(Recorded(type=args.typ, name=args.name, inputs=dict(args.inputs)))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(MockMonitor):
    """Mock monitor that also records each registration's dependencies."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks

    def RegisterResource(self, request: Any) -> Any:  # overrides the gRPC method of that name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        for recorded in self.recording.registered:
            if (recorded.type, recorded.name) == (request.type, request.name):
                recorded.dependencies = {urn.rsplit("::", 1)[-1] for urn in request.dependencies}
        return response


def unwrap(value: Any) -> Any:
    """A recorded input value with every secret wrapper removed, at any depth."""
    if rpc.is_rpc_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def plain_strings(value: Any) -> Iterator[str]:
    """Every string in a recorded value that is not inside a secret wrapper."""
    if rpc.is_rpc_secret(value):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from plain_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from plain_strings(item)


@dataclass
class Deployment:
    """What running both phases under mocks registered."""

    registered: list[Recorded]
    platform: DockerPlatform
    apps: DockerApps
    envs_secret: dict[str, bool]
    """Per container logical name: whether the container's `envs` Output is secret."""

    def of_type(self, type_: str) -> dict[str, Recorded]:
        """The recorded resources of one type, by logical name."""
        return {rec.name: rec for rec in self.registered if rec.type == type_}

    def container(self, service: str) -> Recorded:
        """The recorded container of `service` (e.g. `platform-api`)."""
        return self.of_type(CONTAINER)[f"dezky-{service}"]

    def env(self, service: str) -> dict[str, str]:
        """The container's environment as a dict, secrets unwrapped."""
        entries: list[str] = unwrap(self.container(service).inputs["envs"])
        return dict(entry.split("=", 1) for entry in entries)

    def labels(self, service: str) -> dict[str, str]:
        """The container's labels as a dict."""
        return {item["label"]: item["value"] for item in self.container(service).inputs.get("labels", [])}


def secret_inputs() -> tuple[PlatformSecrets, AppSecrets]:
    """Both phases' inputs, secrets as secret Outputs and the rest partly Outputs, like the real program."""
    secret = pulumi.Output.secret
    platform = PlatformSecrets(**{key: secret(value) for key, value in PLATFORM_SECRET_VALUES.items()})
    apps = AppSecrets(
        api_token=secret(APP_SECRET_VALUES["api_token"]),
        portal_client_id=pulumi.Output.from_input(PORTAL_CLIENT_ID),
        portal_client_secret=secret(APP_SECRET_VALUES["portal_client_secret"]),
        portal_issuer=PORTAL_ISSUER,
        ocis_client_id=OCIS_CLIENT_ID,
        ocis_issuer=pulumi.Output.from_input(OCIS_ISSUER),
    )
    return platform, apps


def run_stack(
    settings: DockerSettings | None = None,
    platform_secrets: PlatformSecrets | None = None,
    app_secrets: AppSecrets | None = None,
    tenant_urls: Mapping[str, str] | None = None,
) -> Deployment:
    """Install fresh mocks, run both phases, and wait until every registration is done.

    Inputs default to the dev stack's settings and `secret_inputs()`. The default settings run
    the apps from the monorepo around the working directory (the `checkout` fixture makes one).
    """
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, preview=False, monitor=RecordingMonitor(mocks))
    chosen = settings or DockerSettings()
    built: dict[str, Any] = {}
    envs_secret: dict[str, bool] = {}

    async def collect_secretness(containers: dict[str, docker.Container]) -> None:
        for name, container in containers.items():
            envs_secret[name] = await container.envs.is_secret()

    @pulumi.runtime.test  # type: ignore[misc]  # the decorator is untyped
    def program() -> Any:
        default_platform, default_apps = secret_inputs()
        platform = DockerPlatform("dezky", chosen, platform_secrets or default_platform)
        apps = DockerApps(
            "dezky", chosen, platform, app_secrets or default_apps, tenant_urls=dict(tenant_urls or {})
        )
        built.update(platform=platform, apps=apps)
        containers = {
            "dezky-postgres": platform.postgres,
            "dezky-authentik-server": platform.authentik_server,
            "dezky-authentik-worker": platform.authentik_worker,
            "dezky-traefik": platform.traefik,
            "dezky-platform-api": apps.platform_api,
            "dezky-portal": apps.portal,
        }
        if apps.ocis is not None:
            containers["dezky-ocis"] = apps.ocis
        return collect_secretness(containers)

    program()
    return Deployment(
        registered=mocks.registered, platform=built["platform"], apps=built["apps"], envs_secret=envs_secret
    )
