"""Trust in the mkcert dev CA inside containers that call `https://<host>.<domain>`.

The portal and ocis fetch the OIDC discovery document from `https://auth.<domain>` through
Traefik; they only accept its mkcert certificate if mkcert's root CA is trusted in the
container. The CA is mounted into the system certificate folder, which Go programs (ocis)
read; Node apps are pointed at it with NODE_EXTRA_CA_CERTS.
"""

import pulumi_docker as docker

from .settings import TlsSettings
from .volumes import bind_mount

CA_PATH = "/etc/ssl/certs/dezky-dev-ca.pem"


def ca_mounts(tls: TlsSettings) -> list[docker.ContainerMountArgs]:
    """The CA mount, or none when no CA file is configured."""
    if tls.ca_file is None:
        return []
    return [bind_mount(tls.ca_file, CA_PATH, read_only=True)]


def node_ca_env(tls: TlsSettings) -> dict[str, str]:
    """Environment that makes Node trust the mounted CA in addition to its bundled ones."""
    if tls.ca_file is None:
        return {}
    return {"NODE_EXTRA_CA_CERTS": CA_PATH}
