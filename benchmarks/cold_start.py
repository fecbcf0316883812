"""Cold start of every Lambda function against a typical Powertools handler. Prints figures only.

Production-like: each run is a fresh CPython 3.13 (the Lambda runtime's version) that sees only what
Lambda would put on its path: the code asset (functions/, shared/), the dependency layer(s) the
function gets in AWS, and the runtime's boto3, all built by infra/constructs/bundling.py for this
machine's platform with the bytecode the deployment ships. The environment is the function's
topology environment with fake values; no request leaves the process (see cold_start_child.py).

Each function runs paired with benchmarks/reference_handler.py (Logger, Tracer, Metrics,
APIGatewayRestResolver(enable_validation=True), one pydantic route), alternating which goes first.
init = importing the handler module (what Lambda's Init phase runs after the interpreter starts);
first = the first invocation. Both are the process's CPU time (user + system): on a dedicated Lambda
vCPU that is the wall time of these steps, and unlike wall time here it does not grow with whatever
else this machine runs. The `wall` column is the wall-clock ratio, for comparison. Ratios are the
median of the per-pair ratios.

Run: .venv/bin/python -m benchmarks.cold_start [--rounds N] [--only a,b] [--quick] [--no-bytecode]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # infra imports jsii

from infra.constructs.bundling import (
    BASE,
    BUILD_DIR,
    LABELS,
    PYTHON_VERSION,
    build_code_tree,
    build_layer_tree,
    compile_tree,
    layer_requirements,
    locked_versions,
    pip_install,
    python_for_bytecode,
)
from shared import topology
from shared.topology import (
    AuthorizerTrigger,
    Function,
    QueueTrigger,
    ScheduleTrigger,
    StreamTrigger,
    TaskTrigger,
)

HERE = Path(__file__).resolve().parent
REFERENCE = "reference_handler.handler"
# What the Lambda runtime provides beside the layers (its boto3), and what the reference's Tracer needs.
RUNTIME_SDK = ("boto3",)
REFERENCE_EXTRAS = ("aws-xray-sdk",)
# The targets: every function at most the reference; those behind the API at most 0.8 of it.
API_TARGET, OTHER_TARGET = 0.8, 1.0
QUICK = ("authorizer", "orders_api", "buy_label", "check_payment")
ACCOUNT, REGION = "123456789012", "us-east-1"


@dataclass(frozen=True)
class Tree:
    """Directories a run puts on sys.path, in Lambda's order: /var/task, /opt/python, /var/runtime."""

    code: Path
    base: Path
    labels: Path
    sdk: Path
    reference: Path

    def path_for(self, fn: Function | None) -> list[Path]:
        if fn is None:
            return [self.reference, self.base, self.sdk, self.reference / "extras"]
        return [self.code, self.base, *([self.labels] if fn.draws_labels else []), self.sdk]


def _host_platforms() -> tuple[str, ...]:
    arch = {"arm64": "aarch64", "amd64": "x86_64"}.get(platform.machine().lower(), platform.machine().lower())
    return (f"manylinux2014_{arch}", f"manylinux_2_28_{arch}", f"manylinux_2_34_{arch}")


