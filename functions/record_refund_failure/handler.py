"""State-machine compensation: a refund failed for good; its ledger entry becomes FAILED with the cause."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import metrics
from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.stripe_payments import stripe_from_secret
from shared.adapters.stripe_refunds import StripeRefunds
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.domain.refunds import RefundStatus, status_of_stripe
from shared.logging import masked_logger
from shared.settings import RefundSettings
from shared.usecases.record_exception import describe

settings = RefundSettings.from_env()
logger = masked_logger()
ledger = DynamoDBLedger(client("dynamodb"), settings.ledger_table)
clock = SystemClock()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    cause = describe(event.get("error") or {})
    entry = ledger.get(event["refund_id"])
    if entry is not None and entry.status == RefundStatus.PENDING:
        # A step can fail after Stripe made the refund (a timeout, a failed write): never call that
        # FAILED, or its amount would be freed for a second refund. Stripe's own record decides.
        made = StripeRefunds(stripe_from_secret(settings.stripe_secret, settings.stripe_api_base)).find(entry)
        if made is None:
            entry = ledger.settle(entry.refund_id, RefundStatus.FAILED, None, cause, clock.now())
            metrics.refund_failed()
        elif status_of_stripe(made.status) != RefundStatus.PENDING:
            entry = ledger.settle(entry.refund_id, status_of_stripe(made.status), made.id, None, clock.now())
    logger.error("refund failed", refund_id=event["refund_id"], cause=cause)
    return {"status": entry.status.value if entry else "unknown"}
