"""Batch intake: channels put capture bodies (plus `channel`) on a queue; each is captured once.

A message that can never be valid raises, is retried by SQS and then lands in the DLQ, with the
reason logged each time. Partial batch failures are reported so good messages are not redelivered.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.system import new_order_id
from shared.batches import PartialBatch
from shared.bootstrap import Wiring
from shared.domain.errors import IdempotencyConflict
from shared.queue_messages import Undeliverable, dead_letter_with_reason, parse
from shared.schemas.capture import IntakeMessage
from shared.topology import INTAKE, PREPARATION
from shared.usecases.capture_order import capture_order

w = Wiring("intake")
logger = w.logger
orders, workflow, clock = w.orders(), w.workflow(PREPARATION), w.clock


def capture(record: SQSRecord) -> str:
    message = parse(IntakeMessage, record, logger, "invalid intake message")
    try:
        result = capture_order(
            message.capture(),
            message.channel,
            orders=orders,
            workflow=workflow,
            clock=clock,
            new_order_id=new_order_id,
            state_machine=PREPARATION.name,
        )
    except IdempotencyConflict as err:
        logger.error("intake conflict", message_id=record.message_id, reason=str(err))
        raise Undeliverable(str(err)) from err
    logger.info("order captured from intake", order_id=result.order.order_id, replayed=result.replayed)
    return result.order.order_id


record_handler = dead_letter_with_reason(capture, w.dead_letter_sink(INTAKE), INTAKE.max_receive_count, logger)


batch = PartialBatch(record_handler, "SQS")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return batch(event, context)
