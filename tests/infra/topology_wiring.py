"""The Wiring that shared/topology.py declares: what the synthesized template must show."""

from __future__ import annotations

from shared.topology import (
    BROWSER_ORIGIN_ENV,
    COMMON_ENVIRONMENT,
    EMAIL_FROM_ENV,
    AuthorizerTrigger,
    Function,
    QueueTrigger,
    ScheduleTrigger,
    StreamTrigger,
    TaskTrigger,
    resource_environment,
)
from tests.infra.wiring import Wiring


def declared_wiring(functions: tuple[Function, ...]) -> Wiring:
    triggers = [(fn, t) for fn in functions for t in fn.triggers]
    authorizers = [fn.name for fn, t in triggers if isinstance(t, AuthorizerTrigger)]
    return Wiring(
        functions=frozenset(fn.name for fn in functions),
        routes=frozenset((r.method, r.path, fn.name) for fn in functions for r in fn.routes),
        authorized_routes=frozenset((r.method, r.path) for fn in functions for r in fn.routes if r.authorized),
        authorizer=authorizers[0] if authorizers else None,
        queue_triggers=frozenset((t.queue.name, fn.name) for fn, t in triggers if isinstance(t, QueueTrigger)),
        task_functions=frozenset((t.state_machine.name, fn.name) for fn, t in triggers if isinstance(t, TaskTrigger)),
        schedules=frozenset((t.expression, fn.name) for fn, t in triggers if isinstance(t, ScheduleTrigger)),
        stream_triggers=frozenset((t.table.name, fn.name) for fn, t in triggers if isinstance(t, StreamTrigger)),
        environment={
            fn.name: frozenset(
                {*COMMON_ENVIRONMENT, EMAIL_FROM_ENV, BROWSER_ORIGIN_ENV, *resource_environment(fn), *fn.environment}
            )
            for fn in functions
        },
    )
