"""The main job, `waybill demo` (what `make run` runs), end to end; with `--stay` the stack stays up
after it, so the console has the demo's orders to show: the underpaid one waits in the exception
queue for a person."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from devstack.stack import free_port
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_the_demo_succeeds_and_with_stay_leaves_its_held_order_in_the_queue(tmp_path):
    state = tmp_path / "state"
    env = {**os.environ, "WAYBILL_STATE_DIR": str(state)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack.cli", "demo", "--stay", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    said: list[str] = []
    try:
        deadline = time.monotonic() + 600
        assert proc.stdout is not None
        for line in proc.stdout:
            said.append(line)
            if "the stack stays up" in line or time.monotonic() > deadline:
                break
        out = "".join(said)
        assert "the stack stays up" in out, out[-4000:]
        assert "order(s) for a person" in out
        info = json.loads((state / "dev.json").read_text())
        page = requests.get(
            info["api"] + "/v1/ops/exceptions",
            headers={"Authorization": f"Bearer {info['keys']['ops']}"},
            timeout=30,
        ).json()
        held = [row for row in page["exceptions"] if row["external_id"] == "MKT-A-90017"]
        assert [row["type"] for row in held] == ["payment_hold"], page
        assert "release_hold" in held[0]["actions"]
        assert requests.get(info["console"], timeout=30).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    out = "".join(said) + rest
    assert proc.returncode == 0, out[-4000:]  # the demo itself succeeded (its own checks)
    assert "stack stopped" in out
