"""What the embedded stack wires up, derived from shared/topology.py and nothing else.

The gateway, pollers and Lambda registrations are built from this plan; the parity test compares
it with the synthesized CloudFormation template.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import topology as t


@dataclass(frozen=True)
class GatewayRoute:
    method: str
    path: str  # API Gateway resource path, e.g. /v1/orders/{order_id}
    function: str
    authorized: bool


@dataclass(frozen=True)
class Poller:
    queue: t.Queue
    function: str
    batch_size: int


@dataclass(frozen=True)
class StreamPoller:
    table: t.Table
    function: str
    batch_size: int


@dataclass(frozen=True)
class Task:
    state_machine: str
    placeholder: str
    function: str


@dataclass(frozen=True)
class Schedule:
    name: str
    expression: str
    function: str


@dataclass(frozen=True)
class LocalPlan:
    functions: tuple[t.Function, ...]
    routes: tuple[GatewayRoute, ...]
    authorizer: str | None
    pollers: tuple[Poller, ...]
    tasks: tuple[Task, ...]
    schedules: tuple[Schedule, ...]
    streams: tuple[StreamPoller, ...] = ()
    authorizer_cache_s: int = 0  # how long the gateway reuses the authorizer's answer for a key


def build(functions: tuple[t.Function, ...] = t.FUNCTIONS) -> LocalPlan:
    routes, pollers, tasks, schedules, streams = [], [], [], [], []
    authorizer, authorizer_cache_s = None, 0
    for fn in functions:
        for trigger in fn.triggers:
            match trigger:
                case t.Route(method=m, path=p, authorized=a):
                    routes.append(GatewayRoute(m, p, fn.name, a))
                case t.QueueTrigger(queue=q, batch_size=b):
                    pollers.append(Poller(q, fn.name, b))
                case t.TaskTrigger(state_machine=sm, placeholder=ph):
                    tasks.append(Task(sm.name, ph, fn.name))
                case t.ScheduleTrigger(name=n, expression=e):
                    schedules.append(Schedule(n, e, fn.name))
                case t.AuthorizerTrigger(cache_ttl_s=ttl):
                    authorizer, authorizer_cache_s = fn.name, ttl
                case t.StreamTrigger(table=table, batch_size=b):
                    streams.append(StreamPoller(table, fn.name, b))
    return LocalPlan(
        functions,
        tuple(routes),
        authorizer,
        tuple(pollers),
        tuple(tasks),
        tuple(schedules),
        tuple(streams),
        authorizer_cache_s,
    )
