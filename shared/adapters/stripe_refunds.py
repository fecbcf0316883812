"""RefundGateway on Stripe (localstripe in the embedded stack), and Stripe webhook verification.

Exactly one Stripe refund per ledger entry: Stripe keeps an Idempotency-Key for 24 hours and
localstripe not at all, so before creating a refund we look for one on the PaymentIntent that
carries the entry's refund_id in its metadata, and create one only when there is none. The
Idempotency-Key is still sent: on Stripe it covers two attempts racing each other.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.shared.lazy_import import LazyLoader

from shared.adapters.stripe_payments import StripeKeyed, rekeyed
from shared.domain.errors import PaymentProviderUnavailable
from shared.domain.refund_ledger import (
    InvalidWebhookSignature,
    LedgerEntry,
    MalformedWebhook,
    RefundRejected,
    StripeRefund,
)

if TYPE_CHECKING:
    import stripe
else:
    # stripe-python imports in ~0.2 s: paid by the first Stripe call, not by every cold start.
    stripe = LazyLoader("stripe", globals(), "stripe")

PAGE = 100


@contextmanager
def _translated() -> Iterator[None]:
    """Stripe's errors as Waybill's: an outage says nothing about the refund; a refusal is final."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as err:
        raise PaymentProviderUnavailable(str(err)) from err
    except (stripe.CardError, stripe.InvalidRequestError, stripe.IdempotencyError) as err:
        if err.http_status is not None and err.http_status >= 500:
            raise PaymentProviderUnavailable(str(err)) from err
        raise RefundRejected(err.user_message or str(err), err.code) from err
    except stripe.APIError as err:  # 5xx
        raise PaymentProviderUnavailable(str(err)) from err


def _fields(obj: stripe.StripeObject | dict[str, Any]) -> dict[str, Any]:
    return obj.to_dict() if isinstance(obj, stripe.StripeObject) else obj


def _metadata(fields: dict[str, Any]) -> dict[str, Any]:
    return dict(fields.get("metadata") or {})


def to_refund(refund: stripe.StripeObject | dict[str, Any]) -> StripeRefund:
    """A Stripe refund object (or its JSON, as in a webhook event) as a StripeRefund."""
    obj = _fields(refund)
    intent = obj.get("payment_intent")
    if isinstance(intent, dict):  # expanded
        intent = intent["id"]
    refund_id = _metadata(obj).get("refund_id")
    return StripeRefund(
        id=str(obj["id"]),
        payment_intent=str(intent) if intent else None,
        amount=int(obj["amount"]),
        currency=str(obj["currency"]).upper(),
        status=str(obj["status"]),
        created=datetime.fromtimestamp(int(obj["created"]), UTC),
        metadata_refund_id=str(refund_id) if refund_id else None,
    )


def refunds_in_event(event: dict[str, Any]) -> list[StripeRefund]:
    """The refunds a webhook event reports, all read before anything is settled: refund.created/
    updated/failed carry one, charge.refunded the charge with its refunds; any other event none.
    MalformedWebhook when the event is not shaped as Stripe's are."""
    kind = event.get("type")
    data = event.get("data")
    if not isinstance(kind, str) or not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedWebhook("an event has a string `type` and an object `data.object`")
    obj = data["object"]
    if kind == "charge.refunded":
        refunds = obj.get("refunds") or {}
        raw = refunds.get("data") if isinstance(refunds, dict) else None
        if not isinstance(raw, list):
            raise MalformedWebhook("charge.refunded carries its refunds as a list in `refunds.data`")
    elif kind.startswith("refund."):
        raw = [obj]
    else:
        return []
    return [_reported(r) for r in raw]


def _reported(raw: Any) -> StripeRefund:
    if not isinstance(raw, dict):
        raise MalformedWebhook("a refund in the event is not an object")
    try:
        return to_refund(raw)
    except (KeyError, TypeError, ValueError, OverflowError) as err:
        raise MalformedWebhook(f"a refund in the event lacks or mistypes a field: {err}") from err


