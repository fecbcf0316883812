"""Schedules run on the embedded stack (issue 11, case 19): moto never fires EventBridge rules, so
the stack's scheduler runs each scheduled function of the topology (sped up here), and
`waybill schedules run NAME` runs one now."""

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import stripe

from tests.e2e.conftest import ROOT, start_stack, stop_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sped_up(tmp_path_factory):
    # x7200: the hourly sweep every 0.5 s, the daily reconciliation every 12 s
    env = {"WAYBILL_SIMULATORS": "off", "WAYBILL_DEV_SCHEDULE_SPEEDUP": "7200"}
    running = start_stack(tmp_path_factory.mktemp("e2e-schedules") / "state", env)
    yield running
    stop_stack(running)


def waybill(stack, *args):
    env = {**os.environ, "WAYBILL_STATE_DIR": str(stack.state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "devstack.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_sweep_and_the_reconciliation_run_by_themselves_and_on_demand(sped_up):
    from shared.adapters.dynamodb_ledger import DynamoDBLedger
    from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus

    info = sped_up.info
    client = stripe.StripeClient("sk_test_e2e", base_addresses={"api": info["localstripe"]})
    intent = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    ).id
    ledger = DynamoDBLedger(
        boto3.client("dynamodb", endpoint_url=info["moto"], region_name=info["region"]),
        info["resources"]["tables"]["ledger"],
    )
    refund_id = f"rf_{uuid.uuid4().hex[:20]}"
    stuck = LedgerEntry(
        refund_id, f"ord_{uuid.uuid4().hex[:12]}", intent, 700, "USD", RefundReason.CANCELLATION, refund_id,
        f"k-{refund_id}", RefundStatus.PENDING, None, None, datetime.now(UTC) - timedelta(hours=1), None,
    )  # fmt: skip
    ledger.open(stuck, 2000)  # a refund whose flow died an hour ago: nobody runs anything by hand
    deadline = time.monotonic() + 60
    while ledger.get(refund_id).status is RefundStatus.PENDING:  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the scheduled sweep never paid the stuck refund"
        time.sleep(0.5)
    assert ledger.get(refund_id).status is RefundStatus.SUCCEEDED  # type: ignore[union-attr]

    log = sped_up.state_dir / "functions.log"
    deadline = time.monotonic() + 40
    while '"reconciled"' not in log.read_text():
        assert time.monotonic() < deadline, "the scheduled reconciliation never ran"
        time.sleep(0.5)

    listed = waybill(sped_up, "schedules", "list")
    assert listed.returncode == 0, listed.stderr
    assert "refund-sweep" in listed.stdout
    assert "daily-reconciliation" in listed.stdout
    ran = waybill(sped_up, "schedules", "run", "daily-reconciliation")
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout.splitlines()[0])["reconciliation_id"]
    swept = waybill(sped_up, "schedules", "run", "sweep_refunds")
    assert swept.returncode == 0, swept.stderr
    assert json.loads(swept.stdout.splitlines()[0])["swept"] == []  # nothing is stuck any more
    unknown = waybill(sped_up, "schedules", "run", "no-such-schedule")
    assert unknown.returncode == 2
    assert "refund-sweep" in unknown.stderr
