"""Lambda entry point of the finance routes. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.finance_api import routes
from shared import http
from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.s3_reports import S3Reports
from shared.adapters.stripe_payments import stripe_from_secret
from shared.adapters.stripe_refunds import StripeRefunds
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import FinanceSettings
from shared.topology import function

FUNCTION = function("finance_api")
settings = FinanceSettings.from_env()
logger = masked_logger()


def stripe_refunds() -> StripeRefunds:
    return StripeRefunds(stripe_from_secret(settings.stripe_secret, settings.stripe_api_base))


ports = routes.FinancePorts(
    ledger=DynamoDBLedger(client("dynamodb"), settings.ledger_table),
    gateway=stripe_refunds,
    reports=S3Reports(client("s3"), settings.documents_bucket),
    clock=SystemClock(),
    logger=logger,
)
app = APIGatewayRestResolver(enable_validation=True)
routes.register(app)
http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, FUNCTION, event, context, ports=ports)
