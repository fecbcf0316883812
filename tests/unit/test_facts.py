"""Fact rules the seeded workload does not reach: holds and their release, operator actions,
refund settlement once, stream records as DynamoDB delivers them, and Firehose's partial failures."""

from __future__ import annotations

import json

from shared.adapters.dynamodb_ledger import ENTRY_SK
from shared.adapters.firehose_facts import FirehoseFacts
from shared.adapters.order_codec import to_document
from shared.adapters.stream_facts import facts_of_record
from shared.domain import order as order_domain
from shared.domain.facts import new_facts, order_facts, refund_facts
from shared.domain.order import OrderStatus
from shared.domain.refund_ledger import LedgerEntry, RefundStatus
from tests.analytics_workload import at, seeded


def test_a_payment_hold_is_an_exception_until_the_order_moves_on():
    w = seeded()
    order = order_domain.copy(w.orders["O5"])
    order.history = order.history[:1]
    order.status = OrderStatus.RECEIVED
    order.hold_for_payment("amount too low", at(2))
    raised = order_facts(order)
    assert [(f.event_type, f.reason) for f in raised if f.event_type != "captured_line"] == [
        ("captured", None),
        ("exception_raised", "payment_hold"),
        ("payment_held", "amount too low"),
    ]
    order._move(OrderStatus.RECEIVED, "action_release_hold", "by ops:olga: paid the rest", at(62))
    before = order_domain.copy(order)
    before.history = before.history[:-1]
    assert {f.event_type for f in new_facts(before, order)} == {"exception_resolved", "operator_action"}
    added = {f.event_type: f for f in order_facts(order)}
    assert added["exception_resolved"].occurred_at == at(62)
    assert added["operator_action"].reason == "release_hold"


def test_a_refund_is_a_fact_once_it_settles_and_only_once():
    entry = seeded().refunds[0]
    pending = LedgerEntry(**{**vars(entry), "status": RefundStatus.PENDING, "settled_at": None})
    failed = LedgerEntry(**{**vars(entry), "status": RefundStatus.FAILED})
    assert refund_facts(None, pending) == []
    assert refund_facts(None, failed) == []
    [settled] = refund_facts(pending, entry)
    assert (settled.event_type, settled.amount, settled.reason, settled.occurred_at) == (
        "refund_settled",
        1000,
        "return",
        entry.settled_at,
    )
    assert refund_facts(entry, entry) == []  # a later change to a settled entry adds nothing


def _image(order) -> dict[str, object]:
    return {
        "pk": {"S": f"ORDER#{order.order_id}"},
        "sk": {"S": "ORDER"},
        "doc": {"S": json.dumps(to_document(order))},
        "version": {"N": str(order.version)},
    }


def test_stream_records_become_the_facts_of_their_change():
    w = seeded()
    old, new = next(
        (o, n) for o, n in w.changes if o is not None and n.order_id == "O2" and n.status == OrderStatus.RELEASED
    )
    record = {"eventName": "MODIFY", "dynamodb": {"OldImage": _image(old), "NewImage": _image(new)}}
    assert [f.event_type for f in facts_of_record(record)] == ["released", "released"]
    capture = {"eventName": "INSERT", "dynamodb": {"NewImage": {"pk": {"S": "CAPTURE#web#X"}, "sk": {"S": "CAPTURE"}}}}
    assert facts_of_record(capture) == []
    removal = {"eventName": "REMOVE", "dynamodb": {"OldImage": _image(old)}}
    assert facts_of_record(removal) == []
    copy = {"pk": {"S": "ORDER#O1"}, "sk": {"S": "2026-03-02T08:00:00#re_1"}}  # the ledger's per-order copy
    assert facts_of_record({"dynamodb": {"NewImage": copy}}) == []
    entry_item = {
        "pk": {"S": "KEY#k"}, "sk": {"S": ENTRY_SK}, "refund_id": {"S": "re_1"}, "order_id": {"S": "O1"},
        "payment_intent": {"S": "pi_1"}, "amount": {"N": "700"}, "currency": {"S": "USD"},
        "reason": {"S": "cancellation"}, "cause_id": {"S": "c"}, "idempotency_key": {"S": "k"},
        "status": {"S": "SUCCEEDED"}, "created_at": {"S": "2026-03-02T08:00:00+00:00"},
        "settled_at": {"S": "2026-03-02T08:05:00+00:00"},
    }  # fmt: skip
    [refund] = facts_of_record({"dynamodb": {"NewImage": entry_item}})
    assert (refund.order_id, refund.amount, refund.reason) == ("O1", 700, "cancellation")


class FlakyFirehose:
    """Refuses the second record of the first call, as Firehose does under throttling."""

    def __init__(self):
        self.calls = []

    def put_record_batch(self, DeliveryStreamName, Records):
        self.calls.append([r["Data"] for r in Records])
        if len(self.calls) == 1:
            responses = [{"RecordId": "1"}, {"ErrorCode": "ServiceUnavailableException"}] + [{"RecordId": "x"}] * (
                len(Records) - 2
            )
            return {"FailedPutCount": 1, "RequestResponses": responses}
        return {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "y"}] * len(Records)}


def test_firehose_sends_again_only_what_it_refused():
    facts = order_facts(seeded().orders["O1"])[:3]
    firehose = FlakyFirehose()
    FirehoseFacts(firehose, "facts").put(facts)  # type: ignore[arg-type]
    assert len(firehose.calls) == 2
    assert firehose.calls[1] == [(json.dumps(facts[1].row()) + "\n").encode()]
