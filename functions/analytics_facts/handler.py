"""Lambda entry point of the analytics facts: the orders and ledger tables' stream records become
facts on the Firehose delivery stream. A record that fails is reported alone (batchItemFailures)
and retried; its facts carry the same ids when it is, so the reports count them once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.stream_facts import facts_of_record
from shared.batches import PartialBatch
from shared.bootstrap import Wiring
from shared.topology import FACTS

w = Wiring("analytics_facts")
logger = w.logger
sink = w.fact_sink(FACTS)


def record_handler(record: DynamoDBRecord) -> int:
    facts = facts_of_record(record.raw_event)
    if facts:
        sink.put(facts)
    return len(facts)


batch = PartialBatch(record_handler, "DynamoDBStreams")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return batch(event, context)
