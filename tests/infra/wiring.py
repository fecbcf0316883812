"""A stack-neutral description of how functions are wired, to compare the CDK and the local stack."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wiring:
    functions: frozenset[str]
    # (METHOD, /path/{param}, function name)
    routes: frozenset[tuple[str, str, str]]
    # (METHOD, /path) of routes that go through the Lambda authorizer
    authorized_routes: frozenset[tuple[str, str]]
    authorizer: str | None
    # (logical queue name, function name)
    queue_triggers: frozenset[tuple[str, str]]
    # (logical state machine name, function name) for every Lambda task
    task_functions: frozenset[tuple[str, str]]
    # (schedule expression, function name)
    schedules: frozenset[tuple[str, str]]
    # (logical table name, function name) for every DynamoDB stream a function reads
    stream_triggers: frozenset[tuple[str, str]]
    # function name -> names of the environment variables it is given
    environment: dict[str, frozenset[str]]
