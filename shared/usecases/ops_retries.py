"""Retrying what failed after the goods were decided: a refund that could not be paid, a return step.

A FAILED ledger entry stays FAILED (it is what happened, and what reconciliation matches); the
retry is a new entry for the same amount, keyed on the failed one, so asking twice opens one
entry and pays at most one refund. A failed return runs again as a new returns execution, whose
steps answer from what they recorded (the label bought, the parcel received).
"""

from __future__ import annotations

from shared.domain.errors import OrderNotFound
from shared.domain.exceptions import ActionRefused, ExceptionType
from shared.domain.ops import failed_refunds
from shared.domain.order import Execution, Order
from shared.domain.refund_ledger import LedgerEntry, RefundNotFound, RefundStatus
from shared.domain.refund_policy import RefundAmount
from shared.ports import Clock, OrderRepository, RefundLedger, Workflow
from shared.usecases._update import update_order
from shared.usecases.ops_actions import ActionRequest, remember_key, replayed
from shared.usecases.refunds import open_refund

RETURNS_MACHINE = "returns"


def retry_refund(
    refund_id: str,
    request: ActionRequest,
    *,
    orders: OrderRepository,
    ledger: RefundLedger,
    refunds: Workflow,
    clock: Clock,
) -> LedgerEntry:
    """A new PENDING entry for a FAILED one, paid by a new refunds execution; the retry of the same
    failed entry again answers the entry opened the first time."""
    failed = ledger.get(refund_id)
    if failed is None:
        raise RefundNotFound(refund_id)
    if failed.status != RefundStatus.FAILED:
        raise ActionRefused(
            "refund_not_failed", f"refund {refund_id} is {failed.status}: only a FAILED refund is retried"
        )
    order = orders.get(failed.order_id)
    if order is None:
        raise OrderNotFound(failed.order_id)
    replayed(order, request)  # a key used for something else is refused
    captured = max(ledger.totals(failed.payment_intent)[0], order.captured_amount)
    entry = open_refund(
        order,
        RefundAmount(failed.amount, 0, 0),
        failed.reason,
        f"{failed.cause_id}-retry-{failed.refund_id}",
        ledger=ledger,
        clock=clock,
        captured=captured,
        currency=failed.currency,
    )
    if entry is None:
        raise ActionRefused("nothing_captured", f"refund {refund_id}: nothing was captured on {failed.payment_intent}")

    def record(o: Order) -> None:
        if not any(h.event == "refund_retried" and entry.refund_id in h.cause for h in o.history):
            o.refund_retried(refund_id, entry.refund_id, request.reason, clock.now(), request.actor)

    update_order(orders, order.order_id, record)
    remember_key(orders, order.order_id, request)
    if entry.status == RefundStatus.PENDING:
        refunds.start(
            f"{order.order_id}-retry-{entry.refund_id}", {"order_id": order.order_id, "refund_id": entry.refund_id}
        )
    return entry


def failed_refund_of(order: Order) -> str:
    """The refund a `retry` on the order retries: its oldest open refund_failed exception's."""
    found = failed_refunds(order)
    if not found:
        raise ActionRefused("nothing_to_retry", f"order {order.order_id} has no failed refund")
    return found[0]


def retry_return(
    order_id: str,
    request: ActionRequest,
    *,
    orders: OrderRepository,
    returns: Workflow,
    clock: Clock,
    rma_id: str | None = None,
) -> Order:
    """Runs the failed return (`rma_id`, or the order's oldest failed one) again as a new execution."""
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    again = replayed(order, request)
    if again is not None:
        if again:
            returns.start(again, {"order_id": order_id, "rma_id": again.partition("-retry-")[0]})
        return order
    if rma_id is None:
        failed = sorted(
            (e for e in order.open_exceptions if e.type == ExceptionType.RETURN_FAILED and e.subject),
            key=lambda e: e.since,
        )
        if not failed:
            raise ActionRefused("nothing_to_retry", f"order {order_id} has no failed return")
        rma_id = str(failed[0].subject)
    rma = rma_id

    def act(o: Order) -> str:
        at = clock.now()
        o.retry_return(rma, request.reason, at, request.actor)
        name = f"{rma}-retry-{len(o.history)}"
        o.start_execution(Execution(returns.execution_arn(name), RETURNS_MACHINE, at))
        if request.key is not None:
            o.action_keys[request.key] = f"{request.digest()}|{name}"
        return name

    name = update_order(orders, order_id, act)
    returns.start(name, {"order_id": order_id, "rma_id": rma})
    after = orders.get(order_id)
    assert after is not None
    return after


def refund_failed_on_order(order_id: str, refund_id: str, cause: str, *, orders: OrderRepository, clock: Clock) -> None:
    """A refund failed for good: the order carries a refund_failed exception until it is retried."""
    update_order(orders, order_id, lambda o: o.refund_failed(refund_id, cause, clock.now()))
