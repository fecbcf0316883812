"""Restock queue consumer: offer arrived stock to the sku's backorders, by policy order."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.adapters.dynamodb_nodes import DynamoDBNodes, DynamoDBPolicies
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.sfn_workflow import StepFunctionsWorkflow
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.domain.order import Execution, Order
from shared.logging import masked_logger
from shared.settings import AllocatorSettings
from shared.topology import FULFILMENT
from shared.usecases._update import update_order
from shared.usecases.allocate_backorders import allocate_backorders

settings = AllocatorSettings.from_env()
logger = masked_logger()
processor = BatchProcessor(event_type=EventType.SQS)
dynamodb = client("dynamodb")
orders = DynamoDBOrders(dynamodb, settings.orders_table)
inventory = DynamoDBInventory(dynamodb, settings.inventory_table)
nodes = DynamoDBNodes(dynamodb, settings.inventory_table)
policies = DynamoDBPolicies(dynamodb, settings.inventory_table)
workflow = StepFunctionsWorkflow(client("stepfunctions"), settings.fulfilment_arn)
clock = SystemClock()


def resume_fulfilment(order_id: str) -> None:
    """The order's first execution ended at BACKORDERED; a second one carries it on from RESERVED
    (the steps before reservation answer from what they recorded, so nothing is done twice).
    Its name is fixed, so resuming again after a failure starts nothing new."""
    name = f"{order_id}-restocked"
    arn = workflow.execution_arn(name)

    def record(order: Order) -> None:
        if all(e.arn != arn for e in order.executions):
            order.start_execution(Execution(arn, FULFILMENT.name, clock.now()))

    update_order(orders, order_id, record)
    workflow.start(name, {"order_id": order_id})


def record_handler(record: SQSRecord) -> None:
    for sku in json.loads(record.body)["skus"]:
        results = allocate_backorders(
            sku,
            orders=orders,
            inventory=inventory,
            nodes=nodes,
            policies=policies,
            clock=clock,
            resume=resume_fulfilment,
        )
        if results:
            logger.info("backorders re-evaluated", sku=sku, results=[(o, r.outcome) for o, r in results])


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
