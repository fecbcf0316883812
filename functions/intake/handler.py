"""Batch intake: channels put capture bodies (plus `channel`) on a queue; each is captured once.

A message that can never be valid raises, is retried by SQS and then lands in the DLQ, with the
reason logged each time. Partial batch failures are reported so good messages are not redelivered.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from shared import metrics
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.sfn_workflow import StepFunctionsWorkflow
from shared.adapters.system import SystemClock, new_order_id
from shared.aws import client
from shared.domain.errors import IdempotencyConflict
from shared.logging import masked_logger
from shared.schemas.capture import IntakeMessage
from shared.settings import OrdersSettings
from shared.topology import FULFILMENT
from shared.usecases.capture_order import capture_order

settings = OrdersSettings.from_env()
logger = masked_logger()
processor = BatchProcessor(event_type=EventType.SQS)
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
workflow = StepFunctionsWorkflow(client("stepfunctions"), settings.fulfilment_arn)
clock = SystemClock()


class InvalidIntakeMessage(Exception):
    """The message can never be captured as it is; it goes to the DLQ after its retries."""


def record_handler(record: SQSRecord) -> str:
    try:
        message = IntakeMessage.model_validate_json(record.body)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        logger.error("invalid intake message", message_id=record.message_id, reason=problems)
        raise InvalidIntakeMessage(problems) from err
    try:
        result = capture_order(
            message.capture(),
            message.channel,
            orders=orders,
            workflow=workflow,
            clock=clock,
            new_order_id=new_order_id,
            state_machine=FULFILMENT.name,
        )
    except IdempotencyConflict as err:
        logger.error("intake conflict", message_id=record.message_id, reason=str(err))
        raise InvalidIntakeMessage(str(err)) from err
    logger.info("order captured from intake", order_id=result.order.order_id, replayed=result.replayed)
    if not result.replayed:
        metrics.order_captured(message.channel)
    return result.order.order_id


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
