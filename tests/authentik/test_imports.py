"""Importing the resources stays light: the program process declares resources and never talks HTTP.

The time itself is measured by the benchmark (`bench/imports.py`), not asserted here; what a test can
hold steady is which heavy modules an import drags in.
"""

from __future__ import annotations

import subprocess
import sys


def modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_declaring_resources_loads_neither_httpx_nor_the_generated_client() -> None:
    loaded = modules_after("import dezky_infra.authentik")
    assert "dezky_infra.authentik.OAuth2Provider" not in loaded  # sanity: it is a class, not a module
    assert "dezky_infra.authentik.oauth2_provider" in loaded
    assert not {"httpx", "dezky_infra.authentik.api.client", "authentik_client"} & loaded


def test_a_connection_loads_the_client_but_never_the_generated_models() -> None:
    loaded = modules_after(
        "from dezky_infra.authentik.api.connection import ConnectionSettings; "
        "from dezky_infra.authentik.api.client import AuthentikClient; "
        "AuthentikClient(ConnectionSettings(url='http://127.0.0.1:9')).close()"
    )
    assert "httpx" in loaded
    assert not any(name.startswith("authentik_client") for name in loaded)
