"""Scheduled daily: reconciles the previous UTC day's refunds (ledger against Stripe), report to S3.

The event may name another day, `{"date": "YYYY-MM-DD"}`, to run one again by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.s3_reports import S3Reports
from shared.adapters.stripe_payments import stripe_from_secret
from shared.adapters.stripe_refunds import StripeRefunds
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import FinanceSettings
from shared.usecases.reconcile import day_period, previous_day, run_reconciliation

settings = FinanceSettings.from_env()
logger = masked_logger()
ledger = DynamoDBLedger(client("dynamodb"), settings.ledger_table)
reports = S3Reports(client("s3"), settings.documents_bucket)
clock = SystemClock()


def stripe_refunds() -> StripeRefunds:
    return StripeRefunds(stripe_from_secret(settings.stripe_secret, settings.stripe_api_base))


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    day = (event or {}).get("date")
    start, end = day_period(date.fromisoformat(day)) if day else previous_day(clock.now())
    run = run_reconciliation(start, end, ledger=ledger, gateway=stripe_refunds(), reports=reports, clock=clock)
    summary = {str(kind): s.count for kind, s in run.report.summary.items()}
    log = logger.info if run.report.clean else logger.warning
    log(
        "reconciled",
        reconciliation_id=run.reconciliation_id,
        period_start=start.isoformat(),
        period_end=end.isoformat(),
        clean=run.report.clean,
        summary=summary,
        report=run.json_key,
    )
    return {"reconciliation_id": run.reconciliation_id, "clean": run.report.clean, "summary": summary}
