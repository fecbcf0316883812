"""scripts/bootstrap.sh run twice keeps the first run's .venv: a stack running from the checkout
keeps its packages (recreating .venv once took moto away from a running `make dev`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What `uv sync` needs to install the project: its metadata, lock and packages (no npm part).
PROJECT = ("pyproject.toml", "uv.lock", "README.md", "scripts", "tools")
PACKAGES = ("functions", "shared", "infra", "devstack")


def _checkout(target: Path) -> Path:
    target.mkdir()
    for name in PROJECT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    for name in PACKAGES:
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _bootstrap(checkout: Path, env: dict[str, str]) -> float:
    began = time.perf_counter()
    done = subprocess.run(
        ["bash", "scripts/bootstrap.sh"], cwd=checkout, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return time.perf_counter() - began


def test_a_second_bootstrap_keeps_the_venv_even_when_python_is_a_launcher(tmp_path):
    checkout = _checkout(tmp_path / "checkout")
    # A launcher script in front of the interpreter, as pyenv's shims are.
    shim = tmp_path / "shims" / "python3"
    shim.parent.mkdir()
    real = Path(sys.base_exec_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    shim.write_text(f'#!/bin/sh\nexec "{real}" "$@"\n')
    shim.chmod(0o755)
    path = os.environ["PATH"]
    if (ROOT / ".tools" / "bin").is_dir():  # the uv this checkout's bootstrap installed
        path = f"{ROOT / '.tools' / 'bin'}{os.pathsep}{path}"
    env = {**os.environ, "PYTHON": str(shim), "PATH": path}
    env.pop("VIRTUAL_ENV", None)

    first_s = _bootstrap(checkout, env)
    venv = checkout / ".venv"
    marker = venv / "still-here"
    marker.write_text("made after the first bootstrap")
    site = next(venv.glob("lib/python*/site-packages"))
    before = (venv.stat().st_ino, site.stat().st_ino, (site / "moto").stat().st_ino)

    second_s = _bootstrap(checkout, env)
    print(f"bootstrap: first run {first_s:.1f} s, second run {second_s:.1f} s")

    assert marker.exists(), ".venv was recreated by the second bootstrap"
    assert (venv.stat().st_ino, site.stat().st_ino, (site / "moto").stat().st_ino) == before
    ran = subprocess.run([str(venv / "bin" / "python"), "-c", "import moto, devstack.cli"], cwd=checkout)
    assert ran.returncode == 0
