"""`make clean` removes everything the commands made, and nothing while a stack runs from the checkout."""

import fcntl
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHES = (".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis")
MADE = (".venv", ".tools", "node_modules", "cdk.out", "build", ".waybill", *CACHES)


def _checkout(tmp_path: Path) -> Path:
    shutil.copy2(ROOT / "Makefile", tmp_path / "Makefile")
    for name in MADE:
        (tmp_path / name).mkdir()
        (tmp_path / name / "something").write_text("made by a command")
    return tmp_path


def _clean(checkout: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "clean"], cwd=checkout, capture_output=True, text=True, timeout=60)


def test_make_clean_removes_everything_the_commands_made(tmp_path):
    checkout = _checkout(tmp_path)
    (checkout / ".waybill" / "stack.lock").write_text("")  # left by a stack that stopped
    done = _clean(checkout)
    assert done.returncode == 0, done.stderr
    assert [name for name in MADE if (checkout / name).exists()] == []
    assert (checkout / "Makefile").exists()


def test_make_clean_refuses_while_a_stack_runs_from_the_checkout(tmp_path):
    checkout = _checkout(tmp_path)
    with (checkout / ".waybill" / "stack.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running stack holds it
        done = _clean(checkout)
    assert done.returncode != 0
    assert "a Waybill stack is running from this checkout" in done.stderr
    assert [name for name in MADE if not (checkout / name).exists()] == []
