"""``ConnectVia``: reach a host name by connecting to another origin, keeping the name in ``Host``.

authentik picks a tenant's brand by the Host header alone (transcript 31), and Traefik routes by it too, so
a request for ``https://acme.auth.dezky.local/...`` sent to the proxy at ``https://auth.dezky.local`` with
``Host: acme.auth.dezky.local`` is answered exactly as the browser's would be. ``verify`` uses this when a
tenant's host does not resolve on the machine it runs on (an ``/etc/hosts`` without that line), and says so.
"""

from __future__ import annotations

import httpx


class ConnectVia(httpx.BaseTransport):
    """Sends every request to ``origin`` (scheme, host, port), unchanged otherwise: same path, same
    headers, so ``Host`` still names the URL's host. When the schemes differ (an https URL reached over
    plain http, straight to authentik) it adds ``X-Forwarded-Proto`` with the URL's scheme, as the proxy
    would, because authentik builds its issuers from Host and that header (transcript 25)."""

    def __init__(self, origin: str, inner: httpx.BaseTransport) -> None:
        self.origin = httpx.URL(origin)
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = request.headers.copy()
        if request.url.scheme != self.origin.scheme:
            headers["X-Forwarded-Proto"] = request.url.scheme
        routed = httpx.Request(
            request.method,
            request.url.copy_with(scheme=self.origin.scheme, host=self.origin.host, port=self.origin.port),
            headers=headers,
            stream=request.stream,
            extensions=request.extensions,
        )
        return self.inner.handle_request(routed)

    def close(self) -> None:
        self.inner.close()
