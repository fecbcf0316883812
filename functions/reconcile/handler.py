"""Scheduled daily: reconciles the previous UTC day's refunds (ledger against Stripe), report to S3.

The event may name another day, `{"date": "YYYY-MM-DD"}`, to run one again by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.bootstrap import Wiring
from shared.usecases.reconcile import run_reconciliation, scheduled_period

w = Wiring("reconcile")
logger = w.logger
ledger, reports, gateway, clock = w.ledger(), w.reports(), w.stripe_refunds(), w.clock
reconciliations = w.reconciliations()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    day = (event or {}).get("date")
    start, end = scheduled_period(date.fromisoformat(day) if day else None, clock.now())
    run = run_reconciliation(
        start, end, ledger=ledger, gateway=gateway(), reports=reports, log=reconciliations, clock=clock
    )
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
