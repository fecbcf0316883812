"""Lambda entry point of the analytics facts: the orders and ledger tables' stream records become
facts on the Firehose delivery stream. A record that fails is reported alone (batchItemFailures)
and retried; its facts carry the same ids when it is, so the reports count them once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.firehose_facts import FirehoseFacts
from shared.adapters.stream_facts import facts_of_record
from shared.aws import client
from shared.logging import masked_logger
from shared.settings import FactsSettings

settings = FactsSettings.from_env()
logger = masked_logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
sink = FirehoseFacts(client("firehose"), settings.facts_stream)


def record_handler(record: DynamoDBRecord) -> int:
    facts = facts_of_record(record.raw_event)
    if facts:
        sink.put(facts)
    return len(facts)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )
