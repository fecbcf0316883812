"""Runs the real Lambda handlers in this process, the way Lambda does: each invocation gets an
execution environment to itself, environments are reused warm, and more are started on demand.

Each environment loads its own copy of the handler module (so module-level clients and
Powertools resolvers are never shared between concurrent invocations).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from devstack import resolver_state
from devstack.faults import function_running
from shared.bootstrap import function_environment
from shared.topology import Function

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("devstack.runtime")


@dataclass
class Context:
    """The LambdaContext attributes Powertools and the handlers read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaError(Exception):
    """A handler raised; carries the payload Lambda would return with X-Amz-Function-Error."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage"))
        self.payload = payload


@dataclass
class _Pool:
    fn: Function
    arn: str
    idle: list[Callable[..., Any]] = field(default_factory=list)
    started: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class LambdaRuntime:
    def __init__(
        self,
        functions: tuple[Function, ...],
        arn_of: Callable[[str], str],
        max_environments: int = 16,
        log_stream: IO[str] | None = None,
    ):
        self._log_stream = log_stream
        self._pools = {fn.name: _Pool(fn, arn_of(fn.name)) for fn in functions}
        self._slots = {fn.name: threading.BoundedSemaphore(max_environments) for fn in functions}
        # each function's own environment variables (Lambda's configuration), by function name
        self.environments: dict[str, dict[str, str]] = {}
        # every local environment shares this process: Powertools' resolver keeps its request per thread
        resolver_state.install()

    def _load(self, pool: _Pool) -> Callable[..., Any]:
        module_path, _, attr = pool.fn.handler.rpartition(".")
        path = ROOT / (module_path.replace(".", "/") + ".py")
        spec = importlib.util.spec_from_file_location(f"{module_path}__env{pool.started}", path)
        assert spec is not None
        assert spec.loader is not None
        module: ModuleType = importlib.util.module_from_spec(spec)
        # Powertools keeps a logger's keys per service name; in Lambda every environment is its own
        # process. A service name per environment keeps concurrent invocations' log keys apart.
        base = os.environ.get("POWERTOOLS_SERVICE_NAME", "waybill")
        service = f"{base}-{pool.fn.name}-{pool.started}"
        os.environ["POWERTOOLS_SERVICE_NAME"] = service
        try:
            # the module's composition root (shared.bootstrap) reads this function's environment only
            with function_environment(self.environments[pool.fn.name]):
                spec.loader.exec_module(module)
        finally:
            os.environ["POWERTOOLS_SERVICE_NAME"] = base
        if self._log_stream is not None:
            # Lambda sends function logs to CloudWatch; here they go to one file, not the terminal.
            for h in logging.getLogger(service).handlers:
                if isinstance(h, logging.StreamHandler):
                    h.setStream(self._log_stream)
        handler: Callable[..., Any] = getattr(module, attr)
        return handler

    def has(self, name: str) -> bool:
        return name in self._pools

    def invoke(self, name: str, event: Any) -> Any:
        """Runs the handler; returns its result or raises LambdaError like a failed invocation."""
        pool = self._pools[name]
        with self._slots[name]:  # like reserved concurrency: beyond it, callers wait
            with pool.lock:
                handler = pool.idle.pop() if pool.idle else None
                if handler is None:
                    pool.started += 1
            if handler is None:
                with _IMPORT_LOCK:  # module imports are not safe to run concurrently
                    handler = self._load(pool)
            context = Context(pool.fn.name, pool.fn.memory_mb, pool.arn, pool.fn.timeout_s)
            try:
                # a round trip through JSON, as Lambda does, so handlers never share objects with callers
                with function_running():  # the soak's faults only hit what functions call
                    result = handler(json.loads(json.dumps(event)), context)
                return json.loads(json.dumps(result))
            except Exception as err:
                log.debug("function %s raised %s", name, err)
                raise LambdaError(
                    {
                        "errorMessage": str(err),
                        "errorType": type(err).__name__,
                        "stackTrace": traceback.format_tb(err.__traceback__),
                    }
                ) from err
            finally:
                with pool.lock:
                    pool.idle.append(handler)


_IMPORT_LOCK = threading.Lock()
