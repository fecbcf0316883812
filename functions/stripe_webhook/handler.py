"""Lambda entry point of Stripe's webhook. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.stripe_webhook import routes
from shared import http
from shared.bootstrap import Wiring

w = Wiring("stripe_webhook")
logger = w.logger
ports = routes.WebhookPorts(
    ledger=w.ledger(), orders=w.orders(), secret=w.webhook_secret(), clock=w.clock, logger=logger
)
app = http.resolver(routes.register, w.browser_origin())


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return http.serve(app, w.function, event, context, ports=ports)
