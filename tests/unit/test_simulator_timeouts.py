"""A simulator's request that times out does not end that parcel's simulation: a read answers None
(read again later), an event is sent again until it is answered (it carries its event_id, so one
that did land is a duplicate). Before, the timeout escaped and the parcel was never simulated further."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from devstack.simulators import _Api


class _Slow(BaseHTTPRequestHandler):
    """Answers 200 after `delays.pop(0)` seconds (0 once the list is empty); counts requests."""

    delays: list[float] = []
    seen: list[str] = []

    def _answer(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        time.sleep(self.delays.pop(0) if self.delays else 0)
        body = json.dumps({"order_id": "ord_1", "outcome": "applied"}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def slow_api() -> Iterator[str]:
    _Slow.delays, _Slow.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_read_that_times_out_answers_none_and_the_next_read_answers(slow_api: str) -> None:
    api = _Api(slow_api, "key", threading.Event(), timeout_s=0.2)
    _Slow.delays = [1.0]
    assert api.get("/v1/orders/ord_1") is None
    assert api.get("/v1/orders/ord_1") == {"order_id": "ord_1", "outcome": "applied"}


def test_an_event_that_times_out_is_sent_again_until_answered(slow_api: str) -> None:
    api = _Api(slow_api, "key", threading.Event(), patience_s=10, timeout_s=0.2)
    _Slow.delays = [1.0, 1.0]
    assert api.post_event({"event_id": "e-1", "type": "packed", "shipment_id": "shp_1"}) is True
    assert _Slow.seen.count("POST /v1/fulfillment-events") == 3


def test_a_stack_that_is_not_there_is_read_as_not_ready() -> None:
    api = _Api("http://127.0.0.1:9", "key", threading.Event(), patience_s=0.5, timeout_s=0.2)
    assert api.get("/v1/orders/ord_1") is None
    assert api.post_event({"event_id": "e-1", "type": "packed", "shipment_id": "shp_1"}) is False