def _timestamp(signature_header: str) -> int:
    """The `t=` of a Stripe-Signature header (verify_header has checked it is there and numeric)."""
    for part in signature_header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            return int(value)
    raise InvalidWebhookSignature("the Stripe-Signature header has no timestamp")


def verify_webhook(
    payload: bytes, signature_header: str, secret: str, tolerance_s: int = 300, now: float | None = None
) -> dict[str, Any]:
    """The event in a Stripe webhook request, once its Stripe-Signature header is checked with
    stripe-python's WebhookSignature: an HMAC-SHA256 of the payload with the endpoint's secret, and a
    timestamp at most `tolerance_s` old. stripe-python lets a timestamp from the future through, so
    that side of the tolerance is checked here. InvalidWebhookSignature otherwise."""
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance_s)
    except stripe.SignatureVerificationError as err:
        raise InvalidWebhookSignature(str(err)) from err
    signed_at = _timestamp(signature_header)
    if signed_at > (now if now is not None else time.time()) + tolerance_s:
        raise InvalidWebhookSignature(f"the timestamp is more than {tolerance_s} s in the future")
    try:
        event = json.loads(payload)
    except ValueError as err:
        raise InvalidWebhookSignature("the signed payload is not JSON") from err
    if not isinstance(event, dict):
        raise InvalidWebhookSignature("the signed payload is not an event object")
    return event


class StripeRefunds(StripeKeyed):
    def __init__(
        self,
        client: stripe.StripeClient,
        created_filter: bool = True,
        rekey: Callable[[], stripe.StripeClient] | None = None,
    ) -> None:
        super().__init__(client, rekey)
        self._created_filter = created_filter

    @rekeyed
    def refund(self, entry: LedgerEntry) -> StripeRefund:
        """The Stripe refund of this ledger entry: the one made before, or a new one."""
        existing = self.find(entry)
        if existing is not None:
            return existing
        with _translated():
            created = self._stripe.v1.refunds.create(
                params={
                    "payment_intent": entry.payment_intent,
                    "amount": entry.amount,
                    "metadata": {"refund_id": entry.refund_id, "order_id": entry.order_id},
                },
                options={"idempotency_key": entry.idempotency_key},
            )
        return to_refund(created)

    @rekeyed
    def find(self, entry: LedgerEntry) -> StripeRefund | None:
        """The refund on the entry's PaymentIntent whose metadata names the entry, if any."""
        with _translated():
            pages = self._stripe.v1.refunds.list(params={"payment_intent": entry.payment_intent, "limit": PAGE})
            for obj in pages.auto_paging_iter():
                if _metadata(_fields(obj)).get("refund_id") == entry.refund_id:
                    return to_refund(obj)
        return None

    @rekeyed
    def list_refunds(self, created_gte: datetime, created_lt: datetime) -> list[StripeRefund]:
        """Every refund created in [created_gte, created_lt), newest first.

        Stripe is asked for the period only (the `created` filter). Without the filter (localstripe
        rejects it: the embedded stack turns it off) this pages back from now, newest first, and
        stops at the first refund older than the range."""
        found: list[StripeRefund] = []
        params: dict[str, Any] = {"limit": PAGE}
        if self._created_filter:
            # Stripe's `created` is whole seconds: [gte, lt) in seconds covers the same refunds
            params["created"] = {"gte": math.floor(created_gte.timestamp()), "lt": math.ceil(created_lt.timestamp())}
        with _translated():
            for obj in self._stripe.v1.refunds.list(params=params).auto_paging_iter():  # type: ignore[arg-type]
                refund = to_refund(obj)
                if refund.created < created_gte:
                    break
                if refund.created < created_lt:
                    found.append(refund)
        return found

    def verify_webhook(
        self, payload: bytes, signature_header: str, secret: str, tolerance_s: int = 300
    ) -> dict[str, Any]:
        return verify_webhook(payload, signature_header, secret, tolerance_s)
