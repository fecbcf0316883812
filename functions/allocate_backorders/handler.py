"""Restock queue consumer: offer arrived stock to the sku's backorders, by policy order."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.batches import PartialBatch
from shared.bootstrap import Wiring
from shared.topology import PREPARATION
from shared.usecases.allocate_backorders import allocate_backorders, resume_fulfilment

w = Wiring("allocate_backorders")
logger = w.logger
orders, inventory, nodes, policies, clock = w.orders(), w.inventory(), w.node_directory(), w.policies(), w.clock
resume = partial(
    resume_fulfilment, orders=orders, workflow=w.workflow(PREPARATION), clock=clock, state_machine=PREPARATION.name
)


def record_handler(record: SQSRecord) -> None:
    for sku in json.loads(record.body)["skus"]:
        results = allocate_backorders(
            sku, orders=orders, inventory=inventory, nodes=nodes, policies=policies, clock=clock, resume=resume
        )
        if results:
            logger.info("backorders re-evaluated", sku=sku, results=[(o, r.outcome) for o, r in results])


batch = PartialBatch(record_handler, "SQS")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return batch(event, context)
