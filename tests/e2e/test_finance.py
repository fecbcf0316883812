"""Finance over HTTP on the embedded stack: the refund ledger and reconciliations against localstripe."""

import csv
import io
import json
import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
import requests
import stripe

from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus, refund_key

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def stripe_client(stack):
    return stripe.StripeClient("sk_test_e2e", base_addresses={"api": stack.info["localstripe"]})


def ledger(stack):
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.info["moto"],
        region_name=stack.info["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return DynamoDBLedger(client, stack.info["resources"]["tables"]["ledger"])


def open_entry(stack, payment_intent, amount=700):
    order_id, cause = f"ord_e2e{uuid.uuid4().hex[:12]}", f"cancel-{uuid.uuid4().hex[:8]}"
    entry = LedgerEntry(
        refund_id=f"rf_{uuid.uuid4().hex[:16]}",
        order_id=order_id,
        payment_intent=payment_intent,
        amount=amount,
        currency="USD",
        reason=RefundReason.CANCELLATION,
        cause_id=cause,
        idempotency_key=refund_key(order_id, cause),
        status=RefundStatus.PENDING,
        stripe_refund_id=None,
        failure_reason=None,
        created_at=datetime.now(UTC),
        settled_at=None,
    )
    return ledger(stack).open(entry, captured=5000)


def reconcile_today(stack, who="finance"):
    return stack.call("POST", "/v1/finance/reconciliations", who, json={"date": datetime.now(UTC).date().isoformat()})


def rows_of(report, **match):
    return [row for row in report["rows"] if all(row[k] == v for k, v in match.items())]


@pytest.fixture
def scenario(stack, pay):
    """One refund of each kind: made in Stripe only, recorded in Waybill only, and a matching pair."""
    stripe_only_pi = pay(5000)
    stripe_only = stripe_client(stack).v1.refunds.create(params={"payment_intent": stripe_only_pi, "amount": 500})
    waybill_only = open_entry(stack, pay(5000))
    paired_pi = pay(5000)
    paired = open_entry(stack, paired_pi, amount=1200)
    refund = stripe_client(stack).v1.refunds.create(
        params={"payment_intent": paired_pi, "amount": 1200, "metadata": {"refund_id": paired.refund_id}}
    )
    settled = ledger(stack).settle(paired.refund_id, RefundStatus.SUCCEEDED, refund.id, None, datetime.now(UTC))
    created = reconcile_today(stack)
    assert created.status_code == 201, created.text
    return {
        "stripe_only": (stripe_only_pi, stripe_only.id),
        "waybill_only": waybill_only,
        "paired": settled,
        "created": created,
    }


def test_a_reconciliation_classifies_each_refund(scenario):
    created = scenario["created"]
    body = created.json()
    rec_id = body["reconciliation_id"]
    assert rec_id.startswith(f"rec_{datetime.now(UTC):%Y%m%d}_")
    assert created.headers["Location"] == f"/v1/finance/reconciliations/{rec_id}"
    assert set(body["summary"]) == {
        "matched",
        "missing_in_stripe",
        "missing_in_waybill",
        "amount_mismatch",
        "status_mismatch",
    }
    assert body["summary"]["missing_in_waybill"]["count"] >= 1
    assert body["summary"]["missing_in_stripe"]["count"] >= 1
    assert body["summary"]["matched"]["count"] >= 1
    assert body["clean"] is False
    assert body["period_start"].startswith(datetime.now(UTC).date().isoformat())


def test_the_stored_report_has_our_rows(stack, scenario):
    rec_id = scenario["created"].json()["reconciliation_id"]
    answer = stack.call("GET", f"/v1/finance/reconciliations/{rec_id}", "finance")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["reconciliation_id"] == rec_id
    pi, stripe_id = scenario["stripe_only"]
    [stripe_only] = rows_of(report, stripe_refund_id=stripe_id)
    assert (stripe_only["kind"], stripe_only["payment_intent"], stripe_only["stripe_amount"]) == (
        "missing_in_waybill",
        pi,
        500,
    )
    [waybill_only] = rows_of(report, refund_id=scenario["waybill_only"].refund_id)
    assert (waybill_only["kind"], waybill_only["ledger_amount"], waybill_only["ledger_status"]) == (
        "missing_in_stripe",
        700,
        "PENDING",
    )
    paired = scenario["paired"]
    [matched] = rows_of(report, refund_id=paired.refund_id)
    assert matched["kind"] == "matched"
    assert (matched["stripe_refund_id"], matched["ledger_amount"], matched["stripe_amount"]) == (
        paired.stripe_refund_id,
        1200,
        1200,
    )
    # the summary counts the rows
    for kind, summary in report["summary"].items():
        assert summary["count"] == len(rows_of(report, kind=kind))


def test_the_csv_and_json_links_download_the_report(stack, scenario):
    body = scenario["created"].json()
    csv_answer = requests.get(body["csv_url"], timeout=30)
    assert csv_answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(csv_answer.text)))
    assert csv_answer.text.splitlines()[0].startswith("kind,refund_id,order_id,payment_intent,currency")
    assert any(r["refund_id"] == scenario["waybill_only"].refund_id and r["kind"] == "missing_in_stripe" for r in rows)
    stored = requests.get(body["json_url"], timeout=30).json()
    assert stored["reconciliation_id"] == body["reconciliation_id"]


