"""One email (or other side effect) per key, even when two attempts of a step race.

Powertools' idempotency keeps an in-progress record keyed on the task's `key`: a second attempt
arriving while the first runs fails with IdempotencyAlreadyInProgressError (the state machine
retries it) and one arriving afterwards gets the first result back.

Powertools' idempotency package imports all of boto3 when it loads (~0.2 s), so it is loaded, and
the decorator built, by the first call of a decorated step, not while the handler module loads.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

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


class OnceConfig:
    """The idempotency settings of one function, built on first use; the handler registers each
    invocation's Lambda context on it, so a record outliving a timed-out invocation expires."""

    def __init__(self, table: str, key: str, dynamodb: Any) -> None:
        self._table, self._key, self._dynamodb = table, key, dynamodb
        self._lock = threading.Lock()
        self._built: tuple[Any, IdempotencyConfig] | None = None  # (persistence layer, config)
        self._decorators: dict[str | None, Callable[[Task], Task]] = {}
        self._context: LambdaContext | None = None

    def register_lambda_context(self, context: LambdaContext) -> None:
        self._context = context
        if self._built is not None:
            self._built[1].register_lambda_context(context)

    def decorator(self, key_prefix: str | None = None) -> Callable[[Task], Task]:
        """Records keyed on this function's name, or on `key_prefix`: a prefix shared by two
        functions makes one record for a side effect either of them may perform."""
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        with self._lock:
            if self._built is None:
                self._built = self._build()
            if key_prefix not in self._decorators:
                persistence, config = self._built
                self._decorators[key_prefix] = idempotent_function(
                    data_keyword_argument="task", persistence_store=persistence, config=config, key_prefix=key_prefix
                )
            return self._decorators[key_prefix]

    def _build(self) -> tuple[Any, IdempotencyConfig]:
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

        persistence = DynamoDBPersistenceLayer(table_name=self._table, boto3_client=self._dynamodb)
        config = IdempotencyConfig(event_key_jmespath=self._key, expires_after_seconds=WEEK_S)
        if self._context is not None:
            config.register_lambda_context(self._context)
        return persistence, config


class Once(Protocol):
    def __call__(self, step: Task, key_prefix: str | None = None) -> Task: ...


def once_per(table: str, key: str, dynamodb: Any) -> tuple[Once, OnceConfig]:
    """A decorator for `def step(task: dict)` keyed on task[key], and its config (register the Lambda
    context on it in the handler). `once(step, key_prefix=...)` shares its records with every
    function guarding a step under the same prefix."""
    config = OnceConfig(table, key, dynamodb)

    def decorator(step: Task, key_prefix: str | None = None) -> Task:
        guarded: list[Task] = []

        @functools.wraps(step)
        def once(*args: Any, **kwargs: Any) -> dict[str, Any]:
            if not guarded:
                guarded.append(config.decorator(key_prefix)(step))
            return guarded[0](*args, **kwargs)

        return once

    return decorator, config
