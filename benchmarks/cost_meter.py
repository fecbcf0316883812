"""Counts what a workload on the embedded stack would be billed for in AWS, as it happens.

- every AWS request, by service, operation and the function that made it: a botocore `after-call`
  hook on every session of this process (the embedded stack runs the handlers in-process);
- DynamoDB capacity units from item sizes, as DynamoDB bills on demand: a write is ceil(KB) WRU of
  the larger of the item before and after it (read aside, uncounted), twice inside a transaction;
  a read is ceil(4 KB) RRU of what it returns, half for an eventually consistent one;
- Lambda invocations and their duration (the runtime's invoke is wrapped), API Gateway requests
  (the gateway's handler is wrapped), Step Functions transitions (from execution history, counted
  by the caller after the workload).

Lambda's duration two ways. Measured: the invocation's wall time here, where every function and
the simulators share one interpreter (its lock; moto has a process of its own) and all share two
cores, so a handler mostly waits for its turn: an upper bound, not Lambda's figure. Modelled (what
is priced): the handler thread's own CPU time, stretched to the function's share of a vCPU
(Lambda gives 1 vCPU at 1,769 MB, in proportion below it), plus a stated round trip for every
request it makes (LATENCY_MS: typical in-region figures, an assumption, not measured here; Stripe's API is outside AWS).

Requests the benchmark makes itself (on its main thread: reading order status and histories) are not
counted. Requests made outside any function are attributed by thread: the SQS event-source
mappings' pollers and the warehouse and carrier simulators. Step Functions' own requests are made
in moto's process and are not seen here (its transitions are counted from the executions' history).
"""

from __future__ import annotations

import base64
import contextvars
import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.handlers

CURRENT_FUNCTION: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_function", default=None)
# the requests the running invocation has made, by service (for its modelled duration)
CALLS: contextvars.ContextVar[Counter[str] | None] = contextvars.ContextVar("calls", default=None)
# Round trip per request from a Lambda function in the same region, in ms: assumed typical figures
# (DynamoDB's single-digit-ms reads and writes, a transaction or an S3 PUT slower, an email send
# slower still); Stripe's API is called over the internet.
LATENCY_MS = {
    "dynamodb": 8,
    "s3": 25,
    "sqs": 10,
    "sns": 15,
    "ses": 40,
    "stepfunctions": 20,
    "secretsmanager": 20,
    "stripe": 300,
}
DEFAULT_LATENCY_MS = 20
ASIDE_CPU_MS = "_meter_cpu_ms"  # in CALLS: CPU the meter spent on the handler's thread
VCPU_MB = 1769  # Lambda's memory size with one full vCPU
# set while the gateway serves a request that is not part of the workload (a simulator's GET)
IGNORED: contextvars.ContextVar[bool] = contextvars.ContextVar("ignored", default=False)
_ASIDE = threading.local()  # set while the meter reads an item's size for itself


@contextmanager
def _reading_aside() -> Iterator[None]:
    _ASIDE.on = True
    try:
        yield
    finally:
        _ASIDE.on = False


