"""What the two phases take from outside the docker layer besides settings.

Values come in as `pulumi.Input[str]`; the secret ones may be plain strings or Outputs, the
layer marks them secret either way (see `env.py`).
"""

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class PlatformSecrets:
    """Secrets of the platform phase: the database and authentik's own keys."""

    postgres_password: pulumi.Input[str]
    authentik_secret_key: pulumi.Input[str]
    bootstrap_password: pulumi.Input[str]
    """Initial password of authentik's `akadmin`, applied once on an empty database."""
    bootstrap_token: pulumi.Input[str]
    """API token authentik creates on an empty database; the authentik resources log in with it."""


@dataclass(frozen=True)
class AppSecrets:
    """What the apps get from the authentik resources: the API token and the OIDC clients.

    Only `api_token` and `portal_client_secret` are secrets; the client ids and issuers are
    plain values (often Outputs of the authentik resources). The ocis pair is required only
    when ocis runs.
    """

    api_token: pulumi.Input[str]
    portal_client_id: pulumi.Input[str]
    portal_client_secret: pulumi.Input[str]
    portal_issuer: pulumi.Input[str]
    ocis_client_id: pulumi.Input[str] | None = None
    ocis_issuer: pulumi.Input[str] | None = None
