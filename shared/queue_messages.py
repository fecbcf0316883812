"""Queue consumers' shared parsing: a body that can never be valid is logged and left to SQS, which
retries it and then moves it to the queue's dead-letter queue."""

from __future__ import annotations

from typing import Any, TypeVar

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