def test_past_reconciliations_are_listed_newest_first_with_their_classes(stack, scenario):
    first = scenario["created"].json()
    again = reconcile_today(stack)
    assert again.status_code == 201, again.text
    second = again.json()
    answer = stack.call("GET", "/v1/finance/reconciliations", "finance", params={"limit": 50})
    assert answer.status_code == 200, answer.text
    page = answer.json()
    ids = [r["reconciliation_id"] for r in page["reconciliations"]]
    assert ids.index(second["reconciliation_id"]) < ids.index(first["reconciliation_id"])
    ran = [datetime.fromisoformat(r["ran_at"]) for r in page["reconciliations"]]
    assert ran == sorted(ran, reverse=True)
    listed = page["reconciliations"][ids.index(first["reconciliation_id"])]
    assert listed["summary"] == first["summary"]
    assert (listed["day"], listed["clean"]) == (datetime.now(UTC).date().isoformat(), False)
    assert listed["period_start"] == first["period_start"]
    totals = listed["totals"]
    assert totals["count"] == sum(s["count"] for s in first["summary"].values())
    assert totals["ledger_amounts"]["USD"] == sum(s["ledger_amounts"].get("USD", 0) for s in first["summary"].values())
    assert totals["stripe_amounts"]["USD"] >= 500 + 1200  # the scenario's Stripe-only and paired refunds
    # its CSV link downloads that reconciliation's report
    rows = list(csv.DictReader(io.StringIO(requests.get(listed["csv_url"], timeout=30).text)))
    assert len(rows) == totals["count"]
    assert any(r["refund_id"] == scenario["waybill_only"].refund_id for r in rows)

    # a page at a time: each once, in the same order, until `next` is null
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        paged = stack.call("GET", "/v1/finance/reconciliations", "finance", params=params).json()
        assert len(paged["reconciliations"]) <= 2
        seen += [r["reconciliation_id"] for r in paged["reconciliations"]]
        cursor = paged["next"]
        if cursor is None:
            break
    assert seen[: len(ids)] == ids
    assert len(seen) == len(set(seen))


def test_the_ledger_lists_by_order_status_and_time(stack, scenario):
    paired = scenario["paired"]
    answer = stack.call("GET", "/v1/finance/refunds", "finance", params={"order_id": paired.order_id})
    assert answer.status_code == 200, answer.text
    [refund] = answer.json()["refunds"]
    assert refund["refund_id"] == paired.refund_id
    assert (refund["amount"], refund["currency"], refund["status"]) == (1200, "USD", "SUCCEEDED")
    assert refund["stripe_refund_id"] == paired.stripe_refund_id
    assert refund["settled_at"] is not None
    assert refund["reason"] == "cancellation"
    assert {"failure_reason", "created_at", "order_id", "payment_intent"} <= set(refund)

    pending = stack.call("GET", "/v1/finance/refunds", "ops", params={"status": "PENDING"}).json()["refunds"]
    ids = {r["refund_id"] for r in pending}
    assert scenario["waybill_only"].refund_id in ids
    assert paired.refund_id not in ids
    # no filter narrows it: the last 30 days, a page at a time (a page reads at most 8 days: the
    # first ones may be empty while `next` is set), each once, until `next` is null
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        paged = stack.call("GET", "/v1/finance/refunds", "finance", params=params).json()
        assert len(paged["refunds"]) <= 1
        seen += [r["refund_id"] for r in paged["refunds"]]
        if (cursor := paged["next"]) is None:
            break
    assert {scenario["waybill_only"].refund_id, paired.refund_id} <= set(seen)
    assert len(seen) == len(set(seen))
    other_order = stack.call("GET", "/v1/finance/refunds", "finance", params={"order_id": "ord_nobody"})
    assert other_order.json() == {"refunds": [], "next": None}


