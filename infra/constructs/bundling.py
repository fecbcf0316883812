"""Builds the Lambda dependency layers and the code asset on this machine: no Docker daemon is needed.

pip downloads manylinux wheels for the Lambda platform (arm64, CPython 3.13) whatever this machine is,
pinned by uv.lock to the versions the tests ran against. The tree is split in two layers: the label
stack (fpdf2, Pillow, fontTools: most of the bytes) goes only to the functions that draw labels.
Everything shipped carries bytecode compiled by a CPython of the runtime's exact minor version:
Lambda's /var/task and /opt are read-only, so without it every cold start compiles from source.
That is why the runtime is python3.13 and not 3.14: a 3.14 interpreter is not available to the
build, and a .pyc only loads in the interpreter version that wrote it.
The trees are cached under build/, keyed by everything that decides their content, so repeated synths
copy them instead of running pip (and need no network); pip's own download cache sits beside them.
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

PYTHON_VERSION = "3.13"
# Lambda's python3.13 runs on Amazon Linux 2023 (glibc 2.34); pip picks the newest wheel that fits.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64")
# The Lambda runtime ships the AWS SDK; dropping it (even when pulled in transitively) saves ~35 MB.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
# Only the functions that draw label PDFs need these (and what only they pull in): a layer of their own.
LABEL_DISTRIBUTIONS = ("fpdf2", "pillow", "fonttools", "defusedxml", "python-barcode")
BASE, LABELS = "base", "labels"
# Bump when the way the layer is built changes, so cached trees are rebuilt.
_RECIPE = 2

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


def cache_key(
    requirements: tuple[str, ...], constraints: tuple[str, ...], platforms: tuple[str, ...] = PLATFORMS
) -> str:
    recipe: dict[str, object] = {"requirements": sorted(requirements), "constraints": sorted(constraints)}
    recipe |= {"python": PYTHON_VERSION, "labels": LABEL_DISTRIBUTIONS}
    recipe |= {"platforms": platforms, "prune": RUNTIME_PROVIDED, "recipe": _RECIPE}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:32]


def _installer(target: Path, platforms: tuple[str, ...]) -> list[str]:
    """pip, from this interpreter or the PATH; uv's pip interface when neither has one (uv venvs)."""
    pip = [sys.executable, "-m", "pip"] if importlib.util.find_spec("pip") else None
    if pip is None and (found := shutil.which("pip3") or shutil.which("pip")):
        pip = [found]
    if pip is not None:
        platform_args = [arg for p in platforms for arg in ("--platform", p)]
        return [
            *pip,
            "install",
            "--quiet",
            *("--implementation", "cp", "--python-version", PYTHON_VERSION, *platform_args),
            *("--only-binary=:all:", "--no-compile", "--no-warn-conflicts", "--disable-pip-version-check"),
            *("--root-user-action=ignore", "--cache-dir", str(BUILD_DIR / "pip-cache"), "-t", str(target)),
        ]
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("Building the dependency layer needs pip or uv on the PATH")
    return [
        *(uv, "pip", "install", "--quiet", "--python-platform", _uv_platform(platforms)),
        *("--python-version", PYTHON_VERSION, "--only-binary", ":all:"),
        *("--cache-dir", str(BUILD_DIR / "uv-cache"), "--target", str(target)),
    ]


def _uv_platform(platforms: tuple[str, ...]) -> str:
    return "aarch64-manylinux_2_34" if any("aarch64" in p for p in platforms) else "x86_64-manylinux_2_34"


