"""The README's command for real: uvicorn serves ``cqrs_lab.api:app_factory`` on 127.0.0.1,
and httpx talks to it over a socket (place, see the gap, catch up, read)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from cqrs_lab.orders import ADA, DEMO_ADDRESS  # noqa: E402
from cqrs_lab.time_and_ids import defaults  # noqa: E402

STARTUP_LIMIT_S = 30.0  # a hang guard, not a speed check


@contextmanager
def served(app: str) -> Iterator[str]:
    """Serve ``app`` (an import string) with uvicorn in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, chosen by the OS, held until uvicorn listens
    host, port = sock.getsockname()
    config = uvicorn.Config(app, factory=True, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_LIMIT_S
    try:
        # Wait on the server thread itself: it ends at once if startup fails.
        while not server.started:
            thread.join(timeout=0.01)
            assert thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < deadline, "uvicorn did not start"
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_LIMIT_S)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not shut down"


@pytest.fixture
def demo_environment(monkeypatch):
    """The factory's default (async) mode; message defaults restored afterwards, since the
    served lab installs its wall clock and random ids."""
    monkeypatch.delenv("CQRS_LAB_CONSISTENCY", raising=False)
    monkeypatch.setattr(defaults, "_clock", defaults._clock)
    monkeypatch.setattr(defaults, "_ids", defaults._ids)


def test_uvicorn_serves_the_demo_app_place_catch_up_and_read(demo_environment):
    order = {
        "customer_id": str(ADA),
        "items": [{"product_id": "CRUNCHY-ARMCHAIR", "quantity": 1, "unit_price": 249.0}],
        "shipping_address": DEMO_ADDRESS.model_dump(),
    }
    with served("cqrs_lab.api:app_factory") as base, httpx.Client(base_url=base) as http:
        placed = http.post("/api/v1/orders", json=order)
        assert placed.status_code == 201
        location, position = placed.headers["location"], placed.json()["position"]

        not_yet = http.get(location)
        assert not_yet.status_code == 404
        assert int(not_yet.headers["x-projection-position"]) < position

        assert http.post("/api/v1/projector/catch-up").json()["position"] == position
        read = http.get(location)
        assert read.status_code == 200
        assert read.json()["customer_name"] == "Ada Lovelace"
        assert read.json()["total_amount"] == 249.0
        assert http.get("/docs").status_code == 200

        # A price JSON parses to NaN: a 422 naming it, over a real socket (it was a 500).
        nan = placed.request.content.replace(b"249.0", b"NaN")
        refused = http.post(
            "/api/v1/orders", content=nan, headers={"content-type": "application/json"}
        )
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "items", 0, "unit_price"]
