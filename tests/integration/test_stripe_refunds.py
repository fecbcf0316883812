"""Refunds on localstripe: at most one Stripe refund per ledger entry, listing for reconciliation,
error translation, and webhook signature verification with stripe-python."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import stripe

from devstack.stack import free_port
from shared.adapters.stripe_payments import stripe_client
from shared.adapters.stripe_refunds import StripeRefunds
from shared.domain.errors import PaymentProviderUnavailable
from shared.domain.reconciliation import Match, reconcile
from shared.domain.refund_ledger import (
    InvalidWebhookSignature,
    LedgerEntry,
    RefundReason,
    RefundRejected,
    RefundStatus,
    refund_key,
)

SECRET = "whsec_test_secret"


@pytest.fixture
def client(localstripe):
    return stripe_client("sk_test_x", localstripe.url)


def paid_intent(client, amount=5000):
    pi = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert pi.status == "succeeded"
    return pi.id


def entry_for(pi, amount=1500, cause=None):
    cause = cause or f"cancel_{uuid.uuid4().hex[:8]}"
    return LedgerEntry(
        refund_id=f"rf_{uuid.uuid4().hex[:12]}",
        order_id="ord_refund_test",
        payment_intent=pi,
        amount=amount,
        currency="USD",
        reason=RefundReason.CANCELLATION,
        cause_id=cause,
        idempotency_key=refund_key("ord_refund_test", cause),
        status=RefundStatus.PENDING,
        stripe_refund_id=None,
        failure_reason=None,
        created_at=datetime.now(UTC),
        settled_at=None,
    )


def refunds_on(client, pi):
    return list(client.v1.refunds.list(params={"payment_intent": pi, "limit": 100}).auto_paging_iter())


def test_refunding_the_same_entry_twice_makes_one_stripe_refund(client):
    pi = paid_intent(client)
    gateway = StripeRefunds(client, created_filter=False)  # localstripe rejects the filter
    entry = entry_for(pi)
    first = gateway.refund(entry)
    second = gateway.refund(entry)
    assert first == second
    assert (first.payment_intent, first.amount, first.currency, first.status) == (pi, 1500, "USD", "succeeded")
    assert first.metadata_refund_id == entry.refund_id
    on_stripe = refunds_on(client, pi)
    assert [r.id for r in on_stripe] == [first.id]
    assert on_stripe[0].metadata["order_id"] == "ord_refund_test"


def test_another_entry_on_the_same_intent_makes_its_own_refund(client):
    pi = paid_intent(client)
    gateway = StripeRefunds(client, created_filter=False)  # localstripe rejects the filter
    a, b = gateway.refund(entry_for(pi, 1000)), gateway.refund(entry_for(pi, 2000))
    assert a.id != b.id
    assert sorted(r.amount for r in refunds_on(client, pi)) == [1000, 2000]


def test_a_dashboard_refund_shows_up_in_the_listing_and_as_missing_in_waybill(client):
    start = datetime.now(UTC) - timedelta(seconds=2)
    pi = paid_intent(client)
    gateway = StripeRefunds(client, created_filter=False)  # localstripe rejects the filter
    entry = entry_for(pi, 1200)
    ours = gateway.refund(entry)
    theirs = client.v1.refunds.create(params={"payment_intent": pi, "amount": 300})  # no metadata
    end = datetime.now(UTC) + timedelta(seconds=2)

    listed = gateway.list_refunds(start, end)
    by_id = {r.id: r for r in listed}
    assert {ours.id, theirs.id} <= by_id.keys()
    assert by_id[theirs.id].metadata_refund_id is None
    assert all(start <= r.created < end for r in listed)
    assert gateway.list_refunds(end, end + timedelta(hours=1)) == []

    settled = LedgerEntry(
        **{**entry.__dict__, "status": RefundStatus.SUCCEEDED, "stripe_refund_id": ours.id, "settled_at": end}
    )
    report = reconcile([settled], listed, start, end)
    kinds = {row.stripe_refund_id: row.kind for row in report.rows}
    assert kinds[ours.id] == Match.MATCHED
    assert kinds[theirs.id] == Match.MISSING_IN_WAYBILL


def test_listing_pages_through_more_than_one_page(client, monkeypatch):
    monkeypatch.setattr("shared.adapters.stripe_refunds.PAGE", 2)
    start = datetime.now(UTC) - timedelta(seconds=2)
    pi = paid_intent(client)
    made = {client.v1.refunds.create(params={"payment_intent": pi, "amount": 10}).id for _ in range(5)}
    listed = StripeRefunds(client, created_filter=False).list_refunds(start, datetime.now(UTC) + timedelta(seconds=2))
    assert made <= {r.id for r in listed}


def test_a_refund_stripe_refuses_is_a_permanent_error(client):
    with pytest.raises(RefundRejected):
        StripeRefunds(client).refund(entry_for("pi_doesnotexist"))


def test_unreachable_stripe_is_an_outage():
    down = stripe.StripeClient(
        "sk_test_x", base_addresses={"api": f"http://127.0.0.1:{free_port()}"}, max_network_retries=0
    )
    with pytest.raises(PaymentProviderUnavailable):
        StripeRefunds(down).refund(entry_for("pi_123"))
    with pytest.raises(PaymentProviderUnavailable):
        StripeRefunds(down).list_refunds(datetime.now(UTC) - timedelta(days=1), datetime.now(UTC))


# --- webhooks --------------------------------------------------------------------------------------


def signed(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header as Stripe documents it: t=<unix time>,v1=HMAC-SHA256(secret, "t.payload")."""
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


EVENT = json.dumps(
    {"id": "evt_1", "type": "charge.refund.updated", "data": {"object": {"id": "re_1", "status": "succeeded"}}}
).encode()


def test_a_correctly_signed_webhook_is_accepted(client):
    event = StripeRefunds(client).verify_webhook(EVENT, signed(EVENT), SECRET)
    assert event["type"] == "charge.refund.updated"
    assert event["data"]["object"]["id"] == "re_1"


@pytest.mark.parametrize(
    ("payload", "header"),
    [
        (EVENT.replace(b"succeeded", b"failed"), signed(EVENT)),  # tampered payload
        (EVENT, signed(EVENT, secret="whsec_other")),  # another endpoint's secret
        (EVENT, signed(EVENT, at=int(time.time()) - 301)),  # too old
        (EVENT, signed(EVENT, at=int(time.time()) + 3600)),  # from the future (issue 11, case 15)
        (EVENT, "t=1,v0=abc"),  # no v1 signature
        (EVENT, ""),
    ],
    ids=["tampered", "wrong-secret", "stale", "future", "no-v1", "empty"],
)
def test_a_bad_or_stale_signature_is_refused(client, payload, header):
    with pytest.raises(InvalidWebhookSignature):
        StripeRefunds(client).verify_webhook(payload, header, SECRET)


def test_tolerance_is_configurable(client):
    old = signed(EVENT, at=int(time.time()) - 3600)
    assert StripeRefunds(client).verify_webhook(EVENT, old, SECRET, tolerance_s=7200)["id"] == "evt_1"
