"""Queue consumers' shared parsing: a body that can never be valid is logged and left to SQS, which
retries it; on its last receive the consumer moves it to the queue's dead-letter queue itself, with
the reason in its `failure_reason` attribute, so that `GET /v1/ops/dead-letters` can say why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import TypeAdapter, ValidationError

M = TypeVar("M")


class Undeliverable(Exception):
    """The message cannot be applied as it is; it is retried and then dead-lettered."""


def problems(err: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())


def parse(schema: type[M] | TypeAdapter[M], record: SQSRecord, logger: Logger, what: str) -> M:
    """The record's JSON body as `schema` (a pydantic model or TypeAdapter); Undeliverable if invalid."""
    adapter: TypeAdapter[Any] = schema if isinstance(schema, TypeAdapter) else TypeAdapter(schema)
    try:
        parsed: M = adapter.validate_json(record.body)
    except ValidationError as err:
        reason = problems(err)
        logger.error(what, message_id=record.message_id, reason=reason)
        raise Undeliverable(reason) from err
    return parsed


class DeadLetterSink(Protocol):
    def dead_letter(self, body: str, attributes: dict[str, Any], reason: str) -> None:
        """Puts the message on its queue's dead-letter queue, saying why."""


def _attributes(record: SQSRecord) -> dict[str, Any]:
    """The record's message attributes as SendMessage takes them (the event spells them in camel case)."""
    out: dict[str, Any] = {}
    for name, a in (record.raw_event.get("messageAttributes") or {}).items():
        if a.get("stringValue") is not None:
            out[name] = {"DataType": a.get("dataType", "String"), "StringValue": a["stringValue"]}
    return out


def dead_letter_with_reason(
    handle: Callable[[SQSRecord], Any], sink: DeadLetterSink, max_receives: int, logger: Logger
) -> Callable[[SQSRecord], Any]:
    """`handle`, except that a message it finds Undeliverable on its last receive (when SQS would
    move it anyway) is dead-lettered here with the reason, and answered as handled."""

    def record_handler(record: SQSRecord) -> Any:
        try:
            return handle(record)
        except Undeliverable as err:
            if int(record.attributes.approximate_receive_count or 0) < max_receives:
                raise
            sink.dead_letter(record.body, _attributes(record), str(err))
            logger.warning("dead-lettered with its reason", message_id=record.message_id, reason=str(err))
            return "dead_lettered"

    return record_handler
