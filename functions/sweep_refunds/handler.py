"""Scheduled (hourly): refunds left PENDING are paid or settled again, never twice."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.topology import REFUNDS
from shared.usecases.sweep_refunds import sweep_owed_refunds, sweep_pending_refunds

w = Wiring("sweep_refunds")
logger = w.logger
ledger, refunds, clock = w.ledger(), w.workflow(REFUNDS), w.clock


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    swept = sweep_pending_refunds(ledger=ledger, refunds=refunds, clock=clock)
    if swept:
        logger.warning("pending refunds restarted", count=len(swept), refund_ids=swept)
    owed = sweep_owed_refunds(ledger=ledger, refunds=refunds, clock=clock)
    if owed:
        logger.warning("owed refunds restarted", count=len(owed), order_ids=owed)
    return {"swept": swept, "owed": owed}
