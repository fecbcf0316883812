"""Builds the Lambda dependency layer with pip on this machine: no Docker daemon is needed.

pip downloads manylinux wheels for the Lambda platform (arm64, CPython 3.14) whatever this machine is,
pinned by uv.lock to the versions the tests ran against. The installed tree is cached under
build/layer-cache/<key>, keyed by everything that decides its content, so repeated synths copy it
instead of running pip (and need no network); pip's own download cache sits beside it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling

from infra.spec import REPO_ROOT

PYTHON_VERSION = "3.14"
# Lambda's python3.14 runs on Amazon Linux 2023 (glibc 2.34); pip picks the newest wheel that fits.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
# The Lambda runtime ships the AWS SDK; dropping it (even when pulled in transitively) saves ~35 MB.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Bump when the way the layer is built changes, so cached trees are rebuilt.
_RECIPE = 1

BUILD_DIR = REPO_ROOT / "build"
# Never used: local bundling always succeeds or fails loudly, but CDK requires an image.
UNUSED_IMAGE = DockerImage.from_registry("local-bundling-only")


def layer_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> tuple[str, ...]:
    """The project's runtime dependencies, less what the Lambda runtime already provides."""
    deps: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return tuple(d for d in deps if _dist_name(d) not in RUNTIME_PROVIDED)


def locked_versions(lock: Path = REPO_ROOT / "uv.lock") -> tuple[str, ...]:
    """`name==version` constraints for every registry package uv.lock pins to a single version."""
    if not lock.exists():
        return ()
    packages = tomllib.loads(lock.read_text()).get("package", [])
    counts = Counter(p["name"] for p in packages)
    return tuple(
        sorted(
            f"{p['name']}=={p['version']}"
            for p in packages
            if counts[p["name"]] == 1 and "registry" in p.get("source", {})
        )
    )


def _dist_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    return (match.group(0) if match else requirement).lower().replace("_", "-")


def cache_key(requirements: tuple[str, ...], constraints: tuple[str, ...]) -> str:
    recipe: dict[str, object] = {"requirements": sorted(requirements), "constraints": sorted(constraints)}
    recipe |= {"python": PYTHON_VERSION}
    recipe |= {"platforms": PLATFORMS, "prune": RUNTIME_PROVIDED, "recipe": _RECIPE}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:32]


def _installer(target: Path) -> list[str]:
    """pip, from this interpreter or the PATH; uv's pip interface when neither has one (uv venvs)."""
    pip = [sys.executable, "-m", "pip"] if importlib.util.find_spec("pip") else None
    if pip is None and (found := shutil.which("pip3") or shutil.which("pip")):
        pip = [found]
    if pip is not None:
        platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
        return [
            *pip,
            "install",
            "--quiet",
            *("--implementation", "cp", "--python-version", PYTHON_VERSION, *platforms),
            *("--only-binary=:all:", "--no-compile", "--no-warn-conflicts", "--disable-pip-version-check"),
            *("--root-user-action=ignore", "--cache-dir", str(BUILD_DIR / "pip-cache"), "-t", str(target)),
        ]
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("Building the dependency layer needs pip or uv on the PATH")
    return [
        *(uv, "pip", "install", "--quiet", "--python-platform", "aarch64-manylinux_2_34"),
        *("--python-version", PYTHON_VERSION, "--only-binary", ":all:"),
        *("--cache-dir", str(BUILD_DIR / "uv-cache"), "--target", str(target)),
    ]


def build_layer_tree(requirements: tuple[str, ...], constraints: tuple[str, ...]) -> Path:
    """Returns a directory holding `python/<packages>`, building it unless it is cached."""
    cached = BUILD_DIR / "layer-cache" / cache_key(requirements, constraints)
    if (cached / "python").is_dir():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{cached.name}.", dir=cached.parent))
    try:
        pins = staging / "constraints.txt"
        pins.write_text("".join(f"{c}\n" for c in constraints))
        print(f"Building the dependency layer in {cached} (cached afterwards)", file=sys.stderr)
        subprocess.run([*_installer(staging / "python"), "-c", str(pins), *requirements], check=True)
        pins.unlink()
        for entry in (staging / "python").iterdir():
            dropped = _dist_name(entry.name.split("-")[0]) in RUNTIME_PROVIDED or entry.name == "bin"
            if dropped and entry.is_dir():
                shutil.rmtree(entry)
        # Atomic publish: a concurrent synth either sees the whole tree or builds its own.
        os.replace(staging, cached)
    except OSError:
        if not (cached / "python").is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    def __init__(self, requirements: tuple[str, ...], constraints: tuple[str, ...]) -> None:
        self.requirements = requirements
        self.constraints = constraints

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:  # noqa: ARG002
        tree = build_layer_tree(self.requirements, self.constraints)
        shutil.copytree(tree / "python", Path(output_dir) / "python", dirs_exist_ok=True)
        return True
