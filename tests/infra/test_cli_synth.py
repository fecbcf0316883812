"""`cdk synth` through the pinned CLI (package.json) is the synth every infra test reads."""

from __future__ import annotations

import json

from tests.infra.synth import Synthesized


def test_the_template_the_tests_read_is_the_one_cdk_synth_writes(synth: Synthesized) -> None:
    # Only the CLI asks the app for each resource's construct path (aws:cdk:path), so a template
    # with them came through `cdk synth`, the command `cdk deploy` runs.
    paths = [r.get("Metadata", {}).get("aws:cdk:path", "") for r in synth.template["Resources"].values()]
    assert paths
    assert all(p.startswith(f"{synth.stack_name}/") for p in paths)
    manifest = json.loads((synth.outdir / "manifest.json").read_text())
    assert manifest["artifacts"][synth.stack_name]["type"] == "aws:cloudformation:stack"
