"""`waybill ops`: readable tables, and the requests the commands make (here against a recording
HTTP server on loopback; tests/e2e/test_ops_reads.py runs them against the embedded stack)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from devstack import cli
from devstack.ops_cli import age, render, steps_table

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_ages_read_as_a_person_says_them():
    assert [age((NOW - d).isoformat(), NOW) for d in (timedelta(seconds=45), timedelta(minutes=12))] == ["45s", "12m"]
    assert [age((NOW - d).isoformat(), NOW) for d in (timedelta(hours=3), timedelta(days=2))] == ["3h", "2d"]
    assert age(None, NOW) == "-"


def test_tables_align_columns_and_cut_long_text():
    out = render(["order_id", "count", "reason"], [{"order_id": "ord_1", "count": 7, "reason": "x " * 80}], ("count",))
    header, rule, row = out.splitlines()
    assert header.split() == ["order_id", "count", "reason"]
    assert set(rule) == {"-"}
    assert row.startswith("ord_1")
    assert row.rstrip().endswith("…")
    assert len(row) < 100
    assert header.index("count") + len("count") == row.index("7") + 1  # numbers right-aligned under their header


def test_steps_show_their_iteration_outcome_and_error():
    detail = {
        "steps": [
            {
                "name": "BuyLabel",
                "type": "Task",
                "iteration": 1,
                "outcome": "caught",
                "entered_at": "t",
                "duration_ms": 12,
                "retries": 2,
                "error": "CarrierUnavailable",
                "cause": "down",
            },
        ]
    }
    row = steps_table(detail).splitlines()[2]
    assert row.split()[:5] == ["BuyLabel", "[1]", "Task", "caught", "t"]
    assert "CarrierUnavailable: down" in row


class _Recorder(BaseHTTPRequestHandler):
    answers: dict[tuple[str, str], Any] = {}
    seen: list[dict[str, Any]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        path, _, query = self.path.partition("?")
        self.seen.append({"method": self.command, "path": path, "query": query, "body": body, "headers": self.headers})
        data = json.dumps(self.answers[(self.command, path)]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.seen.clear()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_ops_exceptions_asks_with_its_filters_and_prints_the_queue_and_counts(api, capsys):
    since = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    entry = {
        "order_id": "ord_1",
        "external_id": "W-1",
        "channel": "web",
        "type": "payment_hold",
        "reason": "underpaid",
        "since": since,
        "actions": ["release_hold", "cancel"],
    }
    _Recorder.answers = {
        ("GET", "/v1/ops/exceptions"): {"exceptions": [entry], "counts": {"payment_hold": 1}, "next": None}
    }
    assert cli.main(["ops", "exceptions", "--type", "payment_hold", "--oldest", "--api", api, "--key", "k"]) == 0
    [request] = _Recorder.seen
    assert request["headers"]["Authorization"] == "Bearer k"
    assert sorted(request["query"].split("&")) == ["order=oldest", "type=payment_hold"]
    out = capsys.readouterr().out
    assert "ord_1" in out
    assert "3h" in out
    assert "release_hold, cancel" in out
    assert "payment_hold 1" in out


def test_ops_act_posts_the_action_with_its_reason_and_an_idempotency_key(api, capsys):
    order = {
        "order_id": "ord_1",
        "status": "RECEIVED",
        "history": [{"at": "t", "event": "hold_released", "actor": {"kind": "ops", "name": "ops"}, "cause": "ok"}],
    }
    _Recorder.answers = {("POST", "/v1/orders/ord_1/actions"): order}
    args = ["ops", "act", "ord_1", "release_hold", "--reason", "paid by phone", "--api", api, "--key", "k"]
    assert cli.main(args) == 0
    assert cli.main(args) == 0
    first, second = _Recorder.seen
    assert first["body"] == {"action": "release_hold", "reason": "paid by phone"}
    assert first["headers"]["Idempotency-Key"] != second["headers"]["Idempotency-Key"]  # a new action each time
    assert "status now RECEIVED" in capsys.readouterr().out
    assert cli.main([*args, "--idempotency-key", "again-1"]) == 0
    assert _Recorder.seen[-1]["headers"]["Idempotency-Key"] == "again-1"


def test_stock_shards_puts_the_count_and_rebalance_prints_the_moves_and_shards(api, capsys):
    sharded = {
        "sku": "MUG",
        "stock": {"node_id": "dc", "on_hand": 9, "reserved": 1, "available": 8, "shards": 2},
        "parts": [
            {"shard": 0, "on_hand": 5, "reserved": 1, "available": 4},
            {"shard": 1, "on_hand": 4, "reserved": 0, "available": 4},
        ],
        "moves": [{"source": 0, "target": 1, "units": 4}],
    }
    _Recorder.answers = {("PUT", "/v1/inventory/MUG"): {**sharded, "moves": []}}
    assert cli.main(["stock", "shards", "MUG", "dc", "2", "--api", api, "--key", "k"]) == 0
    assert _Recorder.seen[-1]["body"] == {"node_id": "dc", "shards": 2, "rebalance": False}
    assert "MUG at dc: 2 shard(s), on hand 9, reserved 1, available 8" in capsys.readouterr().out
    _Recorder.answers = {("PUT", "/v1/inventory/MUG"): sharded}
    assert cli.main(["stock", "rebalance", "MUG", "dc", "--api", api, "--key", "k"]) == 0
    assert _Recorder.seen[-1]["body"] == {"node_id": "dc", "rebalance": True}
    out = capsys.readouterr().out
    assert "moved 4 from shard 0 to shard 1" in out
    assert [line.split() for line in out.splitlines()[-2:]] == [["0", "5", "1", "4"], ["1", "4", "0", "4"]]
