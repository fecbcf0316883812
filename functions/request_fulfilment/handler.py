"""State-machine task (.waitForTaskToken): send a node its fulfilment request; the node's events answer."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.s3_documents import S3Documents
from shared.adapters.sfn_signals import StepFunctionsSignals
from shared.adapters.sqs_fulfilment import SqsFulfilmentRequests
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import RequestSettings
from shared.usecases.release import request_fulfilment

settings = RequestSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
requests = SqsFulfilmentRequests(client("sqs"), settings.fulfilment_queue_url)
documents = S3Documents(client("s3"), settings.documents_bucket)
signals = StepFunctionsSignals(client("stepfunctions"))
clock = SystemClock()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(order_id=event["order_id"], shipment_id=event["shipment_id"])
    done = request_fulfilment(
        event["order_id"],
        event["shipment_id"],
        event["task_token"],
        orders=orders,
        requests=requests,
        documents=documents,
        signals=signals,
        clock=clock,
    )
    logger.info("fulfilment requested", outcome=done)
    return {"outcome": done}