def _installed(target: Path, requirements: tuple[str, ...], constraints: tuple[str, ...]) -> Path:
    if not target.is_dir():
        staging = target.with_name(target.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        pip_install(staging, requirements, constraints, _host_platforms())
        compile_tree(staging)
        staging.rename(target)
    return target


def _without_bytecode(tree: Path) -> Path:
    """A copy of `tree` as the deployment shipped it before: sources only."""
    copy = BUILD_DIR / "cold-start" / "source-only" / tree.name
    if not copy.is_dir():
        shutil.copytree(tree, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return copy


def build_tree(bytecode: bool) -> Tree:
    constraints = locked_versions()
    layers = build_layer_tree(layer_requirements(), constraints, _host_platforms())
    root = BUILD_DIR / "cold-start"
    pins = "-".join(c for c in constraints if c.split("==")[0] in {"boto3", "botocore", "aws-xray-sdk"})
    sdk = _installed(root / f"sdk-{pins}", RUNTIME_SDK, constraints)
    reference = root / "reference"
    shutil.rmtree(reference, ignore_errors=True)
    reference.mkdir(parents=True)
    shutil.copy(HERE / "reference_handler.py", reference)
    compile_tree(reference)
    _installed(root / f"extras-{pins}", REFERENCE_EXTRAS, constraints)
    (reference / "extras").symlink_to(root / f"extras-{pins}")
    code = build_code_tree()
    base, labels = layers / BASE / "python", layers / LABELS / "python"
    if not bytecode:
        # What Waybill ships loses its bytecode; the runtime's boto3 (and the reference's extras) keep theirs.
        code, base, labels = (_without_bytecode(t) for t in (code, base, labels))
        shutil.rmtree(reference / "__pycache__")
    return Tree(code, base, labels, sdk, reference)


def environment(fn: Function | None, tree: Tree) -> dict[str, str]:
    """What Lambda sets, plus the function's topology environment with fake physical names."""
    name = fn.name if fn else "reference"
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(str(p) for p in tree.path_for(fn)),
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task and /opt are read-only in Lambda
        "AWS_LAMBDA_FUNCTION_NAME": f"Waybill-{name}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb if fn else 512),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{PYTHON_VERSION}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "ASIAFAKEFAKEFAKEFAKE",
        "AWS_SECRET_ACCESS_KEY": "fake",
        "AWS_SESSION_TOKEN": "fake",
        "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "LAMBDA_TASK_ROOT": str(tree.path_for(fn)[0]),
        **topology.COMMON_ENVIRONMENT,
        topology.EMAIL_FROM_ENV: "orders@example.com",
        topology.BROWSER_ORIGIN_ENV: "https://d111111abcdef8.cloudfront.net",
    }
    if fn is None:
        return env
    fake = {
        **{t.env: f"Waybill-{t.name}" for t in topology.TABLES},
        **{q.env: f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/Waybill-{q.name}" for q in topology.QUEUES},
        **{t.env: f"arn:aws:sns:{REGION}:{ACCOUNT}:Waybill-{t.name}" for t in topology.TOPICS},
        **{b.env: f"waybill-{b.name}-{ACCOUNT}" for b in topology.BUCKETS},
        **{s.env: f"Waybill/{s.name}" for s in topology.SECRETS},
        **{e.env: f"Waybill-{e.name}" for e in topology.EMAIL_TEMPLATES},
        **{m.env: f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:Waybill-{m.name}" for m in topology.STATE_MACHINES},
    }
    resources = {k: fake.get(k) or _fake_value(k, v) for k, v in topology.resource_environment(fn).items()}
    return env | resources | fn.environment


def _fake_value(env: str, logical: str) -> str:
    """Grants whose variable is not the resource's own (dead-letter queues, the fact store)."""
    if env.endswith("_URL"):
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/Waybill-{logical}-dlq"
    return f"Waybill-{logical}"


def _api_event(method: str, path: str, resource: str, body: str | None, kind: str | None) -> dict[str, Any]:
    context: dict[str, Any] = {"resourcePath": resource, "httpMethod": method, "stage": "prod", "path": path}
    context |= {"requestId": "bench", "accountId": ACCOUNT, "apiId": "bench", "identity": {"sourceIp": "10.0.0.1"}}
    if kind:
        context["authorizer"] = {"principalId": f"{kind}:bench", "kind": kind, "name": "bench", "nodes": "dc-east"}
    headers = {"Content-Type": "application/json", "Authorization": "Bearer wb_bench"}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": False,
    }


def event_for(fn: Function | None) -> dict[str, Any]:
    """A plausible first event for the function's first trigger (its first GET route, if it has one)."""
    if fn is None:
        return _api_event("POST", "/v1/items", "/v1/items", json.dumps({"sku": "TSHIRT-M", "quantity": 2}), None)
    routes = sorted(fn.routes, key=lambda r: (r.method != "GET", "{" in r.path))
    if routes:
        route = routes[0]
        event = _api_event(route.method, route.path, route.path, None if route.method == "GET" else "{}", None)
        if route.kinds:
            event = _api_event(route.method, route.path, route.path, event["body"], route.kinds[0].value)
        return event
    trigger = fn.triggers[0]
    match trigger:
        case AuthorizerTrigger():
            arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:bench/prod/GET/v1/orders"
            return {**_api_event("GET", "/v1/orders", "/v1/orders", None, None), "type": "REQUEST", "methodArn": arn}
        case QueueTrigger(queue=q):
            arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:Waybill-{q.name}"
            record = {"messageId": "m-1", "receiptHandle": "r", "body": "{}", "attributes": {}}
            record |= {"messageAttributes": {}, "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": REGION}
            return {"Records": [record]}
        case ScheduleTrigger():
            return {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2026-11-22T02:30:00Z"}
        case StreamTrigger(table=table):
            arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Waybill-{table.name}/stream/2026-11-22T00:00:00.000"
            change = {"Keys": {"pk": {"S": "ORDER#ord_bench"}}, "StreamViewType": "NEW_AND_OLD_IMAGES"}
            record = {"eventID": "e-1", "eventName": "MODIFY", "eventSource": "aws:dynamodb", "dynamodb": change}
            return {"Records": [record | {"eventSourceARN": arn, "awsRegion": REGION}]}
        case TaskTrigger():
            return {"order_id": "ord_bench", "refund_id": "ref_bench", "rma_id": "rma_bench", "task_token": "tok"}
    raise ValueError(f"no event for {fn.name}")


def run_once(fn: Function | None, tree: Tree, python: str, profile: bool = False) -> dict[str, Any]:
    target = fn.handler if fn else REFERENCE
    command = [python, "-S", *(["-X", "importtime"] if profile else []), "-c", _CHILD, target]
    done = subprocess.run(
        command,
        input=json.dumps(event_for(fn)),
        capture_output=True,
        text=True,
        cwd=tree.path_for(fn)[0],
        env=environment(fn, tree),
        timeout=120,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{target} did not start:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if profile:
        result["importtime"] = done.stderr
    return result


_CHILD = (HERE / "cold_start_child.py").read_text()


def is_api_facing(fn: Function) -> bool:
    return bool(fn.routes) or any(isinstance(t, AuthorizerTrigger) for t in fn.triggers)


def measure(functions: list[Function], rounds: int, bytecode: bool) -> list[dict[str, Any]]:
    tree, python = build_tree(bytecode), python_for_bytecode()
    rows = []
    for fn in functions:
        pairs = []
        for index in range(rounds):
            order = (None, fn) if index % 2 == 0 else (fn, None)
            results = {("ref" if f is None else "fn"): run_once(f, tree, python) for f in order}
            pairs.append(results)
        rows.append(_summary(fn, pairs))
        print(_row(rows[-1]), flush=True)
    return rows


def _summary(fn: Function, pairs: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    def median_ms(who: str, figure: str) -> float:
        return float(statistics.median(p[who][figure] for p in pairs)) * 1000

    return {
        "function": fn.name,
        "target": API_TARGET if is_api_facing(fn) else OTHER_TARGET,
        "init_ms": median_ms("fn", "init_cpu_s"),
        "ref_init_ms": median_ms("ref", "init_cpu_s"),
        "init_ratio": statistics.median(p["fn"]["init_cpu_s"] / p["ref"]["init_cpu_s"] for p in pairs),
        "wall_ratio": statistics.median(p["fn"]["init_s"] / p["ref"]["init_s"] for p in pairs),
        "first_ms": median_ms("fn", "first_cpu_s"),
        "ref_first_ms": median_ms("ref", "first_cpu_s"),
        "rss_mb": statistics.median(p["fn"]["rss_mb"] for p in pairs),
        "outcome": pairs[-1]["fn"]["outcome"],
    }


_HEADER = (
    f"{'function':<22} {'init ms':>8} {'ref ms':>8} {'ratio':>6} {'target':>6} {'wall':>6}  "
    f"{'1st ms':>7} {'ref 1st':>7} {'RSS MB':>6}  first invocation"
)


def _row(r: dict[str, Any]) -> str:
    mark = "" if r["init_ratio"] <= r["target"] else " over"
    return (
        f"{r['function']:<22} {r['init_ms']:>8.1f} {r['ref_init_ms']:>8.1f} {r['init_ratio']:>6.2f} "
        f"{r['target']:>6.1f} {r['wall_ratio']:>6.2f}  {r['first_ms']:>7.1f} {r['ref_first_ms']:>7.1f} "
        f"{r['rss_mb']:>6.0f}  {r['outcome']}{mark}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7, help="paired runs per function (default 7)")
    parser.add_argument("--only", default="", help="comma-separated function names")
    parser.add_argument("--quick", action="store_true", help=f"1 round of {', '.join(QUICK)} (the test command)")
    parser.add_argument("--no-bytecode", action="store_true", help="as shipped before: sources only")
    parser.add_argument("--profile", default="", help="print the slowest imports of one function's init")
    args = parser.parse_args(argv)
    if args.profile:
        fn = topology.function(args.profile) if args.profile != "reference" else None
        result = run_once(fn, build_tree(not args.no_bytecode), python_for_bytecode(), profile=True)
        _print_profile(result["importtime"])
        return
    names = QUICK if args.quick else tuple(filter(None, args.only.split(","))) or [f.name for f in topology.FUNCTIONS]
    rounds = 1 if args.quick else args.rounds
    functions = [topology.function(n) for n in names]
    print(f"cold start, CPython {PYTHON_VERSION}, {rounds} paired round(s), bytecode {not args.no_bytecode}")
    print(_HEADER)
    rows = measure(functions, rounds, bytecode=not args.no_bytecode)
    over = [r["function"] for r in rows if r["init_ratio"] > r["target"]]
    print(f"over target: {', '.join(over) or 'none'}")
    print(f"worst_init_ratio: {max(r['init_ratio'] for r in rows):.2f}")


def _print_profile(importtime: str) -> None:
    entries: list[tuple[int, str]] = []
    for line in importtime.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative_us, name = line.removeprefix("import time:").split("|")
            entries.append((int(cumulative_us), name.rstrip()))
    for cumulative, name in sorted(entries, reverse=True)[:40]:
        print(f"{cumulative / 1000:8.1f} ms  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
