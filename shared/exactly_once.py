"""One email (or other side effect) per key, even when two attempts of a step race.

Powertools' idempotency keeps an in-progress record keyed on the task's `key`: a second attempt
arriving while the first runs fails with IdempotencyAlreadyInProgressError (the state machine
retries it) and one arriving afterwards gets the first result back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

Task = Callable[..., dict[str, Any]]
WEEK_S = 7 * 24 * 3600


def sent_then_recorded(send: Task, record: Callable[[dict[str, Any], str], str]) -> Callable[[dict[str, Any]], str]:
    """An email sent once per task key, then recorded on the order; returns the message id.

    `send` (decorated with `once_per`'s decorator) sends unless the order records the email;
    `record` keeps the message id on the order and is harmless to repeat. Only the send is inside
    the idempotency record: covering the write too, a failed write deleted the record and the
    retry sent the email again."""

    def deliver(task: dict[str, Any]) -> str:
        return record(task, str(send(task=task)["message_id"]))

    return deliver


def once_per(table: str, key: str, dynamodb: Any) -> tuple[Callable[[Task], Task], IdempotencyConfig]:
    """A decorator for `def step(task: dict)` keyed on task[key], and its config (register the Lambda
    context on it in the handler so a record outliving a timed-out invocation expires)."""
    persistence = DynamoDBPersistenceLayer(table_name=table, boto3_client=dynamodb)
    config = IdempotencyConfig(event_key_jmespath=key, expires_after_seconds=WEEK_S)
    decorator: Callable[[Task], Task] = idempotent_function(
        data_keyword_argument="task", persistence_store=persistence, config=config
    )
    return decorator, config
