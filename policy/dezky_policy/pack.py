"""The dezky policy pack: its name and its policies, mandatory ones first."""

from __future__ import annotations

from pulumi_policy import Policy

from . import authentik_policies as authentik
from . import docker_policies as docker

NAME = "dezky-infra"

POLICIES: list[Policy] = [
    authentik.redirect_uris_https_strict,
    authentik.confidential_client_not_spa_id,
    docker.secret_envs_are_secrets,
    docker.images_pinned,
    docker.traefik_routers_tls,
    docker.authentik_same_image,
    authentik.api_token_expiry,
    authentik.tls_verification_on,
    docker.healthcheck_and_restart,
    docker.ports_not_on_all_interfaces,
]
