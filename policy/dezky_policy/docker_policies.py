"""Policies on the docker layer (pulumi-docker inputs: ``Container``, ``RemoteImage``)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)

from .common import config_strings, resource_policy, string_list_schema
from .values import is_secret, is_unknown, known_str, plain, reveal, string_list

CONTAINER = "docker:index/container:Container"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"

SENSITIVE_ENV_SUFFIXES = ("_SECRET", "_TOKEN", "_PASSWORD", "_KEY")
AUTHENTIK_IMAGE_REPOSITORY = "ghcr.io/goauthentik/server"
AUTHENTIK_ROLES = ("server", "worker")
WEBSECURE = "websecure"
ALLOW_ALL_INTERFACES_KEY = "allowAllInterfaces"
BIND_ADDRESS_CONFIG_KEY = "dezky:docker.ports.bind_address"
_ROUTER_LABEL = re.compile(r"^traefik\.http\.routers\.([^.]+)\.")


def is_sensitive_env_key(key: str) -> bool:
    """``*_SECRET``, ``*_TOKEN``, ``*_PASSWORD``, ``*_KEY`` (and those words alone)."""
    return any(key == suffix[1:] or key.endswith(suffix) for suffix in SENSITIVE_ENV_SUFFIXES)


def split_image(ref: str) -> tuple[str, str | None, str | None]:
    """``repository[:tag][@digest]`` -> (repository, tag, digest); a tag's colon follows the last /."""
    name, _, digest = ref.partition("@")
    repository, tag = name, None
    last_colon = name.rfind(":")
    if last_colon > name.rfind("/"):
        repository, tag = name[:last_colon], name[last_colon + 1 :]
    return repository, tag, digest or None


def image_problem(ref: str) -> str | None:
    """What makes `ref` move under us (no tag, ``latest``), or None when it is pinned."""
    if ref.startswith("sha256:"):
        return None  # an image id: content-addressed
    _, tag, digest = split_image(ref)
    if digest is not None:
        return None
    if tag is None:
        return "has no tag, so Docker pulls 'latest'"
    if tag == "latest":
        return "uses the moving tag 'latest'"
    return None


def _check_env_secrets(args: ResourceValidationArgs, props: dict[str, Any], report: ReportViolation) -> None:
    """Why: a plain env entry is stored and diffed in clear text; a secret one stays encrypted."""
    envs = props.get("envs")
    if envs is None or is_secret(envs) or is_unknown(envs) or not isinstance(envs, list):
        return  # no envs, all secret as a whole, or not known yet
    for entry in envs:
        if is_secret(entry) or not isinstance(entry, str) or is_unknown(entry):
            continue
        key = entry.partition("=")[0]
        if is_sensitive_env_key(key):
            report(
                f"env {key} is passed in clear text; make the entry a secret "
                "(pulumi.Output.secret, e.g. container_env(secret=...)) so it stays encrypted",
                None,
            )


def _check_image_pinned(args: ResourceValidationArgs, props: dict[str, Any], report: ReportViolation) -> None:
    """Why: an unpinned image changes under the stack without a diff; dev must be reproducible."""
    field = "name" if args.resource_type == REMOTE_IMAGE else "image"
    ref = known_str(props.get(field))
    if ref is None:
        return
    problem = image_problem(ref)
    if problem is not None:
        report(f"image {ref!r} ({field}) {problem}; pin a version tag or a digest", None)


def _labels(props: dict[str, Any]) -> dict[str, str | None]:
    """A container's labels as label -> value (None when the value is not known yet)."""
    result: dict[str, str | None] = {}
    labels = reveal(props.get("labels"))
    for item in labels if isinstance(labels, list) else []:
        if isinstance(item, dict) and known_str(item.get("label")) is not None:
            result[item["label"]] = known_str(item.get("value"))
    return result


def _check_traefik_tls(args: ResourceValidationArgs, props: dict[str, Any], report: ReportViolation) -> None:
    """Why: every route carries sessions or tokens; plain-http entrypoints would expose them."""
    labels = _labels(props)
    routers = sorted({m.group(1) for label in labels if (m := _ROUTER_LABEL.match(label))})
    for router in routers:
        prefix = f"traefik.http.routers.{router}"
        tls = labels.get(f"{prefix}.tls", "")
        if tls is not None and tls.strip().lower() != "true":
            report(f"Traefik router {router!r} does not set {prefix}.tls=true", None)
        entrypoints = labels.get(f"{prefix}.entrypoints", "")
        if entrypoints is not None and [e.strip() for e in entrypoints.split(",")] != [WEBSECURE]:
            report(
                f"Traefik router {router!r} must use only entrypoint {WEBSECURE!r} "
                f"({prefix}.entrypoints is {entrypoints or 'unset'!r})",
                None,
            )


