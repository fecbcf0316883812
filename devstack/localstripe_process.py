"""localstripe (the Stripe emulator from PyPI) as a child process on loopback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devstack.child_process import die_with_parent, stop_child, wait_listening


class LocalStripe:
    def __init__(self, port: int, log_file: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log_file = log_file
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30) -> None:
        log = self._log_file.open("ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "localstripe.server", "--port", str(self.port), "--from-scratch"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        try:
            wait_listening(self._proc, "localstripe", self.port, self._log_file, timeout_s)
        except RuntimeError:
            self.stop()
            raise

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        stop_child(self._proc)
