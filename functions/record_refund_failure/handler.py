"""State-machine compensation: a refund failed for good; its ledger entry becomes FAILED with the cause
and the order carries a refund_failed exception (also when Stripe refused the refund outright)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.domain.refund_ledger import RefundStatus
from shared.usecases.ops_retries import refund_failed_on_order
from shared.usecases.record_exception import describe
from shared.usecases.refunds import record_refund_failure

w = Wiring("record_refund_failure")
logger = w.logger
ledger, gateway, orders, clock = w.ledger(), w.stripe_refunds(), w.orders(), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cause = describe(event.get("error") or {})
    entry = record_refund_failure(event["refund_id"], cause, ledger=ledger, gateway=gateway, clock=clock)
    if entry is not None and entry.status == RefundStatus.FAILED:
        # a person sees it in the exception queue and can retry it
        refund_failed_on_order(
            entry.order_id, entry.refund_id, entry.failure_reason or cause, orders=orders, clock=clock
        )
    logger.error("refund failed", refund_id=event["refund_id"], cause=cause)
    return {"status": entry.status.value if entry else "unknown"}
