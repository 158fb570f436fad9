"""The manual route the old setup guide scripted: one process per HTTP call, one call after another.

For each tenant, exactly as the guide's steps go for one client: look up the authorization flow, the
invalidation flow, the signing key and the scope mappings, create the provider, create the
application, read the provider back for its client secret, create the group. Every call is its own
``curl`` process (or, without curl, its own ``python -c`` one-shot). The bodies are the ones the
dynamic providers send (their modules' ``body()`` functions), so both routes make the same objects.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.tenants import PUBLIC_URL, Tenant
from dezky_infra.authentik import application, group, oauth2_provider
from dezky_infra.authentik.api.versions import DIALECTS
from dezky_infra.authentik.application import ApplicationSpec
from dezky_infra.authentik.group import GroupSpec
from dezky_infra.authentik.oauth2_provider import (
    DEFAULT_AUTHORIZATION_FLOW,
    DEFAULT_INVALIDATION_FLOW,
    DEFAULT_SIGNING_KEY,
    OAuth2ProviderSpec,
    ResolvedIds,
)

GUIDE_DIALECT = DIALECTS[0]
"""The guide was written for authentik 2025.10 (a group's one ``parent``), the release the bench serves."""

ONE_SHOT = """\
import sys, urllib.request, urllib.error
method, url, token, body = sys.argv[1:5]
req = urllib.request.Request(url, data=body.encode() or None, method=method, headers={
    "Authorization": "Bearer " + token, "Accept": "application/json", "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req) as r:
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    sys.stderr.write(e.read().decode()); sys.exit(22)
"""


@dataclass(frozen=True)
class ScriptedRun:
    """Wall time and calls of one scripted run."""

    seconds: float
    reads: int
    writes: int
    transport: str


class ScriptedRoute:
    """Makes the tenants' objects with one short-lived process per API call."""

    def __init__(self, url: str, token: str) -> None:
        self.api_root = f"{url.rstrip('/')}/api/v3/"
        self.token = token
        self.transport = "curl" if shutil.which("curl") else "python -c"
        self.reads = 0
        self.writes = 0

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One API call in its own process; the decoded JSON answer."""
        url = self.api_root + path
        data = json.dumps(body) if body is not None else ""
        if self.transport == "curl":
            argv = [
                "curl",
                "-sS",
                "--fail-with-body",
                "-X",
                method,
                "-H",
                f"Authorization: Bearer {self.token}",
            ]
            argv += ["-H", "Accept: application/json", "-H", "Content-Type: application/json"]
            argv += ["--data", data] if data else []
            argv.append(url)
        else:
            argv = [sys.executable, "-c", ONE_SHOT, method, url, self.token, data]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"scripted {method} {path} failed: {(done.stdout + done.stderr)[:500]}")
        if method == "GET":
            self.reads += 1
        else:
            self.writes += 1
        return json.loads(done.stdout) if done.stdout.strip() else None

    def first(self, path: str, **query: str) -> dict[str, Any]:
        """The first result of a filtered list call."""
        found: list[dict[str, Any]] = self.call("GET", f"{path}?{urlencode(query)}")["results"]
        if not found:
            raise RuntimeError(f"scripted lookup {path} {query} found nothing")
        return found[0]

    def make_tenant(self, tenant: Tenant) -> None:
        """The guide's steps for one tenant."""
        provider_spec = OAuth2ProviderSpec(
            name=tenant.provider_name,
            client_id=tenant.client_id,
            redirect_uris=tenant.redirect_uris,
        )
        authorization = self.first("flows/instances/", slug=DEFAULT_AUTHORIZATION_FLOW)["pk"]
        invalidation = self.first("flows/instances/", slug=DEFAULT_INVALIDATION_FLOW)["pk"]
        key = self.first("crypto/certificatekeypairs/", name=DEFAULT_SIGNING_KEY)["pk"]
        mappings = self.call("GET", "propertymappings/provider/scope/?page_size=100")["results"]
        scopes = {m["scope_name"]: str(m["pk"]) for m in mappings if m["scope_name"] in provider_spec.scopes}
        ids = ResolvedIds(
            authorization_flow=str(authorization),
            invalidation_flow=str(invalidation),
            signing_key=str(key),
            scopes=scopes,
        )
        provider = self.call("POST", "providers/oauth2/", oauth2_provider.body(provider_spec, ids))
        app_spec = ApplicationSpec(
            name=tenant.app_name,
            slug=tenant.app_slug,
            provider=int(provider["pk"]),
            launch_url=tenant.launch_url,
            public_url=PUBLIC_URL,
        )
        self.call("POST", "core/applications/", application.body(app_spec))
        secret = self.call("GET", f"providers/oauth2/{provider['pk']}/")["client_secret"]
        if not secret:
            raise RuntimeError(f"provider {tenant.provider_name} has no client secret")
        group_spec = GroupSpec(name=tenant.group_name, attributes=tenant.group_attributes)
        self.call("POST", "core/groups/", group.body(group_spec, GUIDE_DIALECT))

    def run(self, tenants: list[Tenant]) -> ScriptedRun:
        """Make every tenant's objects in sequence; time it all."""
        self.reads = self.writes = 0
        start = time.perf_counter()
        for tenant in tenants:
            self.make_tenant(tenant)
        return ScriptedRun(time.perf_counter() - start, self.reads, self.writes, self.transport)
