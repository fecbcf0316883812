"""`waybill`: run the embedded stack, the demo, and manage API keys."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STATE_DIR = Path(os.environ.get("WAYBILL_STATE_DIR", ".waybill"))


def _port() -> int:
    return int(os.environ.get("WAYBILL_PORT", "4000"))


def cmd_dev(args: argparse.Namespace) -> int:
    from devstack.stack import EmbeddedStack, StackCannotStart

    stack = EmbeddedStack(STATE_DIR, api_port=args.port)
    # a plain flag: a handler that sets an Event the main thread is waiting on can deadlock on its lock
    stopping: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        info = stack.start()
    except StackCannotStart as err:
        print(f"waybill dev: {err}", file=sys.stderr)
        return 1
    try:
        print(f"Waybill embedded stack up in {info['startup_s']} s")
        print(f"  API          {info['api']}   (OpenAPI: {info['api']}/v1/openapi.json)")
        print(f"  console      {info['console']}   (sign in with the ops or finance key from dev.json)")
        print(f"  moto         {info['moto']}")
        print(f"  localstripe  {info['localstripe']}")
        print(f"  outbox       {info['outbox']}")
        print(f"  documents    {info['documents']}")
        print(f"  keys and URLs in {stack.dev_json}")
        print("Ctrl-C or SIGTERM stops everything.", flush=True)
        while not stopping:
            time.sleep(0.2)
    finally:
        began = time.perf_counter()
        stack.stop()
        print(f"stopped in {time.perf_counter() - began:.1f} s", flush=True)
    return 0


def running_stack(instead: str | None) -> dict[str, Any]:
    """The running dev stack's dev.json, or exit with one line saying what to do."""
    dev = STATE_DIR / "dev.json"
    otherwise = f", or pass {instead}" if instead else ""
    try:
        info: dict[str, Any] = json.loads(dev.read_text())
    except (OSError, ValueError):
        sys.exit(f"no running embedded stack ({dev} not found): start one with `make dev`{otherwise}")
    if not _alive(info.get("pid")):
        sys.exit(
            f"the stack in {dev} (pid {info.get('pid')}) is not running: it was stopped without cleaning up. "
            f"Start it again with `make dev`{otherwise}"
        )
    return info


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def cmd_demo(args: argparse.Namespace) -> int:
    from devstack.demo import run_demo

    if not args.stay:
        return run_demo(STATE_DIR, args.port)
    stopping: list[int] = []  # a plain flag, as in cmd_dev
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, _frame: stopping.append(signum))
    return run_demo(STATE_DIR, args.port, lambda: bool(stopping))


def _key_store(args: argparse.Namespace) -> Any:
    import boto3

    from shared.adapters.dynamodb_keys import DynamoDBKeys

    if args.table:  # a deployed stack: default AWS credentials and region
        return DynamoDBKeys(boto3.client("dynamodb"), args.table)
    info = running_stack("--table")
    return DynamoDBKeys(_moto_client("dynamodb", info), info["resources"]["tables"]["api_keys"])


