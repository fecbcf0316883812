"""moto in a process of its own, for the embedded stack: the stack's process runs the functions, the
gateway, the pollers and the simulators; that one (devstack/moto_child.py) runs the emulated AWS,
Step Functions' interpreter among it. In one process both shared one interpreter lock, which kept
a busy stack to one of the machine's cores. This module is the stack's handle on it, without moto.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import urllib3

from devstack.child_process import stop_child, wait_listening

CONTROL = "/_waybill/"  # the moto process's own paths: the outbox and the documents mirror


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
        command = [sys.executable, "-m", "devstack.moto_child", "--port", str(self.port), "--parent-pid"]
        command += [str(os.getpid()), "--invoke-url", self._invoke_url, "--state-dir", str(self._state_dir)]
        with self._log_file.open("ab") as log:
            # it sets its own parent-death signal (no preexec_fn: this process runs threads already)
            self._proc = subprocess.Popen(
                [*command, "--region", self._region], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        try:
            wait_listening(self._proc, "moto", self.port, self._log_file, timeout_s)
        except RuntimeError:
            self.stop()
            raise

    def _control(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self._http.request(
            "POST", f"{self.url}{CONTROL}{action}", body=json.dumps(body or {}).encode(), timeout=60
        )
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
        stop_child(self._proc)  # on SIGTERM it writes its last mail and documents first
