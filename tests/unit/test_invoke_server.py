"""moto's Lambda, in its own process, reaches the functions in the stack's process over HTTP: the
answer is the function's payload, or its error payload marked as raised, as Lambda's Invoke API."""

from __future__ import annotations

from typing import Any

import pytest

from devstack.invoke_server import InvokeServer
from devstack.moto_child import invoker_over_http
from devstack.runtime import LambdaError


class Runtime:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def has(self, name: str) -> bool:
        return name in ("echo", "fails")

    def invoke(self, name: str, event: Any) -> Any:
        self.events.append((name, event))
        if name == "fails":
            raise LambdaError({"errorMessage": "no", "errorType": "ValueError", "stackTrace": []})
        return {"got": event}


def test_an_invocation_answers_the_payload_or_the_error_it_raised() -> None:
    runtime = Runtime()
    server = InvokeServer(runtime)  # type: ignore[arg-type]
    invoke = invoker_over_http(server.start())
    try:
        assert invoke("echo", {"order_id": "ord_1"}) == ({"got": {"order_id": "ord_1"}}, False)
        payload, raised = invoke("fails", {})
        assert raised
        assert (payload["errorType"], payload["errorMessage"]) == ("ValueError", "no")
        with pytest.raises(RuntimeError, match="404"):
            invoke("nobody", {})
        assert runtime.events == [("echo", {"order_id": "ord_1"}), ("fails", {})]
    finally:
        server.stop()