def _moto_client(service: str, info: dict[str, Any]) -> Any:
    """A client of the running stack's moto, with moto's dummy credentials."""
    import boto3

    make: Any = boto3.client  # one helper for several services: the stubs' overloads want a literal
    return make(
        service,
        endpoint_url=info["moto"],
        region_name=info["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
    )


def _operator(args: argparse.Namespace) -> Any:
    """Who is managing keys, for the audit trail: `--by`, else the AWS identity writing to the table
    (STS's caller identity: in AWS the IAM user or role; on the dev stack moto's)."""
    import boto3

    from shared.adapters.system import SystemClock
    from shared.domain.audit import Actor, Stamp

    name = args.by
    if not name:
        sts = boto3.client("sts") if args.table else _moto_client("sts", running_stack("--table"))
        name = sts.get_caller_identity()["Arn"]
    return Stamp(Actor("admin", name), SystemClock().now())


def cmd_keys_create(args: argparse.Namespace) -> int:
    from shared.topology import Kind
    from shared.usecases.keys import create_key

    try:
        store, by = _key_store(args), _operator(args)
        key, principal = create_key(store, Kind(args.kind), args.name, tuple(args.node or ()), by)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(key)
    print(
        f"# {principal.kind.value} {principal.name!r}; this key is shown once and stored only as a hash",
        file=sys.stderr,
    )
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from shared.topology import Kind
    from shared.usecases.keys import revoke_keys

    store = _key_store(args)
    count = revoke_keys(store, Kind(args.kind), args.name, _operator(args))
    print(f"revoked {count} key(s) of {args.kind} {args.name!r}")
    return 0 if count else 1


def cmd_keys_list(args: argparse.Namespace) -> int:
    from devstack.ops_cli import render

    def stamp(s: Any) -> str | None:
        return f"{s.at:%Y-%m-%d %H:%M:%S} by {s.by}" if s else None

    records = sorted(_key_store(args).records(), key=lambda r: (r.principal.principal_id, r.key_id))
    rows = [
        {
            "key": r.key_id,
            "kind": r.principal.kind.value,
            "name": r.principal.name,
            "nodes": ",".join(r.principal.nodes) or None,
            "created": stamp(r.created),
            "revoked": stamp(r.revoked) or ("yes" if r.principal.revoked else None),
        }
        for r in records
    ]
    print(render(["key", "kind", "name", "nodes", "created", "revoked"], rows))
    return 0


def _api_and_key(args: argparse.Namespace, kind: str = "admin") -> tuple[str, str]:
    if args.api and args.key:
        return args.api, args.key
    info = running_stack("--api and --key")
    return args.api or info["api"], args.key or info["keys"][kind]


def cmd_import(args: argparse.Namespace) -> int:
    from devstack.importer import Importer

    importer = Importer(*_api_and_key(args))
    path = Path(args.file)
    report = importer.nodes(path) if args.what == "nodes" else importer.stock(path, args.type)
    for error in report.errors[:20]:
        print(f"  {error}", file=sys.stderr)
    print(report.summary(f"{args.what} from {args.file}"))
    return 1 if report.errors else 0


def cmd_intake_send(args: argparse.Namespace) -> int:
    """Puts orders on the running stack's intake queue, as a batch channel does (no aws CLI needed)."""
    try:
        loaded = json.loads(Path(args.file).read_text())
    except (OSError, ValueError) as err:
        sys.exit(f"cannot read orders from {args.file}: {err}")
    orders = loaded if isinstance(loaded, list) else [loaded]
    for number, order in enumerate(orders, 1):
        if not isinstance(order, dict):
            sys.exit(f"{args.file}: order {number} is not a JSON object")
        if args.channel:
            order["channel"] = args.channel
        if not order.get("channel"):
            sys.exit(f'{args.file}: order {number} has no "channel" (add one, or pass --channel)')
    info = running_stack(None)  # the local stack only: deployed, channels use SQS
    sqs = _moto_client("sqs", info)
    queue = info["resources"]["queues"]["intake"]
    for order in orders:
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(order))
    channels = ", ".join(sorted({str(o["channel"]) for o in orders}))
    print(f"queued {len(orders)} order(s) from {channels} on the intake queue")
    return 0


def cmd_reorders(args: argparse.Namespace) -> int:
    suggestions = list(api_pages(args, "admin", "/v1/reorder-suggestions", "suggestions"))
    print(f"{'sku':24} {'node':16} {'order qty':>9} {'available':>9} {'reorder at':>10}  since")
    for s in suggestions:
        print(
            f"{s['sku']:24} {s['node_id']:16} {s['quantity']:9} {s['available']:9} {s['reorder_point']:10}  "
            f"{s['suggested_at']}"
        )
    print(f"{len(suggestions)} open purchase-order suggestion(s)")
    return 0


def api_pages(
    args: argparse.Namespace, kind: str, path: str, field: str, params: dict[str, str] | None = None
) -> Iterator[Any]:
    """Every item of a listing that pages: `field` of each page, following `next` until it is null."""
    cursor = None
    while True:
        page = api_call(args, kind, "GET", path, params={**(params or {}), **({"cursor": cursor} if cursor else {})})
        yield from page[field]
        cursor = page["next"]
        if cursor is None:
            return


