"""moto in server mode, with two changes that make it behave like AWS for Waybill:

- DynamoDB requests run one at a time. moto's server handles requests on parallel threads with
  no lock around its DynamoDB backend, so a conditional write or TransactWriteItems is not atomic
  there; real DynamoDB makes each request atomic, and the no-oversell guarantees rely on that.
- Lambda invocations (from Step Functions tasks or the Invoke API) run the real Python handler
  in-process instead of in Docker, which is not available here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.core.config import default_user_config
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from devstack.runtime import LambdaError, LambdaRuntime

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SerializedDynamoDB:
    """WSGI middleware: DynamoDB calls pass one at a time, other services stay concurrent."""

    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self._app(environ, start_response)
        with self._lock:
            # consume the whole body inside the lock: the backend may work lazily while iterating
            return list(self._app(environ, start_response))


class EmbeddedMotoServer(ThreadedMotoServer):
    def __init__(self, port: int) -> None:
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)

    def _server_entry(self) -> None:
        app = SerializedDynamoDB(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


def route_lambda_to(runtime: LambdaRuntime, prefix: str) -> None:
    """Makes moto's Lambda run invocations on `runtime` (Step Functions tasks go through here)."""

    def invoke(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        try:
            name = self.function_name.removeprefix(f"{prefix}-")
            result = runtime.invoke(name, event if event is not None else {})
        except LambdaError as err:
            return json.dumps(err.payload), True, ""
        return json.dumps(result), False, ""

    LambdaFunction._invoke_lambda = invoke  # type: ignore[method-assign]
    default_user_config["stepfunctions"]["execute_state_machine"] = True