def value_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one typed attribute value (its documented sizing rules)."""
    ((kind, v),) = value.items()
    match kind:
        case "S":
            return len(v.encode())
        case "N":
            digits = v.lstrip("-").replace(".", "").strip("0") or "0"
            return math.ceil(len(digits) / 2) + 1
        case "B":
            return len(v) if isinstance(v, bytes) else len(base64.b64decode(v))
        case "BOOL" | "NULL":
            return 1
        case "SS" | "NS" | "BS":
            return sum(value_size({kind[0]: e}) for e in v)
        case "L":
            return 3 + sum(1 + value_size(e) for e in v)
        case "M":
            return 3 + sum(1 + len(k.encode()) + value_size(e) for k, e in v.items())
    raise ValueError(kind)


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(k.encode()) + value_size(v) for k, v in (item or {}).items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


class Meter:
    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, str]] = Counter()  # (service, operation, owner)
        self.units: dict[tuple[str, str], float] = defaultdict(float)  # ("wru"|"rru"|"lambda_gb_s"|..., owner)
        self.invocations: Counter[str] = Counter()
        self.api_requests = 0
        self.item_sizes: Counter[str] = Counter()  # largest item seen per table (bytes)
        self._lock = threading.Lock()
        self._main = threading.main_thread()
        self._aside_client: Any = None

    # --- installation ---------------------------------------------------------------------------

    def install(self) -> None:
        """Before any boto3 session exists: every session created afterwards carries the hooks."""
        botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", self._before_call))
        botocore.handlers.BUILTIN_HANDLERS.append(("after-call", self._after_call))

    def wrap_runtime(self, runtime: Any) -> None:
        invoke, memory = runtime.invoke, {name: pool.fn.memory_mb for name, pool in runtime._pools.items()}

        def counted(name: str, event: Any) -> Any:
            if IGNORED.get():
                return invoke(name, event)
            token, calls = CURRENT_FUNCTION.set(name), Counter[str]()
            calls_token = CALLS.set(calls)
            started, cpu_started = time.perf_counter(), time.thread_time()  # the handler runs on this thread
            try:
                return invoke(name, event)
            finally:
                wall_ms = math.ceil((time.perf_counter() - started) * 1000)  # Lambda bills per 1 ms
                cpu_ms = (time.thread_time() - cpu_started) * 1000 - calls.pop(ASIDE_CPU_MS, 0)
                CURRENT_FUNCTION.reset(token)
                CALLS.reset(calls_token)
                modelled_ms = math.ceil(modelled_duration_ms(cpu_ms, memory[name], calls))
                with self._lock:
                    self.invocations[name] += 1
                    self.units[("lambda_gb_s_wall", name)] += wall_ms / 1000 * memory[name] / 1024
                    self.units[("lambda_gb_s", name)] += modelled_ms / 1000 * memory[name] / 1024
                    self.units[("lambda_s", name)] += modelled_ms / 1000  # an Express run is priced by it

        runtime.invoke = counted

    def count_stripe(self) -> None:
        """Stripe's client calls are not botocore's: each one counts toward its invocation's duration."""
        from stripe._http_client import HTTPClient

        request = HTTPClient.request_with_retries

        def counted(client: Any, *args: Any, **kwargs: Any) -> Any:
            calls = CALLS.get()
            if calls is not None:
                calls["stripe"] += 1
            return request(client, *args, **kwargs)

        HTTPClient.request_with_retries = counted  # type: ignore[method-assign,assignment]

    def wrap_gateway(self, gateway: Any, ignored_keys: set[str]) -> None:
        """`ignored_keys`: whose reads are not the workload's (the simulators poll orders to pace themselves;
        a warehouse or carrier system would not)."""
        handle = gateway.handle

        def counted(request: Any) -> Any:
            key = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            if request.method == "GET" and key in ignored_keys:
                token = IGNORED.set(True)
                try:
                    return handle(request)
                finally:
                    IGNORED.reset(token)
            with self._lock:
                self.api_requests += 1
            return handle(request)

        gateway.handle = counted

    # --- attribution ----------------------------------------------------------------------------

    def _owner(self) -> str | None:
        # the meter's own size reads first: they happen inside a function's call, and counting them
        # as the function's had every write add two reads of the whole item
        if IGNORED.get() or getattr(_ASIDE, "on", False):
            return None
        function = CURRENT_FUNCTION.get()
        if function is not None:
            return function
        thread = threading.current_thread()
        if thread is self._main:
            return None  # the benchmark itself
        name = thread.name
        if name.startswith("poller-"):
            return "event source mapping"
        if "sim" in name.lower() or "warehouse" in name.lower() or "carrier" in name.lower():
            return "warehouse/carrier"
        return f"other ({name.split('-')[0]})"

    # --- hooks ----------------------------------------------------------------------------------

    def _before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if model.service_model.service_name != "dynamodb" or self._owner() is None:
            return
        context["waybill_params"] = params
        context["waybill_before"] = self._sizes_of(model.name, params)

    def _after_call(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        owner = self._owner()
        if owner is None:
            return
        service, operation = model.service_model.service_name, model.name
        if service == "lambda" and owner.startswith("other"):
            return  # Step Functions invoking a task: counted as the invocation itself
        if service == "sqs" and operation == "ReceiveMessage" and not parsed.get("Messages"):
            return  # an idle long poll: the cost at rest, not the workload's
        with self._lock:
            self.requests[(service, operation, owner)] += 1
        calls = CALLS.get()
        if calls is not None:
            calls[service] += 1
        if service == "dynamodb":
            params = context.get("waybill_params") or {}
            self._capacity(operation, params, parsed, context.get("waybill_before") or [], owner)

    # --- DynamoDB capacity ----------------------------------------------------------------------

    def _aside(self) -> Any:
        if self._aside_client is None:
            import boto3

            self._aside_client = boto3.client("dynamodb")
        return self._aside_client

    def _current_size(self, table: str, key: dict[str, Any]) -> int:
        began = time.thread_time()
        with _reading_aside():
            item = self._aside().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        calls = CALLS.get()
        if calls is not None:
            # the meter's own CPU on the handler's thread is not the handler's
            calls[ASIDE_CPU_MS] += round((time.thread_time() - began) * 1000)
        size = item_size(item)
        with self._lock:
            self.item_sizes[table] = max(self.item_sizes[table], size)
        return size

    def _writes(self, operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], int, int]]:
        """(table, key, factor, size of what the request itself carries) per item a write touches."""
        match operation:
            case "PutItem":
                return [
                    (params["TableName"], _key_of(params["TableName"], params["Item"]), 1, item_size(params["Item"]))
                ]
            case "UpdateItem" | "DeleteItem":
                return [(params["TableName"], params["Key"], 1, 0)]
            case "TransactWriteItems":
                found = []
                for action in params["TransactItems"]:
                    ((_, body),) = action.items()
                    key = body.get("Key") or _key_of(body["TableName"], body["Item"])
                    found.append((body["TableName"], key, 2, item_size(body.get("Item"))))
                return found
            case "BatchWriteItem":
                found = []
                for table, requests in params["RequestItems"].items():
                    for request in requests:
                        if "PutRequest" in request:
                            item = request["PutRequest"]["Item"]
                            found.append((table, _key_of(table, item), 1, item_size(item)))
                        else:
                            found.append((table, request["DeleteRequest"]["Key"], 1, 0))
                return found
        return []

    def _sizes_of(self, operation: str, params: dict[str, Any]) -> list[int]:
        return [max(carried, self._current_size(t, k)) for t, k, _, carried in self._writes(operation, params)]

    def _capacity(
        self, operation: str, params: dict[str, Any], parsed: dict[str, Any], before: list[int], owner: str
    ) -> None:
        wru = 0.0
        for (table, key, factor, carried), size_before in zip(self._writes(operation, params), before, strict=False):
            wru += factor * write_units(max(size_before, carried, self._current_size(table, key)))
        rru = 0.0
        consistent = bool(params.get("ConsistentRead"))
        match operation:
            case "GetItem":
                rru = read_units(item_size(parsed.get("Item")), consistent)
            case "Query" | "Scan":
                rru = read_units(sum(item_size(i) for i in parsed.get("Items", [])), consistent)
            case "TransactGetItems":
                rru = sum(2 * read_units(item_size(r.get("Item")), True) for r in parsed.get("Responses", []))
            case "BatchGetItem":
                rru = sum(
                    read_units(item_size(i), consistent)
                    for items in parsed.get("Responses", {}).values()
                    for i in items
                )
        with self._lock:
            self.units[("wru", owner)] += wru
            self.units[("rru", owner)] += rru


def modelled_duration_ms(cpu_ms: float, memory_mb: int, calls: Counter[str]) -> float:
    """An invocation's duration on Lambda: its CPU time at the function's share of a vCPU, plus a
    round trip per request it made."""
    share = min(1.0, memory_mb / VCPU_MB)
    waits = sum(n * LATENCY_MS.get(service, DEFAULT_LATENCY_MS) for service, n in calls.items())
    return cpu_ms / share + waits


_KEYS: dict[str, tuple[str, ...]] = {}


def _key_of(table: str, item: dict[str, Any]) -> dict[str, Any]:
    """The item's primary key, from the table's key schema (looked up once per table)."""
    if table not in _KEYS:
        with _reading_aside():
            import boto3

            schema = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["KeySchema"]
        _KEYS[table] = tuple(k["AttributeName"] for k in schema)
    return {name: item[name] for name in _KEYS[table]}
