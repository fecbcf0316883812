"""Lambda entry point of the operations routes: the exception queue and the actions. Wiring only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.exceptions_api import routes
from shared import http
from shared.adapters.dynamodb_exception_queue import DynamoDBExceptionIndex
from shared.bootstrap import Wiring
from shared.exactly_once import sent_then_recorded
from shared.schemas.order_view import OrderView
from shared.topology import CANCELLED, FULFILMENT, ORDERS, PREPARATION, REFUNDS, RETURNS
from shared.usecases.action_ports import ActionPorts
from shared.usecases.notify import mail_cancellation_email, record_order_email

w = Wiring("exceptions_api")
logger = w.logger
orders, mailer, template, clock, documents, ledger = (
    w.orders(),
    w.mailer(),
    w.template(CANCELLED),
    w.clock,
    w.documents(),
    w.ledger(),
)
once, config = w.once_per("order_id")


# The idempotency key is this function's name and the task's key: keep both across deploys.
@once
def email_cancelled(task: dict[str, Any]) -> dict[str, Any]:
    return {"message_id": mail_cancellation_email(task["order_id"], orders=orders, mailer=mailer, template=template)}


cancelled_email = sent_then_recorded(
    email_cancelled,
    record=lambda task, sent: record_order_email(task["order_id"], "cancelled", sent, orders=orders, clock=clock),
)


ports = routes.ExceptionsPorts(
    index=DynamoDBExceptionIndex(w.client("dynamodb"), w.table(ORDERS)),
    dead_letters=w.dead_letters(),
    actions=ActionPorts(
        orders=orders,
        workflow=w.workflow(PREPARATION),
        refunds_workflow=w.workflow(REFUNDS),
        returns_workflow=w.workflow(RETURNS),
        signals=w.signals(FULFILMENT),
        requests=w.fulfilment_requests(),
        inventory=w.inventory(on_first_use=True),  # only cancelling touches stock
        ledger=ledger,
        clock=clock,
    ),
    logger=logger,
    view=lambda order: OrderView.of(order, documents.url, ledger.list(order_id=order.order_id)),
    notify_cancelled=lambda order_id: cancelled_email({"order_id": order_id}),
)
app = http.resolver(routes.register)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    return http.serve(app, w.function, event, context, ports=ports)
