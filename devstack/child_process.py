"""What the stack's child processes (localstripe, moto) share: they end with the stack, however it
ends, and the stack waits until each listens."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import time
from pathlib import Path


def die_with_parent() -> None:
    """Linux: this process gets SIGTERM when its parent dies without stopping it (kill -9)."""
    with contextlib.suppress(OSError):  # not Linux: nothing to set
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def wait_listening(proc: subprocess.Popen[bytes], name: str, port: int, log_file: Path, timeout_s: float) -> None:
    """Returns once `port` accepts connections; raises if the child exits or is not listening in time."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; see {log_file}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port} within {timeout_s}s; see {log_file}")


def stop_child(proc: subprocess.Popen[bytes] | None, wait_s: float = 5) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `wait_s`."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
