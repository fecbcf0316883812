"""Work moto repeats on every request that the embedded stack does once (local only; what moto
answers is unchanged). Measured with a sampling profiler on the reservations benchmark, these were
about a sixth of the stack's CPU:

- Step Functions builds a new boto3 client for every Lambda task it runs: one client per server
  port, region and service is kept instead (boto3 clients are safe to share between threads).
- Step Functions parses each JSONPath (InputPath, ResultPath, `.$` parameters) with a new parser
  every time a state runs: each distinct path is parsed once.
- The server finds the backend for a request's host by listing moto's package directory on every
  request: each host's backend is found once.
- Step Functions parses the state machine's definition (ANTLR) at the start of every execution,
  about a sixth of the stack's CPU once the rest was lighter: each definition's parse tree is kept
  and only turned into fresh evaluation components per execution (the tree is only read).
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import Any

from botocore.client import BaseClient
from moto.core.models import botocore_stubber
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import boto_client, json_path

_applied = False
_clients: dict[tuple[bool, str, str, str], BaseClient] = {}
_clients_lock = threading.Lock()
_new_client = boto_client.boto_client_for


def _shared_client(region: str, service: str, state_credentials: Any = None) -> BaseClient:
    with _clients_lock:
        # what moto's own function decides the endpoint by (in-process mock or this server's port)
        key = (botocore_stubber.enabled, moto_server_port(), region, service)
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _new_client(region, service, state_credentials)
        return client


def _backend_once(original: Any) -> Any:
    found: dict[str | None, Any] = {}

    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in found:  # called under the dispatcher's own lock
            found[host] = original(self, host)
        return found[host]

    return get_backend_for_host


_parse_definition = AmazonStateLanguageParser.parse


@functools.lru_cache(maxsize=64)
def _tree(definition: str) -> Any:
    return _parse_definition(definition)[1]  # a definition that does not parse raises: nothing kept


def _parse_once(definition: str) -> tuple[EvalComponent, Any]:
    tree = _tree(definition)
    return Preprocessor().visit(tree), tree  # components of its own for each execution


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    # every module that imported boto_client_for by name (the Lambda tasks' among them)
    lambda_eval_utils.boto_client_for = _shared_client  # type: ignore[attr-defined]
    for module in list(sys.modules.values()):
        if getattr(module, "boto_client_for", None) is _new_client:
            module.boto_client_for = _shared_client  # type: ignore[attr-defined]
    json_path.parse = functools.lru_cache(maxsize=4096)(json_path.parse)  # type: ignore[attr-defined]
    result_path.parse = functools.lru_cache(maxsize=4096)(result_path.parse)  # type: ignore[attr-defined]
    AmazonStateLanguageParser.parse = staticmethod(_parse_once)  # type: ignore[method-assign]
    original = DomainDispatcherApplication.get_backend_for_host
    DomainDispatcherApplication.get_backend_for_host = _backend_once(original)  # type: ignore[method-assign]
