"""Where moto's Lambda reaches the functions when moto runs in a process of its own
(devstack/moto_child.py): Step Functions' Lambda tasks and the Invoke API POST the event to
/invoke/<function> and get back what Lambda's Invoke API gives, the payload and whether the
function raised. The functions run here, in the stack's process, like every other invocation."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from devstack.runtime import LambdaError, LambdaRuntime
from devstack.served import Served

PATH = "/invoke/"


class InvokeServer:
    def __init__(self, runtime: LambdaRuntime) -> None:
        self._runtime = runtime
        self._served: Served | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        name = request.path.removeprefix(PATH)
        if request.method != "POST" or not request.path.startswith(PATH) or not self._runtime.has(name):
            return Response("no such function", status=404)(environ, start_response)
        event = json.loads(request.get_data() or b"{}")
        try:
            answer = {"payload": self._runtime.invoke(name, event), "raised": False}
        except LambdaError as err:
            answer = {"payload": err.payload, "raised": True}
        return Response(json.dumps(answer), content_type="application/json")(environ, start_response)

    def start(self) -> str:
        """Serves on a free loopback port; returns its URL."""
        self._served = Served(self, 0, "invoke-server")
        return f"http://127.0.0.1:{self._served.port}"

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()
