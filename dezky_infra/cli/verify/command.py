"""The ``verify`` command: read the stack, run every client's checks, then one login through the first
tenant's brand host, and exit 0 (all passed), 1 (a check failed, each saying the fix) or 2 (authentik
unreachable, or the stack cannot be read: one line)."""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from dezky_infra.authentik.api import versions
from dezky_infra.authentik.api.client import AuthentikClient
from dezky_infra.authentik.api.connection import CONFIG_KEYS, CONFIG_NAMESPACE, ConnectionSettings
from dezky_infra.authentik.api.errors import AuthentikError, AuthentikUnavailableError
from dezky_infra.cli.stack_reader import read_stack_config, read_stack_outputs
from dezky_infra.cli.verify.checks import ClientChecks
from dezky_infra.cli.verify.consumer import consumer_view, read_env
from dezky_infra.cli.verify.oidc import OidcFlow, Unreachable
from dezky_infra.cli.verify.report import Report
from dezky_infra.contract import StackOutputError, StackOutputs, tenant_env_key

LEARN_PATIENCE_SECONDS = 5.0
"""How long verify waits for authentik's first answer: verify runs against an authentik that is up, and
says it is unreachable rather than waiting the providers' deadline."""


def connection_settings(config: Mapping[str, str], base_url: str, cwd: Path) -> ConnectionSettings:
    """How to reach authentik's public URL: TLS and patience from stack config, the admin's password."""
    values = dict(config)
    values[f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['url']}"] = base_url
    values.pop(f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['token']}", None)  # a browser login, not the API token
    bundle_key = f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['ca_bundle']}"
    if values.get(bundle_key):
        values[bundle_key] = str(cwd / values[bundle_key])  # relative to the project, like the program
    settings = ConnectionSettings.from_stack_config(values)
    if settings.bootstrap_password is None:
        key = settings.name_of("bootstrap_password")
        raise StackOutputError(f"stack config `{key}` is not set: verify logs in as akadmin with it")
    return settings


def learn_server(config: Mapping[str, str], settings: ConnectionSettings) -> versions.Server:
    """The authentik behind ``settings`` (its release, asked with the stack's API token; without one
    that works, what the anonymous current brand tells). An untested release is said in one line."""
    token = config.get(f"{CONFIG_NAMESPACE}:{CONFIG_KEYS['token']}")
    patience = min(settings.retry_deadline_seconds, LEARN_PATIENCE_SECONDS)
    with_token = settings.model_copy(
        update={"token": SecretStr(token) if token else None, "retry_deadline_seconds": patience}
    )
    with AuthentikClient(with_token) as client:
        try:
            return versions.learn(
                client, lambda warning: print(f"verify: warning: {warning}", flush=True), anonymous=True
            )
        except AuthentikUnavailableError as exc:
            raise Unreachable(str(exc)) from None


def base_of(issuer: str) -> str:
    """authentik's base URL from an issuer ``<base>/application/o/<slug>/``."""
    base, found, _ = issuer.partition("/application/o/")
    if not found:
        raise StackOutputError(f"the issuer {issuer} is not an authentik application issuer")
    return base


def resolves(host: str) -> bool:
    """Whether this machine resolves ``host`` (``/etc/hosts`` or DNS)."""
    try:
        socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return True


@contextmanager
def closing(checks: ClientChecks) -> Iterator[ClientChecks]:
    """The checks of one flow, its session logged out and its connections closed however they end."""
    try:
        yield checks
    finally:
        try:
            checks.log_out()
        finally:
            checks.flow.close()


def run(stack: str, cwd: Path, env_file: Path) -> int:
    """Every check for every client, then one login through the first tenant's brand host; the exit status."""
    outputs = StackOutputs.parse(read_stack_outputs(stack, cwd))
    config = read_stack_config(stack, cwd)
    env = read_env(env_file)
    bases = {base_of(info.issuer) for info in outputs.clients.values()}
    if len(bases) != 1:
        raise StackOutputError(
            f"the clients' issuers name more than one authentik: {', '.join(sorted(bases))}"
        )
    base = bases.pop()
    report = Report(stack, env_file)
    views = {name: consumer_view(info, env, outputs.secret(info)) for name, info in outputs.clients.items()}
    settings = connection_settings(config, base, cwd)
    server = learn_server(config, settings)
    print(f"verify: stack {stack}, {server.name} at {base}, {len(views)} OIDC client(s)", flush=True)
    missing = not env_file.exists()
    with closing(ClientChecks(report, OidcFlow(settings, server), missing)) as main:
        for name, info in outputs.clients.items():
            main.client(name, info, views[name])
    if outputs.tenant_urls and views:
        slug, output_url = next(iter(outputs.tenant_urls.items()))
        key = tenant_env_key(slug)
        url = env.get(key) or output_url
        host = urlsplit(url).hostname or ""
        via = None if resolves(host) else base
        if via is not None:
            print(
                f"verify: {host} does not resolve on this machine; reaching it through {via} with Host "
                f"{urlsplit(url).netloc} (browsers need the name in /etc/hosts or DNS)",
                flush=True,
            )
        name, info = next(iter(outputs.clients.items()))
        flow = OidcFlow(connection_settings(config, url, cwd), server, connect_via=via)
        with closing(ClientChecks(report, flow)) as tenant:
            tenant.tenant(slug, [key] if url != output_url else [], name, info, views[name], base)
    if report.failed:
        print(f"verify: {len(report.failed)} of {len(report.checks)} checks FAILED", flush=True)
        return 1
    print(f"verify: all {len(report.checks)} checks passed", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m dezky_infra verify --stack S [--cwd DIR] [--env-file .env]``."""
    parser = argparse.ArgumentParser(
        prog="python -m dezky_infra verify",
        description="Log in to every OIDC client of the stack the way a browser and its consumer would.",
    )
    parser.add_argument("--stack", required=True, help="the stack, e.g. dev")
    parser.add_argument("--cwd", type=Path, default=Path(), help="Pulumi project directory (default: .)")
    parser.add_argument(
        "--env-file", type=Path, default=Path(".env"), help="the consumers' .env (default: .env)"
    )
    args = parser.parse_args(argv)
    try:
        return run(args.stack, args.cwd.resolve(), args.env_file)
    except (StackOutputError, AuthentikError) as error:
        print(f"verify: error: {error}", file=sys.stderr)
    except Unreachable as error:
        print(f"verify: authentik is unreachable: {error}", file=sys.stderr)
    return 2