def python_for_bytecode() -> str:
    """A CPython of exactly PYTHON_VERSION (on the PATH, from pyenv or uv), or a clear error."""
    candidates = [shutil.which(f"python{PYTHON_VERSION}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted(pyenv_root.glob(f"versions/{PYTHON_VERSION}.*/bin/python{PYTHON_VERSION}"))]
    if uv := shutil.which("uv") or shutil.which(str(REPO_ROOT / ".tools" / "bin" / "uv")):
        found = subprocess.run([uv, "python", "find", PYTHON_VERSION], capture_output=True, text=True, check=False)
        candidates.append(found.stdout.strip() or None)
    probe = "import sys; print('%d.%d' % sys.version_info[:2], sys.implementation.name)"
    for candidate in filter(None, candidates):
        answer = subprocess.run([candidate, "-c", probe], capture_output=True, text=True, check=False)
        if answer.returncode == 0 and answer.stdout.split() == [PYTHON_VERSION, "cpython"]:
            return candidate
    raise RuntimeError(
        f"Shipping bytecode for the python{PYTHON_VERSION} Lambda runtime needs a CPython {PYTHON_VERSION} "
        f"interpreter (python{PYTHON_VERSION} on the PATH, pyenv or `uv python install {PYTHON_VERSION}`)"
    )


def compile_tree(root: Path) -> None:
    """Writes __pycache__/*.cpython-3XX.pyc next to every module, as the runtime's interpreter would.

    unchecked-hash: the .pyc is used without comparing it to the source's mtime, which asset zips do
    not keep (a timestamp .pyc would be stale at once and recompiled, in memory, at every cold start).
    """
    command = [python_for_bytecode(), "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]
    subprocess.run([*command, str(root)], check=True, stdout=subprocess.DEVNULL)


def split_labels(tree: Path, labels: Path) -> None:
    """Moves the label stack's top-level entries (as their dist-info RECORDs list them) to `labels`."""
    owners: dict[str, set[str]] = {}
    for record in tree.glob("*.dist-info/RECORD"):
        dist = _dist_name(record.parent.name.split("-")[0])
        for line in record.read_text().splitlines():
            top = line.split(",", 1)[0].split("/", 1)[0]
            if top and top != "..":
                owners.setdefault(top, set()).add(dist)
    labels.mkdir(parents=True, exist_ok=True)
    for top, dists in owners.items():
        if dists <= set(LABEL_DISTRIBUTIONS) and (tree / top).exists():
            shutil.move(tree / top, labels / top)


def pip_install(
    target: Path, requirements: tuple[str, ...], constraints: tuple[str, ...], platforms: tuple[str, ...]
) -> None:
    """Installs wheels for `platforms` and CPython PYTHON_VERSION into `target`, pinned by `constraints`."""
    with tempfile.TemporaryDirectory() as scratch:
        pins = Path(scratch) / "constraints.txt"
        pins.write_text("".join(f"{c}\n" for c in constraints))
        subprocess.run([*_installer(target, platforms), "-c", str(pins), *requirements], check=True)


def build_layer_tree(
    requirements: tuple[str, ...], constraints: tuple[str, ...], platforms: tuple[str, ...] = PLATFORMS
) -> Path:
    """Returns a directory holding `base/python/` and `labels/python/`, building it unless it is cached."""
    cached = BUILD_DIR / "layer-cache" / cache_key(requirements, constraints, platforms)
    if (cached / LABELS / "python").is_dir():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{cached.name}.", dir=cached.parent))
    try:
        base = staging / BASE / "python"
        print(f"Building the dependency layers in {cached} (cached afterwards)", file=sys.stderr)
        pip_install(base, requirements, constraints, platforms)
        for entry in base.iterdir():
            dropped = _dist_name(entry.name.split("-")[0]) in RUNTIME_PROVIDED or entry.name == "bin"
            if dropped and entry.is_dir():
                shutil.rmtree(entry)
        split_labels(base, staging / LABELS / "python")
        compile_tree(staging)
        # Atomic publish: a concurrent synth either sees the whole tree or builds its own.
        os.replace(staging, cached)
    except OSError:
        if not (cached / LABELS / "python").is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


# gitignore-style names left out of the code asset: only functions/ and shared/ go to Lambda.
CODE_PACKAGES = ("functions", "shared")
_CODE_IGNORED = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".mypy_cache", ".pytest_cache", "tests")


def build_code_tree() -> Path:
    """functions/ and shared/ with their bytecode, under build/code-cache/<hash of the sources>."""
    digest = hashlib.sha256(f"{PYTHON_VERSION}:{_RECIPE}".encode())
    sources = sorted(
        p
        for package in CODE_PACKAGES
        for p in (REPO_ROOT / package).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}
    )
    for path in sources:
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    cached = BUILD_DIR / "code-cache" / digest.hexdigest()[:32]
    if cached.is_dir():
        return cached
    cached.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{cached.name}.", dir=cached.parent))
    try:
        for package in CODE_PACKAGES:
            shutil.copytree(REPO_ROOT / package, staging / package, ignore=_CODE_IGNORED)
        compile_tree(staging)
        os.replace(staging, cached)
    except OSError:
        if not cached.is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    def __init__(self, requirements: tuple[str, ...], constraints: tuple[str, ...], part: str = BASE) -> None:
        self.requirements = requirements
        self.constraints = constraints
        self.part = part

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:  # noqa: ARG002
        tree = build_layer_tree(self.requirements, self.constraints)
        shutil.copytree(tree / self.part / "python", Path(output_dir) / "python", dirs_exist_ok=True)
        return True
