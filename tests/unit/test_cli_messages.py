"""The CLI answers a stack it cannot use with one line saying what to do, never a traceback."""

import json
import os

import pytest

from devstack import cli
from devstack.stack import free_port


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "STATE_DIR", tmp_path)
    return tmp_path


def _dev_json(state_dir, pid):
    port = free_port()  # nothing listens there
    info = {
        "pid": pid,
        "api": f"http://127.0.0.1:{port}",
        "moto": f"http://127.0.0.1:{port}",
        "region": "us-east-1",
        "keys": {"admin": "a", "finance": "f"},
        "resources": {"queues": {"intake": f"http://127.0.0.1:{port}/123456789012/waybill-intake"}},
    }
    (state_dir / "dev.json").write_text(json.dumps(info))


def test_a_stack_that_stopped_answering_gets_one_line(state_dir, capsys):
    _dev_json(state_dir, os.getpid())  # a live process, but no API behind the URL
    assert cli.main(["finance", "refunds"]) == 1
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1
    assert said[0].startswith("waybill: cannot reach the stack: http://127.0.0.1:")
    assert "make dev" in said[0]


def test_no_dev_json_says_how_to_start_one(state_dir):
    with pytest.raises(SystemExit) as exited:
        cli.main(["reorders"])
    assert "start one with `make dev`, or pass --api and --key" in str(exited.value.code)


def test_intake_send_needs_each_orders_channel(state_dir, tmp_path):
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([{"external_id": "B-1", "channel": "b2b"}, {"external_id": "B-2"}]))
    _dev_json(state_dir, os.getpid())
    with pytest.raises(SystemExit) as exited:
        cli.main(["intake", "send", str(orders)])
    assert str(exited.value.code) == f'{orders}: order 2 has no "channel" (add one, or pass --channel)'
