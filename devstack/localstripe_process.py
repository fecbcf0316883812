"""localstripe (the Stripe emulator from PyPI) as a child process on loopback."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def die_with_parent() -> None:
    """Linux: the child gets SIGTERM if the stack's process dies without stopping it (kill -9)."""
    with contextlib.suppress(OSError):  # not Linux: nothing to set
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


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
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self._proc.returncode}; see {self._log_file}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"localstripe did not listen on {self.port} within {timeout_s}s")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)
