"""`cdk synth` through the pinned CLI (package.json) gives the template the in-process synth gives."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.infra.synth import Synthesized

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def _normalized(template: dict[str, Any]) -> dict[str, Any]:
    """Drops the aws:cdk:path / aws:asset:* Metadata the CLI asks the app to add, and the hash in the API
    deployment's logical id (which that metadata feeds)."""
    text = re.sub(r"(Deployment[0-9A-F]{8})[0-9a-f]{32}", r"\1", json.dumps(template))
    template = json.loads(text)
    resources = {}
    for lid, resource in template["Resources"].items():
        meta = {k: v for k, v in resource.get("Metadata", {}).items() if not k.startswith("aws:")}
        resources[lid] = {k: v for k, v in resource.items() if k != "Metadata"} | ({"Metadata": meta} if meta else {})
    return {**template, "Resources": resources}


def test_cli_synth_gives_the_same_template(synth: Synthesized, tmp_path: Path) -> None:
    # scripts/bootstrap.sh (part of the test command) installs the pinned CLI with npm ci
    assert CDK.exists(), "the pinned CDK CLI is not installed: run `npm ci` (or `make setup`)"
    env = {
        **os.environ,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CDK_DISABLE_VERSION_CHECK": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    result = subprocess.run(
        [str(CDK), "synth", "--quiet", "--output", str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cli_template = json.loads((tmp_path / "Waybill.template.json").read_text())
    assert _normalized(cli_template) == _normalized(synth.template)
