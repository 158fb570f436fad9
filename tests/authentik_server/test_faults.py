"""Each fault knob."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.authentik_server.server import AuthentikServer

CONFIG = "/api/v3/root/config/"


def test_not_ready_refuse_closes_the_socket_then_recovers(server: AuthentikServer, api: httpx.Client) -> None:
    server.faults.not_ready(0.6, mode="refuse")
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + CONFIG, timeout=2)
    time.sleep(0.9)
    assert httpx.get(server.url + CONFIG, timeout=2).status_code == 200
    assert server.running


def test_not_ready_503_answers_like_the_go_router(server: AuthentikServer, api: httpx.Client) -> None:
    server.faults.not_ready(0.5, mode="503")
    for path in (CONFIG, "/-/health/live/", "/api/v3/core/users/me/"):
        response = api.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 503
        assert response.json() == {"error": "authentik starting"}
        assert response.headers["Retry-After"] == "5"
    html = api.get(CONFIG, headers={"Accept": "text/html"})
    assert html.status_code == 503 and html.headers["Content-Type"].startswith("text/html")
    time.sleep(0.6)
    assert api.get(CONFIG).status_code == 200


def test_not_ready_rejects_unknown_modes(server: AuthentikServer) -> None:
    with pytest.raises(ValueError, match="unknown not_ready mode"):
        server.faults.not_ready(1, mode="sleep")


def test_fail_next_honours_count_and_prefix(server: AuthentikServer, api: httpx.Client) -> None:
    server.reset_calls()
    server.faults.fail_next(2, status=502, path_prefix="/api/v3/core/")
    assert api.get(CONFIG).status_code == 200  # other prefix: untouched
    first = api.get("/api/v3/core/users/me/")
    assert (first.status_code, first.text) == (502, "Bad Gateway")
    assert api.post("/api/v3/core/groups/", json={"name": "never-created"}).status_code == 502
    assert api.get("/api/v3/core/users/me/").status_code == 200
    assert [c.status for c in server.calls] == [200, 502, 502, 200]
    assert api.get("/api/v3/core/groups/?name=never-created").json()["pagination"]["count"] == 0


@pytest.mark.parametrize(
    ("status", "body_check"),
    [
        (500, lambda r: "Server Error (500)" in r.text),
        (
            429,
            lambda r: r.json()["detail"].startswith("Request was throttled") and "Retry-After" in r.headers,
        ),
        (503, lambda r: r.json() == {"error": "authentik starting"}),
    ],
)
def test_fail_next_bodies(
    server: AuthentikServer, api: httpx.Client, status: int, body_check: object
) -> None:
    server.faults.fail_next(1, status=status)
    response = api.get(CONFIG, headers={"Accept": "application/json"})
    assert response.status_code == status
    assert callable(body_check) and body_check(response)


def test_fail_rate_is_reproducible(server: AuthentikServer, api: httpx.Client) -> None:
    def run() -> list[int]:
        server.faults.fail_rate(0.5, statuses=(500, 502, 503, 429), seed=7)
        return [api.get(CONFIG).status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert 200 in first and set(first) - {200}
    assert set(first) <= {200, 500, 502, 503, 429}
    server.faults.fail_rate(1.0, statuses=(429,))
    assert api.get(CONFIG).status_code == 429
    server.faults.clear()
    assert api.get(CONFIG).status_code == 200


def test_drop_response_after_write_commits_then_resets(server: AuthentikServer, api: httpx.Client) -> None:
    server.reset_calls()
    server.faults.drop_response_after_write(1, path_prefix="/api/v3/core/groups/")
    assert api.get("/api/v3/core/groups/").status_code == 200  # reads are never dropped
    with pytest.raises(httpx.TransportError):
        api.post("/api/v3/core/groups/", json={"name": "dropped-but-created"})
    listed = api.get("/api/v3/core/groups/?name=dropped-but-created").json()
    assert listed["pagination"]["count"] == 1
    dropped = [c for c in server.calls if c.dropped]
    assert [(c.method, c.status) for c in dropped] == [("POST", 201)]
    retry = api.post("/api/v3/core/groups/", json={"name": "dropped-but-created"})
    assert retry.json() == {"name": ["This field must be unique."]}


def test_drop_ignores_failed_writes(server: AuthentikServer, api: httpx.Client) -> None:
    server.faults.drop_response_after_write(1)
    assert api.post("/api/v3/core/groups/", json={}).status_code == 400  # nothing committed: answered
    with pytest.raises(httpx.TransportError):
        api.post("/api/v3/core/groups/", json={"name": "second-write-dropped"})


def test_latency_per_route_and_default(server: AuthentikServer, api: httpx.Client) -> None:
    server.faults.latency(default_seconds=0.0, per_route={f"GET {CONFIG}": 0.3})
    started = time.monotonic()
    api.get(CONFIG)
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    api.get("/api/v3/core/users/me/")
    assert time.monotonic() - started < 0.25
    server.faults.latency(default_seconds=0.2)
    started = time.monotonic()
    api.get("/api/v3/core/users/me/")
    assert time.monotonic() - started >= 0.2


def test_latency_route_patterns_and_drawn_delays(server: AuthentikServer, api: httpx.Client) -> None:
    group = api.post("/api/v3/core/groups/", json={"name": "latency-pattern"}).json()
    detail = f"/api/v3/core/groups/{group['pk']}/"
    server.faults.latency(0.0, {"GET /api/v3/core/groups/*/": [0.0, 0.25], f"GET {CONFIG}": 0.0}, seed=3)
    assert server.faults.delay_for("GET", detail) in (0.0, 0.25)
    assert server.faults.delay_for("GET", "/api/v3/core/groups/") == 0.0  # the list is another route
    assert server.faults.delay_for("PATCH", detail) == 0.0  # and so is another method
    draws = [server.faults.delay_for("GET", detail) for _ in range(40)]
    assert set(draws) == {0.0, 0.25}
    server.faults.latency(0.0, {"GET /api/v3/core/groups/*/": [0.0, 0.25]}, seed=3)
    assert [server.faults.delay_for("GET", detail) for _ in range(41)][1:] == draws  # same seed, same draws
    server.faults.latency(0.0, {"GET /api/v3/core/groups/*/": [0.3]})
    started = time.monotonic()
    assert api.get(detail).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_clear_removes_every_fault(server: AuthentikServer, api: httpx.Client) -> None:
    server.faults.fail_next(5)
    server.faults.fail_rate(1.0)
    server.faults.not_ready(30, mode="503")
    server.faults.latency(default_seconds=1)
    server.faults.clear()
    started = time.monotonic()
    assert api.get(CONFIG).status_code == 200
    assert time.monotonic() - started < 0.5


def test_not_ready_refuse_leaves_a_stopped_server_stopped() -> None:
    srv = AuthentikServer(bootstrap_token=None, akadmin_password="pw")
    srv.faults.not_ready(0.1, mode="refuse")
    time.sleep(0.3)
    assert not srv.running
