"""The demo's money part: a cancellation and a return, each refunded once through Stripe, and the
day's reconciliation of the refund ledger against Stripe."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Call = Callable[..., Any]


def _until(
    call: Call, order_id: str, who: str, done: Callable[[dict[str, Any]], bool], timeout_s: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        order: dict[str, Any] = call("GET", f"/v1/orders/{order_id}", who).json()
        if done(order) or time.monotonic() > deadline:
            return order
        time.sleep(0.3)


def _settled(order: dict[str, Any]) -> bool:
    return bool(order["refunds"]) and all(r["status"] != "PENDING" for r in order["refunds"])


def money(amount: int) -> str:
    return f"{amount / 100:,.2f} USD"


def cancel_one(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    """An order whose warehouse has not answered yet is cancelled (twice: the second changes nothing)."""
    order_id = call("POST", "/v1/orders", "web", body).json()["order_id"]
    _until(call, order_id, "web", lambda o: o["status"] == "RELEASED")
    first = call("POST", f"/v1/orders/{order_id}/cancel", "web", {"reason": "customer changed their mind"})
    again = call("POST", f"/v1/orders/{order_id}/cancel", "web", {"reason": "customer changed their mind"})
    order = _until(call, order_id, "web", _settled)
    [refund] = order["refunds"]
    print(
        f"\nPOST /v1/orders/{order_id}/cancel ({body['external_id']}) -> {first.status_code}, again -> "
        f"{again.status_code}: {order['status']}, stock released, refund {refund['refund_id']} "
        f"{money(refund['amount'])} {refund['status']} (Stripe {refund['stripe_refund_id']})"
    )
    return order


def return_one(call: Call, channel: str, order: dict[str, Any]) -> dict[str, Any]:
    """One unit of a delivered order's first line comes back: label, receipt, restock, refund."""
    line = order["lines"][0]
    body = {"lines": [{"line_id": line["line_id"], "quantity": 1}], "reason": "wrong size"}
    answer = call("POST", f"/v1/orders/{order['order_id']}/returns", channel, body)
    rma = answer.json()
    after = _until(call, order["order_id"], channel, lambda o: any(r["status"] == "REFUNDED" for r in o["returns"]))
    after = _until(call, order["order_id"], channel, _settled)
    back = next(r for r in after["returns"] if r["rma_id"] == rma["rma_id"])
    refund = next(r for r in after["refunds"] if r["refund_id"] == back["refund_id"])
    label = back["label"]["tracking_number"] if back["label"] else "-"
    print(
        f"POST /v1/orders/{order['order_id']}/returns ({order['external_id']}, 1 x {line['sku']}) -> "
        f"{answer.status_code} {rma['rma_id']}: return label {label}, received "
        f"{sum(x['resellable'] for x in back['lines'])} resellable (restocked), refund {money(refund['amount'])} "
        f"{refund['status']}"
    )
    return after


def reconcile_today(call: Call) -> dict[str, Any]:
    today = datetime.now(UTC).date().isoformat()
    rec = call("POST", "/v1/finance/reconciliations", "finance", {"date": today}).json()
    counts = ", ".join(f"{name} {s['count']}" for name, s in rec["summary"].items() if s["count"])
    print(f"\nreconciliation {rec['reconciliation_id']} of {today}: {counts or 'nothing to reconcile'}")
    print(f"  report: GET /v1/finance/reconciliations/{rec['reconciliation_id']} (CSV and JSON in S3)")
    return dict(rec)