def test_bad_requests_are_refused(stack):
    assert reconcile_today(stack, who="ops").status_code == 403
    assert stack.call("GET", "/v1/finance/reconciliations/rec_20260101_000000_00000000", "ops").status_code == 403
    assert stack.call("GET", "/v1/finance/refunds", "web").status_code == 403
    assert stack.call("GET", "/v1/finance/reconciliations", "ops").status_code == 403
    for path, cursor in (
        ("/v1/finance/reconciliations", "not-a-cursor"),
        ("/v1/finance/reconciliations", "eyJiZWZvcmUiOiAiMjAyNiJ9"),  # {"before": "2026"}
        ("/v1/finance/refunds", "eyJiZWZvcmUiOiAiMjAyNiJ9"),
    ):
        refused = stack.call("GET", path, "finance", params={"cursor": cursor})
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert (error["code"], error["details"]) == ("invalid_cursor", [])
        assert "cursor" in error["message"]
    for params in ({"limit": "0"}, {"limit": "201"}, {"since": "2026-01-01T00:00:00Z"}):
        refused = stack.call("GET", "/v1/finance/reconciliations", "finance", params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.json()["error"]["code"] == "validation_failed"
    for body in (
        {"date": "2026-13-45"},
        {"date": "yesterday"},
        {},
        {"date": "2026-01-01", "period_start": "2026-01-01T00:00:00Z"},
        {"period_start": "2026-01-01T00:00:00Z", "period_end": "2026-03-01T00:00:00Z"},
        {"period_start": "2026-01-02T00:00:00", "period_end": "2026-01-03T00:00:00"},
    ):
        refused = stack.call("POST", "/v1/finance/reconciliations", "finance", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["code"] == "validation_failed"
    for params in (
        {"since": "2026-01-01T00:00:00"},
        {"since": "2020-01-01T00:00:00Z"},
        {"status": "LOST"},
        {"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
        {"limit": "0"},
        {"limit": "501"},
    ):
        refused = stack.call("GET", "/v1/finance/refunds", "finance", params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.json()["error"]["code"] == "validation_failed"
    unknown = stack.call("GET", "/v1/finance/reconciliations/rec_20200101_000000_00000000", "finance")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert stack.call("GET", "/v1/finance/reconciliations/..%2Fsecrets", "finance").status_code == 404


def test_the_cli_reconciles_on_the_running_stack(stack, scenario, tmp_path):
    state = tmp_path / ".waybill"
    state.mkdir()
    shutil.copy(stack.state_dir / "dev.json", state / "dev.json")
    env = {**os.environ, "WAYBILL_STATE_DIR": str(state)}
    today = datetime.now(UTC).date().isoformat()
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "waybill"), "finance", "reconcile", "--date", today],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reconciliation rec_" in done.stdout
    assert "missing_in_waybill" in done.stdout
    assert "CSV   http" in done.stdout
    assert "JSON  http" in done.stdout
    strict = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "waybill"), "finance", "reconcile", "--date", today, "--strict"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert strict.returncode == 1  # our scenario left it unclean
    listed = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "waybill"), "finance", "refunds", "--order", scenario["paired"].order_id],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert scenario["paired"].refund_id in listed.stdout
    assert "1 refund(s)" in listed.stdout
    bad = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "waybill"), "finance", "reconcile", "--date", "2026-02-30"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode != 0
    assert "validation_failed" in bad.stderr
    assert json.loads((state / "dev.json").read_text())["keys"]["finance"]