def cmd_stock_shards(args: argparse.Namespace) -> int:
    """Sets a hot sku's shard count at a node (docs/hot-sku.md), or evens its shards out."""
    body = {"node_id": args.node, "shards": args.count} if args.action == "shards" else {"node_id": args.node}
    answer = api_call(args, "admin", "PUT", f"/v1/inventory/{args.sku}", json={**body, "rebalance": args.rebalance})
    for m in answer["moves"]:
        print(f"moved {m['units']} from shard {m['source']} to shard {m['target']}")
    stock = answer["stock"]
    print(
        f"{answer['sku']} at {stock['node_id']}: {stock['shards']} shard(s), on hand {stock['on_hand']}, "
        f"reserved {stock['reserved']}, available {stock['available']}"
    )
    print(f"{'shard':>5} {'on hand':>8} {'reserved':>8} {'available':>9}")
    for part in answer["parts"]:
        print(f"{part['shard']:5} {part['on_hand']:8} {part['reserved']:8} {part['available']:9}")
    return 0


def api_call(args: argparse.Namespace, kind: str, method: str, path: str, **kwargs: Any) -> Any:
    """One API call with `--api/--key`, or the running stack's key of `kind`; errors as one line."""
    import requests

    api, key = _api_and_key(args, kind)
    headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
    answer = requests.request(method, api + path, headers=headers, timeout=120, **kwargs)
    if answer.status_code >= 400:
        try:
            error = answer.json()["error"]
            details = "".join(f"\n  {d['field']}: {d['issue']}" for d in error.get("details") or [])
            sys.exit(f"error {answer.status_code} {error['code']}: {error['message']}{details}")
        except (ValueError, KeyError, TypeError):
            sys.exit(f"error {answer.status_code}: {answer.text[:500]}")
    return answer.json()


def _amounts(by_currency: dict[str, int]) -> str:
    return ", ".join(f"{amount} {currency}" for currency, amount in sorted(by_currency.items())) or "-"


def cmd_finance_reconcile(args: argparse.Namespace) -> int:
    body = {"date": args.date} if args.date else {"period_start": args.start, "period_end": args.end}
    if not args.date and not (args.start and args.end):
        sys.exit("pass --date YYYY-MM-DD, or --start and --end (ISO 8601 with a timezone)")
    rec = api_call(args, "finance", "POST", "/v1/finance/reconciliations", json=body)
    print(f"reconciliation {rec['reconciliation_id']}: {rec['period_start']} .. {rec['period_end']}")
    print(f"{'class':20} {'count':>5}  {'ledger':24} stripe")
    for kind, s in rec["summary"].items():
        print(f"{kind:20} {s['count']:5}  {_amounts(s['ledger_amounts']):24} {_amounts(s['stripe_amounts'])}")
    print("clean: every refund matched" if rec["clean"] else "NOT clean: see the rows in the report")
    print(f"CSV   {rec['csv_url']}")
    print(f"JSON  {rec['json_url']}")
    print(f"API   GET /v1/finance/reconciliations/{rec['reconciliation_id']}")
    return 0 if rec["clean"] or not args.strict else 1


def cmd_finance_refunds(args: argparse.Namespace) -> int:
    params = {k: v for k, v in (("status", args.status), ("order_id", args.order), ("since", args.since)) if v}
    refunds = list(api_pages(args, "finance", "/v1/finance/refunds", "refunds", params))
    print(f"{'refund':34} {'order':30} {'amount':>10} {'cur':3} {'status':9} {'stripe refund':28} created")
    for r in refunds:
        print(
            f"{r['refund_id']:34} {r['order_id']:30} {r['amount']:10} {r['currency']:3} {r['status']:9} "
            f"{r['stripe_refund_id'] or '-':28} {r['created_at']}"
        )
    print(f"{len(refunds)} refund(s)")
    return 0


