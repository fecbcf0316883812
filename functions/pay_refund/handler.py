"""State-machine task: pay the ledger entry's refund through Stripe (at most once) and settle it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.stripe_payments import stripe_from_secret
from shared.adapters.stripe_refunds import StripeRefunds
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import RefundSettings
from shared.usecases.refunds import pay_refund

settings = RefundSettings.from_env()
logger = masked_logger()
ledger = DynamoDBLedger(client("dynamodb"), settings.ledger_table)
clock = SystemClock()


def gateway() -> StripeRefunds:
    return StripeRefunds(stripe_from_secret(settings.stripe_secret, settings.stripe_api_base))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(refund_id=event["refund_id"])
    entry = pay_refund(event["refund_id"], ledger=ledger, gateway=gateway(), clock=clock)
    logger.info("refund paid", status=entry.status.value, stripe_refund_id=entry.stripe_refund_id)
    return {"status": entry.status.value, "stripe_refund_id": entry.stripe_refund_id}
