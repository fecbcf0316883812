"""What loading a handler module (Lambda's init) may not load: the SDK and the libraries a function
needs only once a request touches them. benchmarks/cold_start.py measures the time; this checks
the imports, for every function, so a module-level client or import cannot creep back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# boto3 and s3transfer (~0.2 s) are loaded by the first client a request uses, and botocore's
# client machinery with them; Powertools' idempotency and parameters utilities import boto3, and its
# batch utility builds pydantic models of every event source it knows.
DEFERRED = (
    "boto3",
    "s3transfer",
    "botocore.client",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parameters",
    "aws_lambda_powertools.utilities.batch",
    "stripe",
    "fpdf",
    "PIL",
)

_PROBE = """
import json, sys
from shared import topology as t
from tests.unit.test_composition_root import load_handler, own_environment
loaded = {}
for fn in t.FUNCTIONS:
    load_handler(fn, own_environment(fn))
    loaded[fn.name] = sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)
print(json.dumps(loaded))
"""


def test_no_handler_loads_the_sdk_or_a_deferred_library_at_init() -> None:
    # Found: orders_api's init imported boto3 twice over (boto3.dynamodb.types for attribute values,
    # Powertools' idempotency for its exactly-once step), 0.2-0.4 s of its cold start.
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(DEFERRED)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    first_offender = next(((name, mods) for name, mods in loaded.items() if mods), None)
    assert first_offender is None, f"{first_offender[0]} loads {', '.join(first_offender[1])} at init"


# What one function has no use for, though others load it at init (so each is loaded alone):
# finance_api refunds and reconciles, and the Stripe adapters' payment module names the order
# aggregate in annotations only (~30 ms of finance_api's init when it was imported).
DEFERRED_IN = {"finance_api": ("shared.domain.order",)}

_ALONE = """
import json, sys
from shared import topology as t
from tests.unit.test_composition_root import load_handler, own_environment
fn = t.function(sys.argv[1])
load_handler(fn, own_environment(fn))
print(json.dumps(sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)))
"""


def test_a_function_loads_alone_none_of_what_it_has_no_use_for() -> None:
    for name, modules in DEFERRED_IN.items():
        done = subprocess.run(
            [sys.executable, "-c", _ALONE, name, json.dumps(modules)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        loaded = json.loads(done.stdout.strip().splitlines()[-1])
        assert not loaded, f"{name} loads {', '.join(loaded)} at init"
