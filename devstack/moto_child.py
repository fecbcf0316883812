"""The moto process itself (devstack/moto_process.py starts it): devstack/moto_server.py's server,
with Lambda invocations sent back to the stack's process over HTTP (devstack/invoke_server.py), and
the outbox and the documents mirror, which read moto's backends, beside it: the stack starts and
flushes them through this server's /_waybill/ paths.

Run by the stack: python -m devstack.moto_child --port P --invoke-url URL --state-dir DIR --parent-pid PID
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import urllib3

from devstack.child_process import die_with_parent
from devstack.documents_mirror import DocumentsMirror
from devstack.moto_process import CONTROL
from devstack.moto_server import EmbeddedMotoServer, Invoker, WSGIApp, route_lambda_through
from devstack.outbox import Outbox
from devstack.provision import PREFIX


class _Mirrors:
    """The outbox and the documents mirror, started by the stack once the resources exist."""

    def __init__(self, state_dir: Path, region: str) -> None:
        self._state_dir, self._region = state_dir, region
        self._parts: list[Any] = []
        self._lock = threading.Lock()

    def wrap(self, app: WSGIApp) -> WSGIApp:
        def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
            path = environ.get("PATH_INFO", "")
            if not path.startswith(CONTROL):
                return app(environ, start_response)
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
            answer = self._control(path.removeprefix(CONTROL), body)
            start_response("200 OK" if answer is not None else "404 Not Found", [("Content-Type", "application/json")])
            return [json.dumps(answer).encode()]

        return wsgi

    def _control(self, action: str, body: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            if action == "start":
                if not self._parts:
                    self._parts = [
                        Outbox(self._state_dir / "outbox", self._region),
                        DocumentsMirror(self._state_dir / "documents", body["documents_bucket"]),
                    ]
                    for part in self._parts:
                        part.start()
                return {"started": True}
            if action == "flush":
                return {"copied": sum(part.flush() for part in self._parts)}
        return None

    def stop(self) -> None:
        with self._lock:
            for part in reversed(self._parts):
                try:
                    part.stop()
                except Exception:  # keep stopping the rest
                    logging.getLogger("devstack.moto").exception("stopping %s failed", type(part).__name__)


def invoker_over_http(url: str) -> Invoker:
    pool = urllib3.PoolManager(maxsize=64)  # thread-safe: each interpreter thread invokes on its own

    def invoke(name: str, event: Any) -> tuple[Any, bool]:
        answer = pool.request(
            "POST",
            f"{url}/invoke/{name}",
            body=json.dumps(event).encode(),
            headers={"Content-Type": "application/json"},
            timeout=urllib3.Timeout(connect=10, read=None),  # as long as the function runs
            retries=False,  # an invocation is not repeated behind the caller's back
        )
        if answer.status != 200:
            raise RuntimeError(f"the stack did not run {name}: {answer.status} {answer.data[:200]!r}")
        found = json.loads(answer.data)
        return found["payload"], bool(found["raised"])

    return invoke


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--invoke-url", required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--parent-pid", type=int, required=True)
    args = parser.parse_args(argv)
    die_with_parent()
    if os.getppid() != args.parent_pid:  # the stack died before the line above took effect
        os._exit(0)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per emulated AWS call
    # a plain flag: a handler that sets an Event the main thread is waiting on can deadlock on its lock
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    # Ctrl-C reaches the whole process group: the stack stops its parts first, then this one (SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    mirrors = _Mirrors(args.state_dir, args.region)
    route_lambda_through(invoker_over_http(args.invoke_url), PREFIX)
    server = EmbeddedMotoServer(args.port, wrap=mirrors.wrap)
    server.start()
    parent = args.parent_pid
    while not stopping and os.getppid() == parent:
        time.sleep(0.2)
    if os.getppid() != parent:
        # the stack was killed (Linux sends SIGTERM then): no last copy into a state directory the
        # next stack may already be starting over
        os._exit(0)
    mirrors.stop()  # their last copy of mail and documents
    server.stop()
    # without waiting for executions' threads: one may wait on a task token for hours
    logging.shutdown()
    os._exit(0)


if __name__ == "__main__":
    main()
