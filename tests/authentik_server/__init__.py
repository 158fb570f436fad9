"""A local authentik-compatible HTTP server for tests (see server.AuthentikServer).

    from tests.authentik_server import AuthentikServer
    with AuthentikServer(bootstrap_token="tok", akadmin_password="pw") as srv:
        srv.url  # http://127.0.0.1:PORT
        srv.advance_clock(61)  # OIDC codes/tokens expire without sleeping (clock.py)

    AuthentikServer(..., version="2026.2")  # behave as authentik 2026.2.2 (default "2025.10")
    srv.version.name, srv.version.release  # "2026.2", "2026.2.2" (versions.py lists the differences)

Besides the API it serves authentik's OIDC endpoints under /application/o/ (discovery, JWKS,
authorize, token, userinfo, end-session) for the applications created through the API, with akadmin
logging in through the flow executor. URLs and a token's ``iss`` are built from the request's Host and
X-Forwarded-Proto, exactly like authentik behind a reverse proxy. Each request also gets a brand from
its Host (brands.py; core/brands/ manages them): it picks the default login and logout flows and its
``attributes.settings.locale`` translates the recorded messages (i18n.py).

Behaviour follows the transcripts recorded from a real authentik 2025.10.4
(/work/shared/authentik-2025.10/) and 2026.2.2 (/work/shared/authentik-2026.2/); bodies are checked
against the models of that version's authentik-client (contract.py, with its explicit DEVIATIONS
lists, one per client release).
"""

from tests.authentik_server.contract import DEVIATIONS, ContractViolation
from tests.authentik_server.faults import Faults
from tests.authentik_server.server import AuthentikServer, Call

__all__ = ["DEVIATIONS", "AuthentikServer", "Call", "ContractViolation", "Faults"]
