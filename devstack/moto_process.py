"""moto in a process of its own, for the embedded stack: the stack's process runs the functions, the
gateway, the pollers and the simulators; this one runs the emulated AWS (devstack/moto_server.py's
server, with its changes), Step Functions' interpreter among it. In one process both shared one
interpreter lock, which kept a busy stack to one of the machine's cores.

Step Functions' Lambda tasks reach the functions over HTTP (devstack/invoke_server.py). The outbox
and the documents mirror read moto's backends, so they run here: the stack starts them once the
resources exist, and flushes them, through this server's /_waybill/ paths.

Run by the stack: python -m devstack.moto_process --port P --invoke-url URL --state-dir DIR
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import urllib3

from devstack.localstripe_process import die_with_parent
from devstack.moto_server import EmbeddedMotoServer, Invoker, WSGIApp, route_lambda_through
from devstack.provision import PREFIX

CONTROL = "/_waybill/"


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
        # imported here: both read moto's backends, loaded by the server
        from devstack.documents_mirror import DocumentsMirror
        from devstack.outbox import Outbox

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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per emulated AWS call
    # a plain flag: a handler that sets an Event the main thread is waiting on can deadlock on its lock
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    mirrors = _Mirrors(args.state_dir, args.region)
    route_lambda_through(invoker_over_http(args.invoke_url), PREFIX)
    server = EmbeddedMotoServer(args.port, wrap=mirrors.wrap)
    server.start()
    parent = os.getppid()
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


class MotoProcess:
    """The stack's handle on its moto process."""

    def __init__(self, port: int, invoke_url: str, state_dir: Path, region: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._invoke_url, self._state_dir, self._region = invoke_url, state_dir, region
        self._log_file = state_dir / "moto.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._http = urllib3.PoolManager()

    def start(self, timeout_s: float = 60) -> None:
        command = [sys.executable, "-m", "devstack.moto_process", "--port", str(self.port)]
        command += ["--invoke-url", self._invoke_url, "--state-dir", str(self._state_dir), "--region", self._region]
        with self._log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto exited with {self._proc.returncode}; see {self._log_file}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"moto did not listen on {self.port} within {timeout_s}s; see {self._log_file}")

    def _control(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self._http.request("POST", f"{self.url}{CONTROL}{action}", body=json.dumps(body or {}).encode())
        if answer.status != 200:
            raise RuntimeError(f"moto's {action} answered {answer.status}")
        found: dict[str, Any] = json.loads(answer.data)
        return found

    def start_mirrors(self, documents_bucket: str) -> None:
        """The outbox and the documents folder, kept up to date from here on."""
        self._control("start", {"documents_bucket": documents_bucket})

    def flush_mirrors(self) -> int:
        """Writes the mail and documents stored since the last copy; returns how many."""
        return int(self._control("flush")["copied"])

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()  # it writes its last mail and documents first
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)


if __name__ == "__main__":
    main()
