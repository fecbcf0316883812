"""Reconciliation of the refund ledger against Stripe: every class of row, the summary, CSV and JSON."""

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from shared.domain.reconciliation import CSV_COLUMNS, Match, reconcile, to_csv, to_json
from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus, StripeRefund

DAY = datetime(2026, 11, 22, tzinfo=UTC)
NEXT = DAY + timedelta(days=1)


def entry(n, amount=1000, status=RefundStatus.SUCCEEDED, stripe_id=None, at=DAY + timedelta(hours=1), currency="USD"):
    return LedgerEntry(
        refund_id=f"rf_{n}",
        order_id=f"ord_{n}",
        payment_intent=f"pi_{n}",
        amount=amount,
        currency=currency,
        reason=RefundReason.CANCELLATION,
        cause_id=f"cancel_{n}",
        idempotency_key=f"k{n}",
        status=status,
        stripe_refund_id=stripe_id,
        failure_reason=None,
        created_at=at,
        settled_at=None if status is RefundStatus.PENDING else at,
    )


def refund(n, amount=1000, status="succeeded", metadata=True, at=DAY + timedelta(hours=1), currency="USD"):
    return StripeRefund(f"re_{n}", f"pi_{n}", amount, currency, status, at, f"rf_{n}" if metadata else None)


def kinds(report):
    return {(row.refund_id, row.stripe_refund_id): row.kind for row in report.rows}


def test_each_class():
    ledger = [
        entry(1, stripe_id="re_1"),  # matched by Stripe refund id
        entry(2),  # matched by metadata (settled before the id was recorded)
        entry(3),  # nothing in Stripe
        entry(4, stripe_id="re_4", amount=1000),  # Stripe refunded 900
        entry(5, status=RefundStatus.PENDING),  # Stripe says succeeded: never settled
        entry(6, status=RefundStatus.FAILED),  # refused by Stripe: nothing to find, consistent
    ]
    stripe = [
        refund(1, metadata=False),
        refund(2),
        refund(4, amount=900),
        refund(5),
        refund(7, metadata=False),  # made in the Stripe dashboard
    ]
    report = reconcile(ledger, stripe, DAY, NEXT)
    assert kinds(report) == {
        ("rf_1", "re_1"): Match.MATCHED,
        ("rf_2", "re_2"): Match.MATCHED,
        ("rf_3", None): Match.MISSING_IN_STRIPE,
        ("rf_4", "re_4"): Match.AMOUNT_MISMATCH,
        ("rf_5", "re_5"): Match.STATUS_MISMATCH,
        ("rf_6", None): Match.MATCHED,
        (None, "re_7"): Match.MISSING_IN_WAYBILL,
    }
    assert not report.clean


def test_a_different_currency_is_an_amount_mismatch():
    report = reconcile([entry(1)], [refund(1, currency="EUR")], DAY, NEXT)
    assert [row.kind for row in report.rows] == [Match.AMOUNT_MISMATCH]


def test_a_failed_stripe_refund_matches_a_failed_entry():
    report = reconcile(
        [entry(1, status=RefundStatus.FAILED, stripe_id="re_1")], [refund(1, status="failed")], DAY, NEXT
    )
    assert [row.kind for row in report.rows] == [Match.MATCHED]
    assert report.clean


def test_a_stripe_refund_recorded_by_id_is_not_matched_again_by_metadata():
    # a second entry naming itself in the same refund's metadata cannot claim it too
    ledger = [entry(1, stripe_id="re_1"), replace(entry(9), refund_id="rf_1x")]
    stripe = [replace(refund(1), metadata_refund_id="rf_1x")]
    assert kinds(reconcile(ledger, stripe, DAY, NEXT)) == {
        ("rf_1", "re_1"): Match.MATCHED,
        ("rf_1x", None): Match.MISSING_IN_STRIPE,
    }


def test_items_outside_the_period_pair_up_but_get_no_row():
    late = entry(1, at=NEXT - timedelta(seconds=1))
    stamped_next_day = refund(1, at=NEXT + timedelta(seconds=1))
    before = entry(2, at=DAY - timedelta(seconds=1))
    its_refund = refund(2, at=DAY + timedelta(seconds=1))
    report = reconcile([late, before], [stamped_next_day, its_refund], DAY, NEXT)
    assert kinds(report) == {("rf_1", "re_1"): Match.MATCHED}
    outside = reconcile([], [refund(3, at=NEXT)], DAY, NEXT)  # the end is exclusive
    assert outside.rows == ()


def test_summary_counts_and_sums_per_class_and_currency():
    ledger = [entry(1), entry(2, amount=250), entry(3, amount=40, currency="EUR"), entry(4, amount=700)]
    stripe = [refund(1), refund(2, amount=250), refund(4, amount=600), refund(8, amount=99, metadata=False)]
    summary = reconcile(ledger, stripe, DAY, NEXT).summary
    assert summary[Match.MATCHED].count == 2
    assert summary[Match.MATCHED].ledger_amounts == {"USD": 1250}
    assert summary[Match.MATCHED].stripe_amounts == {"USD": 1250}
    assert (summary[Match.MISSING_IN_STRIPE].count, summary[Match.MISSING_IN_STRIPE].ledger_amounts) == (1, {"EUR": 40})
    assert summary[Match.MISSING_IN_STRIPE].stripe_amounts == {}
    assert summary[Match.AMOUNT_MISMATCH].ledger_amounts == {"USD": 700}
    assert summary[Match.AMOUNT_MISMATCH].stripe_amounts == {"USD": 600}
    assert (summary[Match.MISSING_IN_WAYBILL].count, summary[Match.MISSING_IN_WAYBILL].stripe_amounts) == (
        1,
        {"USD": 99},
    )
    assert summary[Match.STATUS_MISMATCH].count == 0


def test_csv_has_a_fixed_header_and_one_line_per_row():
    report = reconcile([entry(1), entry(3)], [refund(1), refund(7, amount=5, metadata=False)], DAY, NEXT)
    text = to_csv(report)
    lines = text.splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["kind"] for r in rows] == ["matched", "missing_in_stripe", "missing_in_waybill"]
    assert rows[0] | {"detail": ""} == {
        "kind": "matched",
        "refund_id": "rf_1",
        "order_id": "ord_1",
        "payment_intent": "pi_1",
        "currency": "USD",
        "ledger_amount": "1000",
        "stripe_amount": "1000",
        "ledger_status": "SUCCEEDED",
        "stripe_status": "succeeded",
        "stripe_refund_id": "re_1",
        "detail": "",
    }
    assert (rows[1]["stripe_amount"], rows[2]["ledger_amount"], rows[2]["stripe_amount"]) == ("", "", "5")


def test_json_carries_period_summary_and_rows():
    report = reconcile([entry(1)], [refund(1, amount=1)], DAY, NEXT)
    body = to_json(report)
    assert body["period_start"] == DAY.isoformat()
    assert body["clean"] is False
    assert body["summary"]["amount_mismatch"] == {
        "count": 1,
        "ledger_amounts": {"USD": 1000},
        "stripe_amounts": {"USD": 1},
    }
    assert body["summary"]["matched"]["count"] == 0
    assert body["rows"][0]["kind"] == "amount_mismatch"
    assert body["rows"][0]["ledger_status"] == "SUCCEEDED"