def _dev_info() -> dict[str, Any]:
    dev = STATE_DIR / "dev.json"
    if not dev.exists():
        sys.exit("no running embedded stack (.waybill/dev.json); start `waybill dev` first")
    info: dict[str, Any] = json.loads(dev.read_text())
    return info


def cmd_schedules_list(_args: argparse.Namespace) -> int:
    schedules = _dev_info()["schedules"]
    print(f"{'name':24} {'expression':22} function")
    for rule in schedules["rules"]:
        print(f"{rule['name']:24} {rule['expression']:22} {rule['function']}")
    state = f"running, sped up x{schedules['speedup']:g}" if schedules["running"] else "not running"
    print(f"{len(schedules['rules'])} schedule(s); the stack's scheduler is {state}")
    return 0


def cmd_schedules_run(args: argparse.Namespace) -> int:
    """Runs one scheduled function now, with the event its EventBridge rule would send."""
    from datetime import UTC, datetime

    import boto3

    from devstack.plan import Schedule
    from devstack.provision import PREFIX
    from devstack.scheduler import scheduled_event

    info = _dev_info()
    rules = info["schedules"]["rules"]
    rule = next((r for r in rules if args.name in (r["name"], r["function"])), None)
    if rule is None:
        names = ", ".join(r["name"] for r in rules)
        print(f"error: no schedule {args.name!r}; the schedules are: {names}", file=sys.stderr)
        return 2
    schedule = Schedule(rule["name"], rule["expression"], rule["function"])
    lam = boto3.client(
        "lambda",
        endpoint_url=info["moto"],
        region_name=info["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
    )
    event = scheduled_event(rule["rule"], datetime.now(UTC))
    answer = lam.invoke(FunctionName=f"{PREFIX}-{schedule.function}", Payload=json.dumps(event).encode())
    payload = answer["Payload"].read().decode()
    print(payload)
    if "FunctionError" in answer:
        print(f"error: {schedule.function} failed", file=sys.stderr)
        return 1
    print(f"ran {schedule.name} ({schedule.function})", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    from shared.topology import Kind

    parser = argparse.ArgumentParser(prog="waybill", description="Waybill order management")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="run the embedded local stack until Ctrl-C")
    dev.add_argument("--port", type=int, default=_port(), help="API port (default $WAYBILL_PORT or 4000)")
    dev.set_defaults(func=cmd_dev)
    demo = sub.add_parser("demo", help="start the stack, send demo orders through it, show them, stop")
    demo.add_argument("--port", type=int, default=_port())
    demo.add_argument("--stay", action="store_true", help="keep the stack up after the demo, until Ctrl-C")
    demo.set_defaults(func=cmd_demo)
    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="create a key (printed once)")
    create.add_argument("--kind", required=True, choices=[k.value for k in Kind])
    create.add_argument("--name", required=True, help="principal name; for a channel, the channel id")
    create.add_argument("--node", action="append", help="node id a warehouse key acts for (repeatable)")
    create.add_argument("--table", help="API keys table of a deployed stack (default: the running dev stack)")
    create.set_defaults(func=cmd_keys_create)
    revoke = keys.add_parser("revoke", help="revoke every key of a principal")
    revoke.add_argument("--kind", required=True, choices=[k.value for k in Kind])
    revoke.add_argument("--name", required=True)
    revoke.add_argument("--table")
    revoke.set_defaults(func=cmd_keys_revoke)
    for managing in (create, revoke):
        managing.add_argument("--by", help="who is doing it, for the audit trail (default: your AWS identity's ARN)")
    listing = keys.add_parser("list", help="every key (never the key itself): whose, created and revoked by whom")
    listing.add_argument("--table")
    listing.set_defaults(func=cmd_keys_list)
    for what in ("nodes", "stock"):
        imp = sub.add_parser(what, help=f"{what} from CSV or JSON").add_subparsers(dest="action", required=True)
        run = imp.add_parser("import", help=f"import {what} from a .csv or .json file through the API")
        run.add_argument("file")
        if what == "stock":
            run.add_argument("--type", choices=["receipt", "count", "adjustment"], default="receipt")
        run.add_argument("--api", help="API base URL (default: the running dev stack)")
        run.add_argument("--key", help="admin API key (default: the dev stack's)")
        run.set_defaults(func=cmd_import, what=what)
        if what == "stock":
            shards = imp.add_parser("shards", help="split a hot sku's stock at a node over COUNT items (only rises)")
            rebalance = imp.add_parser("rebalance", help="even out a sharded stock's shards (the total never changes)")
            for parser_ in (shards, rebalance):
                parser_.add_argument("sku")
                parser_.add_argument("node")
                if parser_ is shards:
                    parser_.add_argument("count", type=int, help="shard count, 1..32")
                    parser_.add_argument("--rebalance", action="store_true", help="even the shards out afterwards")
                else:
                    parser_.set_defaults(rebalance=True)
                parser_.add_argument("--api", help="API base URL (default: the running dev stack)")
                parser_.add_argument("--key", help="admin API key (default: the dev stack's)")
                parser_.set_defaults(func=cmd_stock_shards)
    intake = sub.add_parser("intake", help="the batch intake queue").add_subparsers(dest="action", required=True)
    send = intake.add_parser("send", help="put orders from a JSON file (one object or an array) on the intake queue")
    send.add_argument("file")
    send.add_argument("--channel", help='the channel of every order (default: each order\'s "channel")')
    send.set_defaults(func=cmd_intake_send)
    reorders = sub.add_parser("reorders", help="list open purchase-order suggestions")
    reorders.add_argument("--api")
    reorders.add_argument("--key")
    reorders.set_defaults(func=cmd_reorders)
    finance = sub.add_parser("finance", help="refund ledger and reconciliation").add_subparsers(
        dest="finance_command", required=True
    )
    rec = finance.add_parser("reconcile", help="reconcile the refund ledger against Stripe now")
    rec.add_argument("--date", help="a UTC day, YYYY-MM-DD")
    rec.add_argument("--start", help="period start, ISO 8601 with a timezone (instead of --date)")
    rec.add_argument("--end", help="period end (exclusive), at most 31 days after --start")
    rec.add_argument("--strict", action="store_true", help="exit 1 unless every refund matched")
    rec.set_defaults(func=cmd_finance_reconcile)
    refunds = finance.add_parser("refunds", help="list the refund ledger")
    refunds.add_argument("--status", choices=["PENDING", "SUCCEEDED", "FAILED"])
    refunds.add_argument("--order", help="only this order's refunds")
    refunds.add_argument("--since", help="created at or after (ISO 8601 with a timezone; default 30 days ago)")
    refunds.set_defaults(func=cmd_finance_refunds)
    for parser_ in (rec, refunds):
        parser_.add_argument("--api", help="API base URL (default: the running dev stack)")
        parser_.add_argument("--key", help="finance API key (default: the dev stack's)")
    schedules = sub.add_parser("schedules", help="the scheduled functions (EventBridge rules)").add_subparsers(
        dest="schedules_command", required=True
    )
    schedules.add_parser("list", help="list the schedules of the running stack").set_defaults(func=cmd_schedules_list)
    run_now = schedules.add_parser("run", help="run one scheduled function now on the running stack")
    run_now.add_argument("name", help="the schedule's name (e.g. refund-sweep) or its function (sweep_refunds)")
    run_now.set_defaults(func=cmd_schedules_run)
    from devstack import analytics_cli, ops_cli

    analytics_cli.add_commands(sub)
    ops_cli.add_commands(sub)
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except _unreachable() as err:
        # A stack that died (or an --api that is wrong): one line, not a traceback.
        print(f"waybill: cannot reach the stack: {_first_line(err)}; is `make dev` running?", file=sys.stderr)
        return 1
    return result


def _unreachable() -> tuple[type[Exception], ...]:
    import botocore.exceptions
    import requests

    return (requests.ConnectionError, botocore.exceptions.EndpointConnectionError)


def _first_line(err: Exception) -> str:
    text = str(err)
    url = getattr(getattr(err, "request", None), "url", None)
    return f"{url} refused the connection" if url else text.splitlines()[0][:200]


if __name__ == "__main__":
    raise SystemExit(main())
