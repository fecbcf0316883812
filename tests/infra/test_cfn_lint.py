"""cfn-lint finds no error in the synthesized template (CDK output always carries warning W3005)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.infra.synth import Synthesized


def test_cfn_lint_reports_no_error(synth: Synthesized) -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--non-zero-exit-code", "error", str(synth.template_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
