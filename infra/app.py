"""The CDK app: `cdk synth` runs `python -m infra.app` (see cdk.json)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import App

from infra.constructs import nag
from infra.spec import REPO_ROOT
from infra.stack import STACK_NAME, WaybillStack


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context (feature flags, senderEmail): the CLI passes it; in-process synths need it too."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


def build_app(outdir: str | None = None, context: Mapping[str, Any] | None = None) -> tuple[App, WaybillStack]:
    """The app and its one stack. `context` adds to cdk.json's; the CLI's `-c` overrides both."""
    # analytics_reporting off: no AWS::CDK::Metadata resource reporting library versions to AWS.
    app = App(outdir=outdir, context={**cdk_json_context(), **(context or {})}, analytics_reporting=False)
    nag.add_checks(app)
    return app, WaybillStack(app, STACK_NAME)


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
