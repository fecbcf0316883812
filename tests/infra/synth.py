"""Synthesizes the app (through the pinned CDK CLI, as a deploy does, or in-process for a variant
topology) and reads back what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.spec import Spec


@dataclass(frozen=True)
class Synthesized:
    outdir: Path
    stack_name: str
    template: dict[str, Any]

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{self.stack_name}.template.json"

    @property
    def assets(self) -> dict[str, Any]:
        """The asset manifest's file assets (source path and S3 object key)."""
        files: dict[str, Any] = json.loads((self.outdir / f"{self.stack_name}.assets.json").read_text())["files"]
        return files

    def asset_source(self, object_key: str) -> Path:
        """The staged file or directory uploaded as `object_key`."""
        for asset in self.assets.values():
            if any(d["objectKey"] == object_key for d in asset["destinations"].values()):
                return self.outdir / str(asset["source"]["path"])
        raise KeyError(object_key)

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.template["Resources"].items() if r["Type"] == resource_type}


def synthesize(outdir: Path, spec: Spec | None = None) -> Synthesized:
    """The app in-process, with cdk synth's context (cdk.json) and cdk-nag, optionally from a variant
    topology (the CLI cannot be given one)."""
    from aws_cdk import App

    from infra.app import build_app, cdk_json_context
    from infra.constructs import nag
    from infra.stack import STACK_NAME, WaybillStack

    if spec is None:
        app, stack = build_app(outdir=str(outdir))
    else:
        app = App(outdir=str(outdir), context=cdk_json_context(), analytics_reporting=False)
        nag.add_checks(app)
        stack = WaybillStack(app, STACK_NAME, spec=spec)
    assembly = app.synth()
    template: dict[str, Any] = assembly.get_stack_by_name(stack.stack_name).template
    return Synthesized(outdir=outdir, stack_name=stack.stack_name, template=template)


REPO_ROOT = Path(__file__).resolve().parents[2]
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def synthesize_with_cli(outdir: Path) -> Synthesized:
    """`cdk synth` through the CLI package.json pins (the app command is cdk.json's): what `cdk deploy`
    deploys. scripts/bootstrap.sh (part of the test command) installs it with npm ci."""
    from infra.stack import STACK_NAME

    assert CDK.exists(), "the pinned CDK CLI is not installed: run `npm ci` (or `make setup`)"
    env = {
        **os.environ,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CDK_DISABLE_VERSION_CHECK": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    result = subprocess.run(
        [str(CDK), "synth", "--quiet", "--output", str(outdir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    template = json.loads((outdir / f"{STACK_NAME}.template.json").read_text())
    return Synthesized(outdir=outdir, stack_name=STACK_NAME, template=template)
