"""moto in server mode, with changes that make it behave like AWS for Waybill:

- DynamoDB requests run one at a time. moto's server handles requests on parallel threads with
  no lock around its DynamoDB backend, so a conditional write or TransactWriteItems is not atomic
  there; real DynamoDB makes each request atomic, and the no-oversell guarantees rely on that.
- Lambda invocations (from Step Functions tasks or the Invoke API) run the real Python handler
  in the stack's process instead of in Docker, which is not available here (route_lambda_through).
- TransactWriteItems snapshots only the items it names for its rollback. moto deep-copies the
  whole table once per transaction item, which made a 50-line stock adjustment take seconds on a
  table of a few thousand items; with requests serialized, a copy of each named item is enough.
  (A copy of each touched partition was not: a SKU stocked at 1,000 nodes is a partition of 1,000
  items: stocking 50 SKUs at 1,000 nodes reached node 695 in 22 minutes that way, 751 in 6 this way.)
- A Query on the table's own key reads only that partition. moto sorts and scans every item of the
  table for each Query, which made the embedded stack slow down as its tables filled.
- moto keeps a reference to every model object it ever created (for its dashboard, which the
  embedded stack does not serve), so items deleted or overwritten were never freed: a long-running
  stack grew by gigabytes. Nothing else reads that list.
- A task token sent back (SendTaskSuccess, -Failure, -Heartbeat) while another execution is still
  starting is answered as AWS would: moto looks for the token in every running execution and read
  the starting one's environment before it had any, a 500 to the caller.
- Work moto repeats on every request is done once (devstack/moto_hot_paths.py).
- An Express execution's events are written to its log group as AWS writes them (devstack/moto_express.py).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.core.common_models import BaseModel
from moto.core.config import default_user_config
from moto.core.model_instances import reset_model_data
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from werkzeug.serving import make_server

from devstack import moto_express, moto_hot_paths

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
    def __init__(self, port: int, wrap: Callable[[WSGIApp], WSGIApp] = lambda app: app) -> None:
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self._wrap = wrap  # e.g. the moto process's own control paths

    def _server_entry(self) -> None:
        # both safe only because DynamoDB requests are serialized
        snapshot_items_in_transactions()
        query_partitions_only()
        forget_model_instances()
        tokens_skip_starting_executions()
        moto_hot_paths.apply()
        moto_express.apply()
        app = self._wrap(SerializedDynamoDB(DomainDispatcherApplication(create_backend_app)))
        self._server = make_server(self._ip_address, self._port, app, threaded=True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def forget_model_instances() -> None:
    """moto's BaseModel without its list of every instance (see the module's docstring)."""

    def new(cls: type[BaseModel], *_args: Any, **_kwargs: Any) -> BaseModel:
        return object.__new__(cls)

    BaseModel.__new__ = staticmethod(new)  # type: ignore[method-assign]
    reset_model_data()  # what was tracked before the server started


def _started_only(original: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    def executions(self: StepFunctionsParserBackend, *args: Any, **kwargs: Any) -> list[Any]:
        # an execution whose thread has not built its environment yet holds no token or map run
        return [
            e for e in original(self, *args, **kwargs) if e.exec_worker is not None and e.exec_worker.env is not None
        ]

    return executions


def tokens_skip_starting_executions() -> None:
    """Every caller of the parser backend's _get_executions reads each execution's environment."""
    if not getattr(StepFunctionsParserBackend._get_executions, "started_only", False):
        patched = _started_only(StepFunctionsParserBackend._get_executions)
        patched.started_only = True  # type: ignore[attr-defined]
        StepFunctionsParserBackend._get_executions = patched  # type: ignore[method-assign]


# (function name, event) -> (the invocation's payload, whether the function raised)
Invoker = Callable[[str, Any], tuple[Any, bool]]


def route_lambda_through(invoker: Invoker, prefix: str) -> None:
    """Makes moto's Lambda answer each invocation with `invoker`'s (in this process or another)."""

    def invoke(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        name = self.function_name.removeprefix(f"{prefix}-")
        payload, raised = invoker(name, event if event is not None else {})
        return json.dumps(payload), raised, ""

    LambdaFunction._invoke_lambda = invoke  # type: ignore[method-assign]
    default_user_config["stepfunctions"]["execute_state_machine"] = True


_ORIGINAL_TRANSACT = DynamoDBBackend.transact_write_items


def _transact_with_item_snapshots(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    # (table, hash, range or None) -> a copy of the item before the transaction (None: absent)
    snapshots: dict[tuple[str, DynamoType, DynamoType | None], Any] = {}
    new_partitions: set[tuple[str, DynamoType]] = set()
    for entry in transact_items:
        op = next(iter(entry.values()))
        table = self.tables.get(op.get("TableName", ""))
        attrs = op.get("Key") or op.get("Item") or {}
        if table is None or table.hash_key_attr not in attrs:
            continue
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_attr = table.range_key_attr
        range_value = DynamoType(attrs[range_attr]) if range_attr and range_attr in attrs else None
        if (table.name, hash_value, range_value) in snapshots:
            continue
        if hash_value not in table.items:
            new_partitions.add((table.name, hash_value))
        found = table.items.get(hash_value)
        if range_value is not None and found is not None:
            found = found.get(range_value)
        snapshots[(table.name, hash_value, range_value)] = copy.deepcopy(found)
    Table.__deepcopy__ = lambda table, _memo: table  # type: ignore[attr-defined]  # moto's own rollback: a no-op
    try:
        _ORIGINAL_TRANSACT(self, transact_items)
    except Exception:
        for (name, hash_value, range_value), item in snapshots.items():
            _restore(self.tables[name], hash_value, range_value, item)
        for name, hash_value in new_partitions:
            if not self.tables[name].items.get(hash_value, True):
                del self.tables[name].items[hash_value]  # created by the failed transaction, now empty
        raise
    finally:
        del Table.__deepcopy__  # type: ignore[attr-defined]


def _restore(table: Table, hash_value: DynamoType, range_value: DynamoType | None, item: Any) -> None:
    if range_value is None:
        if item is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = item
        return
    partition: Any = table.items[hash_value]  # a defaultdict: the partition exists once read
    if item is None:
        partition.pop(range_value, None)
    else:
        partition[range_value] = item


def snapshot_items_in_transactions() -> None:
    DynamoDBBackend.transact_write_items = _transact_with_item_snapshots  # type: ignore[method-assign]


_ORIGINAL_QUERY = Table.query


def _query_one_partition(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)  # moto passes it 8th
    if index_name is not None or hash_key is None:
        return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    partition = self.items.get(hash_key)
    if partition is None:
        found: list[Any] = []
    elif self.range_key_attr:
        found = list(partition.values())
    else:
        found = [partition]
    self.all_items = lambda: found  # type: ignore[method-assign]  # only this call: requests are serialized
    try:
        return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    finally:
        del self.all_items


def query_partitions_only() -> None:
    Table.query = _query_one_partition  # type: ignore[method-assign]
