"""Synthesizes once per run: bundling and cdk-nag make each synth take tens of seconds of CPU, so the
xdist workers share one synth of each app (the first to ask writes it, the others read it). The app
is synthesized by the pinned CDK CLI, so every infra test reads the template `cdk deploy` deploys."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path

# Node 20 runs aws-cdk-lib 2.275 fine but jsii warns at every start; set before any test loads jsii.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest

from tests.infra.synth import Synthesized, synthesize, synthesize_with_cli
from tests.infra.variants import every_kind_spec


def _shared(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, build: Callable[[Path], Synthesized]
) -> Synthesized:
    if worker_id == "master":  # not under xdist: nobody to share with
        return build(tmp_path_factory.mktemp(name))
    # the run's base directory, above each worker's own (pytest-N/popen-gwK): fresh for every run
    root = tmp_path_factory.getbasetemp().parent
    outdir, done = root / name, root / f"{name}.json"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            synthesized = build(outdir)
            done.write_text(json.dumps({"stack_name": synthesized.stack_name}))
            return synthesized
    stack_name = json.loads(done.read_text())["stack_name"]
    template = json.loads((outdir / f"{stack_name}.template.json").read_text())
    return Synthesized(outdir=outdir, stack_name=stack_name, template=template)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Synthesized:
    """The Waybill app, from shared/topology.py, as `cdk synth` writes it."""
    return _shared(tmp_path_factory, worker_id, "cdk.out", synthesize_with_cli)


@pytest.fixture(scope="session")
def variant_synth(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Synthesized:
    """The app from a topology using every trigger and grant kind (see variants.py)."""
    return _shared(tmp_path_factory, worker_id, "cdk.variant.out", lambda out: synthesize(out, every_kind_spec()))
