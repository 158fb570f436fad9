"""authentik as code: Pulumi dynamic resources for authentik 2024.10 and later (API v3), tested on
2025.10 and 2026.2.

Resources: ``ApiToken``, ``OAuth2Provider``, ``Application``, ``Group``, ``Brand``. Each validates
its inputs at preview, diffs exactly the changed fields, adopts an existing object with the same
natural key on create (saying so), and reports drift and out-of-band deletion on refresh. Connection
settings come from the stack config (``dezky:authentik*``), never from pickled state.
"""

from dezky_infra.authentik.application import Application
from dezky_infra.authentik.brand import Brand
from dezky_infra.authentik.group import Group
from dezky_infra.authentik.oauth2_provider import OAuth2Provider
from dezky_infra.authentik.readiness import AuthentikReady
from dezky_infra.authentik.token import ApiToken

__all__ = ["ApiToken", "Application", "AuthentikReady", "Brand", "Group", "OAuth2Provider"]
