"""The README's tour, run as written: its shell blocks in order, in one bash session (so variables
carry over as in a terminal), against a fresh stack started as its `make dev` block says; every
documented answer is checked. The docs cannot drift from what the stack does."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devstack.stack import free_port
from tests.e2e.conftest import ROOT
from tests.e2e.readme_tour import Block, Step, tour

pytestmark = pytest.mark.e2e

STEP_TIMEOUT_S = 180
# The README's waits are a reader's machine's; the test machine may run other suites beside this one.
PATIENCE = 3
MARKER = "__tour_step_done__"


class Shell:
    """One bash process the steps are sent to, as a person types them into a terminal."""

    def __init__(self, cwd: Path) -> None:
        self._cwd = cwd
        self._proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("WAYBILL_")},
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        # A failing command anywhere in a step is reported, as a terminal would show it.
        self._send("set -o pipefail; trap 'echo \"__tour_failed__ $BASH_COMMAND\" >&2' ERR")
        self._count = 0

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)

    def _send(self, text: str) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(text + "\n")
        self._proc.stdin.flush()

    def run(self, script: str) -> tuple[int, str]:
        """Runs the step in the session; (exit status, what it printed)."""
        self._count += 1
        path = self._cwd / f".tour-step-{self._count}.sh"
        out = self._cwd / f".tour-step-{self._count}.out"
        path.write_text(script + "\n")
        self._send(f"source {path} </dev/null >{out} 2>&1; echo {MARKER} $?")
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"step did not finish in {STEP_TIMEOUT_S} s:\n{script}") from None
            if line.startswith(MARKER):
                status = int(line.split()[1])
                break
        return status, out.read_text()

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait(timeout=10)


def _start_stack(state_dir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`make dev` as the README's block says (its environment), on a free port."""
    log = (state_dir.parent / "dev.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack.cli", "dev", "--port", str(free_port())],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("WAYBILL_")}, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not (state_dir / "dev.json").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the tour's stack did not start; see {log.name}")
        time.sleep(0.2)
    return proc


def _check(shell: Shell, step: Step) -> str | None:
    deadline = time.monotonic() + (step.within_s or 0) * PATIENCE
    while True:
        status, output = shell.run(step.script)
        problem = None
        if status != 0 or "__tour_failed__" in output:
            problem = f"it failed (exit {status})"
        else:
            problem = next((p for a in step.answers if (p := a.problem(output)) is not None), None)
        if problem is None:
            return None
        if time.monotonic() >= deadline:
            return f"README line {step.line}: {problem}\n--- step\n{step.script}\n--- output\n{output[-3000:]}"
        time.sleep(1)


def test_the_readme_tour_runs_as_written(tmp_path):
    if shutil.which("jq") is None:  # the tour reads dev.json with jq, as the README says
        subprocess.run(["apt-get", "install", "-y", "-q", "jq"], check=True, capture_output=True)
    blocks: list[Block] = tour((ROOT / "README.md").read_text())
    steps = [s for b in blocks for s in b.steps]
    checked = [s for s in steps if s.answers]
    assert blocks[0].start_env is not None, "the tour starts with `make dev`"
    assert len(checked) >= 30, f"only {len(checked)} documented answers found"

    # A checkout as the reader has it: .venv here, and the state directory `make dev` writes.
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".venv").symlink_to(ROOT / ".venv" if (ROOT / ".venv").is_dir() else Path(sys.prefix))
    state = checkout / ".waybill"
    stack: subprocess.Popen[bytes] | None = None
    shell = Shell(checkout)
    began = time.perf_counter()
    try:
        for block in blocks:
            if block.start_env is not None:
                assert stack is None, "the tour starts one stack"
                stack = _start_stack(state, {**block.start_env, "WAYBILL_STATE_DIR": str(state)})
                continue
            for step in block.steps:
                problem = _check(shell, step)
                assert problem is None, problem
    finally:
        shell.close()
        if stack is not None:
            stack.send_signal(signal.SIGTERM)
            stack.wait(timeout=60)
    print(
        f"README tour: {len(blocks)} blocks, {len(steps)} steps, {len(checked)} with documented answers, "
        f"all as documented in {time.perf_counter() - began:.0f} s"
    )
