"""Lambda entry point of Stripe's webhook. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.stripe_webhook import routes
from shared import http
from shared.adapters.dynamodb_ledger import DynamoDBLedger
from shared.adapters.system import SystemClock
from shared.aws import client, secret
from shared.logging import masked_logger
from shared.settings import WebhookSettings
from shared.topology import function

FUNCTION = function("stripe_webhook")
settings = WebhookSettings.from_env()
logger = masked_logger()
ports = routes.WebhookPorts(
    ledger=DynamoDBLedger(client("dynamodb"), settings.ledger_table),
    # cached 5 minutes, so a rolled signing secret is picked up without a redeploy
    secret=lambda: secret(settings.webhook_secret),
    clock=SystemClock(),
    logger=logger,
)
app = APIGatewayRestResolver(enable_validation=True)
routes.register(app)
http.install_error_handlers(app)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, FUNCTION, event, context, ports=ports)
