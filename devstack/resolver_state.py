"""Powertools' HTTP resolver, one request per thread, for the embedded stack only.

The resolver stores the request it is resolving on the class (`BaseRouter.current_event`,
`BaseRouter.lambda_context`): one per process, which in Lambda is one execution environment.
Here every local environment shares the stack's process, so two API functions resolving at once
would read each other's request (a POST answered 422 "body: Field required"). Each invocation
runs on its own thread, so keeping those two attributes per thread gives every invocation its own,
as Lambda's one-process-per-environment does, without making API calls wait for one another.
"""

from __future__ import annotations

import threading
from typing import Any

_ATTRIBUTES = ("current_event", "lambda_context")
_local = threading.local()


def _per_thread(name: str) -> property:
    def get(_: object) -> Any:
        try:
            return getattr(_local, name)
        except AttributeError:
            raise AttributeError(name) from None

    def put(_: object, value: Any) -> None:
        setattr(_local, name, value)

    return property(get, put)


def install() -> None:
    """Idempotent. Class-level writes (`BaseRouter.current_event = ...`) go through a metaclass
    property; reads on resolver instances through a property on the class itself."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    if getattr(type(BaseRouter), "_waybill_per_thread", False):
        return
    for name in _ATTRIBUTES:
        setattr(BaseRouter, name, _per_thread(name))  # before the metaclass takes class-level writes
    meta = type("PerThreadRequest", (type(BaseRouter),), {"_waybill_per_thread": True})
    for name in _ATTRIBUTES:
        setattr(meta, name, _per_thread(name))
    setattr(BaseRouter, "__class__", meta)  # noqa: B010 (mypy refuses the plain assignment)
