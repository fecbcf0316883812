"""Synthesizes the app in-process (faster than the CLI) and reads back what it wrote."""

from __future__ import annotations

import json
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
    """The app as `cdk synth` builds it (cdk.json context, cdk-nag), optionally from a variant topology."""
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
