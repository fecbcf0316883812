"""checkov (3.3, offline) scans the synthesized template; every failed check is fixed or acknowledged.

checkov lives in its own environment (.tools/checkov, from tools/checkov/uv.lock; scripts/bootstrap.sh
installs it) because it pins an older boto3 than Waybill's.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

from infra.checkov_acknowledgements import ACKNOWLEDGED, Acknowledgement
from tests.infra.synth import Synthesized

# one worker runs the module, so the scan (minutes on a busy machine) runs once, not once per worker
pytestmark = pytest.mark.xdist_group("checkov")

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKOV = REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"


def run_checkov(*templates: Path) -> dict[str, Any]:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run scripts/bootstrap.sh"
    # --skip-download and BC_SKIP_MAPPING: no call to the Prisma Cloud API (guidelines, policies).
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    files = [arg for t in templates for arg in ("-f", str(t))]
    result = subprocess.run(
        # --compact: no code block per result (without it the report was 755 MB and printing it was
        # three quarters of the scan's minute)
        [str(CHECKOV), *files, "--framework", "cloudformation", "-o", "json", "--skip-download", "--compact"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=600,
    )
    # Exit code 1 means "some check failed"; anything else (or no JSON) is checkov itself failing.
    assert result.returncode in (0, 1), result.stderr[-3000:]
    report = json.loads(result.stdout)
    (only,) = report if isinstance(report, list) else [report]
    assert only["check_type"] == "cloudformation"
    report_dict: dict[str, Any] = only
    return report_dict


def matches(ack: Acknowledgement, finding: dict[str, Any]) -> bool:
    return ack.check_id == finding["check_id"] and fnmatchcase(finding["resource"], ack.resource)


# A template with one resource that must fail, scanned in the same run (checkov takes ~10 s to start).
CARELESS = {"Resources": {"CarelessBucket": {"Type": "AWS::S3::Bucket", "Properties": {"AccessControl": "PublicRead"}}}}


@dataclass(frozen=True)
class Scan:
    version: str
    passed: int
    failed: list[dict[str, Any]]  # the Waybill template's failed checks
    careless: list[dict[str, Any]]  # CARELESS's failed checks


@pytest.fixture(scope="module")
def scan(synth: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Scan:
    careless = tmp_path_factory.mktemp("checkov") / "careless.template.json"
    careless.write_text(json.dumps(CARELESS))
    report = run_checkov(synth.template_path, careless)

    def of(path: Path, kind: str) -> list[dict[str, Any]]:
        return [f for f in report["results"][kind] if Path(f["file_abs_path"]).name == path.name]

    return Scan(
        version=report["summary"]["checkov_version"],
        passed=len(of(synth.template_path, "passed_checks")),
        failed=of(synth.template_path, "failed_checks"),
        careless=of(careless, "failed_checks"),
    )


def test_checkov_finds_nothing_unacknowledged(scan: Scan) -> None:
    open_findings = [f for f in scan.failed if not any(matches(a, f) for a in ACKNOWLEDGED)]
    print(
        f"checkov {scan.version}: {scan.passed} passed, {len(scan.failed)} failed "
        f"({len(scan.failed) - len(open_findings)} acknowledged, {len(open_findings)} open)"
    )
    lines = [
        f"  {f['check_id']} on {f['resource']}: {f['check_name']}\n"
        f"    fix it, or add to infra/checkov_acknowledgements.py ACKNOWLEDGED:\n"
        f'    Acknowledgement("{f["check_id"]}", "{f["resource"].split(".")[0]}.<logical id glob>", "<why>"),'
        for f in open_findings
    ]
    assert not open_findings, "checkov findings neither fixed nor acknowledged:\n" + "\n".join(lines)


def test_every_acknowledgement_is_used_and_has_a_reason(scan: Scan) -> None:
    unused = [a for a in ACKNOWLEDGED if not any(matches(a, f) for f in scan.failed)]
    assert not unused, (
        f"no finding matches these any more; remove them from infra/checkov_acknowledgements.py: {unused}"
    )
    for ack in ACKNOWLEDGED:
        assert len(ack.reason.strip()) >= 40, f"{ack.check_id} {ack.resource}: reason too short"


def test_an_unacknowledged_finding_is_reported(scan: Scan) -> None:
    """checkov really runs and its findings reach the check: a public-read bucket is reported, unacknowledged."""
    public_read = [f for f in scan.careless if f["check_id"] == "CKV_AWS_20"]
    assert [f["resource"] for f in public_read] == ["AWS::S3::Bucket.CarelessBucket"]
    assert not any(matches(a, f) for a in ACKNOWLEDGED for f in public_read)
