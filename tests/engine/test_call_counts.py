"""What a developer's ``pulumi up --yes`` asks authentik, counted: the preview and the update together.

The CLI runs a preview first (its own provider process) and then the update (another one). The dev
stack's two OIDC clients name the same flows, key and scopes: the preview asks for each name once,
whatever the number of clients (``lookups``: one list per name, cached per process), all names of one
resource at the same time; the update asks for the whole lists once, as soon as ``AuthentikReady`` is
created (while the token is made), and finds every name in them. The fresh authentik has no API token
yet, so each process logs in once with the bootstrap password and ends its session (the update once
the token exists, the preview when the engine stops it). A no-op preview afterwards asks nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.authentik_server import AuthentikServer
from tests.engine.harness import EngineProject
from tests.engine.stacks import configure_stack, live_sessions, logins
from tests.target import Target, module_target

TOKEN = "call-count-platform-api-token-8e1f2a3b4c5d6e7f80912a3b"
PASSWORD = "call-count-akadmin-password-19c4"
TENANTS = [{"slug": "acme"}]
LOOKUP_ROUTES = (
    "/api/v3/flows/instances/",
    "/api/v3/crypto/certificatekeypairs/",
    "/api/v3/propertymappings/provider/scope/",
)


@pytest.fixture(scope="module")
def target(authentik_version: str) -> Iterator[Target]:
    yield from module_target(bootstrap_token=None, password=PASSWORD, version=authentik_version)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, target: Target) -> EngineProject:
    project = EngineProject(tmp_path_factory.mktemp("counts"))
    configure_stack(project, target, TOKEN, TENANTS)
    return project


def lookups(server: AuthentikServer) -> Counter[str]:
    """The name lookups authentik answered, by route and query."""
    return Counter(
        f"{call.path}?{call.query_string}" for call in server.calls if call.path.startswith(LOOKUP_ROUTES)
    )


def test_a_fresh_up_with_its_preview_asks_each_name_once_per_process(
    project: EngineProject, target: Target
) -> None:
    server = target.local("counts authentik's calls")
    server.reset_calls()
    project.cli("up", "--yes")
    asked = lookups(server)
    print(f"[authentik calls] up --yes: {dict(asked)}, {logins(server)} logins")
    by_name = Counter({query: n for query, n in asked.items() if "slug=" in query or "name=" in query})
    whole = Counter({query.split("?")[0]: n for query, n in asked.items() if query not in by_name})
    # the preview: each name once (the authorization and invalidation flows, the signing key)
    assert sorted(by_name.values()) == [1, 1, 1], asked
    # the update: the whole lists once, asked when Ready was created; the scopes are always asked whole
    assert whole == Counter({path: 1 for path in LOOKUP_ROUTES}) + Counter({LOOKUP_ROUTES[2]: 1})
    assert (logins(server), live_sessions(server)) == (2, 0)
    # authentik's release, learned once per process (the preview's first try meets the missing token)
    versions = [call.status for call in server.calls if call.path == "/api/v3/admin/version/"]
    assert sorted(versions) == [200, 200, 403]


def test_a_no_op_preview_asks_authentik_nothing(project: EngineProject, target: Target) -> None:
    server = target.local("counts authentik's calls")
    server.reset_calls()
    project.cli("preview")
    assert server.calls == []