def _check_healthcheck_restart(
    args: ResourceValidationArgs, props: dict[str, Any], report: ReportViolation
) -> None:
    """Why: without a healthcheck dependants start too early; without restarts a crash stays down."""
    if props.get("healthcheck") is None:
        report("container has no healthcheck", None)
    restart = props.get("restart")
    if not is_unknown(restart) and known_str(restart) in (None, "", "no"):
        report("container has no restart policy (restart is 'no'); use e.g. 'unless-stopped'", None)


def _all_interfaces(ip: Any) -> str | None:
    """How a port's `ip` means every interface ('0.0.0.0', '::', none at all), or None if it does not."""
    if ip is None or ip == "":
        return "no ip, which Docker binds to 0.0.0.0"
    try:
        unspecified = ipaddress.ip_address(ip).is_unspecified
    except ValueError:
        return None  # not an address: Docker refuses it, which is no exposure
    return f"ip {ip!r}" if unspecified else None


def _check_ports_bound(args: ResourceValidationArgs, props: dict[str, Any], report: ReportViolation) -> None:
    """Why: a dev stack carries well-known dev secrets; on every interface the whole network reaches it."""
    if args.name in config_strings(args.get_config(), ALLOW_ALL_INTERFACES_KEY, ()):
        return
    ports = reveal(props.get("ports"))
    for port in ports if isinstance(ports, list) else []:
        if not isinstance(port, dict) or any(is_unknown(value) for value in port.values()):
            continue
        how = _all_interfaces(port.get("ip"))
        if how is None:
            continue
        external = port.get("external")
        host_port = f"port {external}" if external is not None else "a random host port"
        report(
            f"{host_port} (container port {port.get('internal')}/{port.get('protocol', 'tcp')}) is published "
            f"on every interface ({how}), so other machines on the network reach it; bind it to 127.0.0.1 "
            f"(stack config {BIND_ADDRESS_CONFIG_KEY}), or list {args.name!r} in this policy's "
            f"{ALLOW_ALL_INTERFACES_KEY} config",
            None,
        )


def _check_authentik_images(args: StackValidationArgs, report: ReportViolation) -> None:
    """Why: server and worker share one database schema; two versions would migrate it both ways."""
    found: list[tuple[str, str, str]] = []  # (role, image, urn)
    for resource in args.resources:
        if resource.resource_type != CONTAINER:
            continue
        props = plain(resource.props)
        image = known_str(props.get("image"))
        command = string_list(props.get("command"))
        if image is None or split_image(image)[0] != AUTHENTIK_IMAGE_REPOSITORY:
            continue
        if len(command) == 1 and command[0] in AUTHENTIK_ROLES:
            found.append((command[0], image, resource.urn))
    found.sort(key=lambda item: AUTHENTIK_ROLES.index(item[0]))  # the server's image is the reference
    if not found:
        return
    reference_role, reference_image, _ = found[0]
    for role, image, urn in found[1:]:
        if image != reference_image:
            report(
                f"authentik {role} runs {image!r} but the {reference_role} runs {reference_image!r}; "
                "server and worker must run the same image",
                urn,
            )


secret_envs_are_secrets = resource_policy(
    name="docker-secret-envs-are-secrets",
    description="Container env entries named *_SECRET, *_TOKEN, *_PASSWORD or *_KEY are Pulumi secrets.",
    enforcement_level=EnforcementLevel.MANDATORY,
    resource_types={CONTAINER},
    check=_check_env_secrets,
)

images_pinned = resource_policy(
    name="docker-images-pinned",
    description="Images are pinned to a version tag or a digest, never 'latest'.",
    enforcement_level=EnforcementLevel.MANDATORY,
    resource_types={CONTAINER, REMOTE_IMAGE},
    check=_check_image_pinned,
)

traefik_routers_tls = resource_policy(
    name="traefik-routers-tls-websecure",
    description="Every Traefik router uses TLS on the 'websecure' entrypoint.",
    enforcement_level=EnforcementLevel.MANDATORY,
    resource_types={CONTAINER},
    check=_check_traefik_tls,
)

healthcheck_and_restart = resource_policy(
    name="docker-healthcheck-and-restart",
    description="Containers have a healthcheck and a restart policy.",
    enforcement_level=EnforcementLevel.ADVISORY,
    resource_types={CONTAINER},
    check=_check_healthcheck_restart,
)

ports_not_on_all_interfaces = resource_policy(
    name="docker-ports-not-on-all-interfaces",
    description="Containers publish host ports on one address (loopback by default), not on every interface.",
    enforcement_level=EnforcementLevel.ADVISORY,
    resource_types={CONTAINER},
    check=_check_ports_bound,
    config_schema=string_list_schema(
        ALLOW_ALL_INTERFACES_KEY,
        "Names of Container resources allowed to publish ports on every interface.",
        (),
    ),
)

authentik_same_image = StackValidationPolicy(
    name="authentik-server-worker-same-image",
    description="The authentik server and worker containers run the same image.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_check_authentik_images,
)
