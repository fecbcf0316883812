"""Runs inside a fresh interpreter for benchmarks/cold_start.py (standard library only, nothing
imported before the clock starts): imports one handler module (Lambda's init), then invokes it once.

AWS is never reached: after init, every botocore client and session answers requests locally with
an empty 200 (`before-send`), so the first invocation times the handler's own work (clients built
on first use, lazy imports, validation) and not the network. Prints one JSON line.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import json
import resource
import sys
import time

started, started_cpu = time.perf_counter(), time.process_time()
module_name, _, attribute = sys.argv[1].rpartition(".")
module = importlib.import_module(module_name)
handler = getattr(module, attribute)
init_s, init_cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
init_modules = sorted(sys.modules)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: object) -> object:
        yield self._body


def _answer(request: object, **_: object) -> object:
    from botocore.awsrequest import AWSResponse

    content_type = request.headers.get("Content-Type") or b""  # type: ignore[attr-defined]
    body = b"{}" if b"json" in (content_type if isinstance(content_type, bytes) else content_type.encode()) else b""
    return AWSResponse(request.url, 200, {"x-amzn-requestid": "local"}, _Raw(body))  # type: ignore[attr-defined,arg-type]


def _patch_botocore() -> None:
    import gc

    from botocore import handlers
    from botocore.client import BaseClient

    handlers.BUILTIN_HANDLERS.append(("before-send", _answer))
    for obj in gc.get_objects():  # clients (and sessions) built at init
        if isinstance(obj, BaseClient):
            obj.meta.events.register("before-send", _answer)  # type: ignore[arg-type]
    boto3 = sys.modules.get("boto3")
    if boto3 is not None and boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION.events.register("before-send", _answer)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """botocore not imported at init: patch it when the first invocation imports it."""

    def find_spec(
        self,
        name: str,
        path: object,
        target: object = None,  # noqa: ARG002
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "botocore.handlers":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)  # type: ignore[arg-type]
        assert spec is not None
        assert spec.loader is not None
        exec_module = spec.loader.exec_module

        def patched(mod: object) -> None:
            exec_module(mod)  # type: ignore[arg-type]
            mod.BUILTIN_HANDLERS.append(("before-send", _answer))  # type: ignore[attr-defined]

        spec.loader.exec_module = patched  # type: ignore[method-assign,assignment]
        return spec


if "botocore.handlers" in sys.modules:
    _patch_botocore()
else:
    sys.meta_path.insert(0, _PatchOnImport())


class Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


event = json.loads(sys.stdin.read())
started, started_cpu = time.perf_counter(), time.process_time()
try:
    handler(event, Context())
    outcome = "ok"
except Exception as err:  # a refused or failed invocation is still a first invocation
    outcome = type(err).__name__
first_s, first_cpu_s = time.perf_counter() - started, time.process_time() - started_cpu
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
times = {"init_s": init_s, "init_cpu_s": init_cpu_s, "first_s": first_s, "first_cpu_s": first_cpu_s}
print(json.dumps({**times, "outcome": outcome, "rss_mb": rss_mb, "init_modules": init_modules}))
