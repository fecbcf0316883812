"""Partial batch responses for queue and stream consumers (Powertools' batch utility): a record that
fails is reported alone in batchItemFailures, so the good ones are not redelivered.

The utility is loaded by the first batch, not while the handler module loads: importing it builds
Powertools' pydantic models of every event source it knows (Kafka, Kinesis, ...), ~0.1 s of init.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.typing import LambdaContext


class PartialBatch:
    """`handler(event, context)` for a batch of `source` records, each given to `record_handler`."""

    def __init__(self, record_handler: Callable[[Any], Any], source: Literal["SQS", "DynamoDBStreams"]) -> None:
        self._record_handler = record_handler
        self._source = source
        self._processor: BatchProcessor | None = None

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

        if self._processor is None:
            self._processor = BatchProcessor(event_type=EventType[self._source])
        return dict(
            process_partial_response(
                event=event, record_handler=self._record_handler, processor=self._processor, context=context
            )
        )
