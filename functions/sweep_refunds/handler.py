"""Scheduled (hourly): refunds left PENDING are paid or settled again, never twice."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.sfn_workflow import StepFunctionsWorkflow
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import SweepSettings
from shared.usecases.sweep_refunds import sweep_owed_refunds, sweep_pending_refunds

settings = SweepSettings.from_env()
logger = masked_logger()
ledger = DynamoDBLedger(client("dynamodb"), settings.ledger_table)
refunds = StepFunctionsWorkflow(client("stepfunctions"), settings.refunds_arn)
clock = SystemClock()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    swept = sweep_pending_refunds(ledger=ledger, refunds=refunds, clock=clock)
    if swept:
        logger.warning("pending refunds restarted", count=len(swept), refund_ids=swept)
    owed = sweep_owed_refunds(ledger=ledger, refunds=refunds, clock=clock)
    if owed:
        logger.warning("owed refunds restarted", count=len(owed), order_ids=owed)
    return {"swept": swept, "owed": owed}
