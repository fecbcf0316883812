"""`waybill ops ...`: the operations control layer in a terminal, through the public API.

Against the running dev stack with its ops key by default, or a deployed stack with `--api/--key`.
"""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime
from typing import Any

from devstack.analytics_cli import table
from devstack.cli import api_call

ACTIONS = ("release_hold", "retry", "reroute", "cancel")
_TEXT = 60  # widest free-text cell (reasons, causes), so a table stays readable in a terminal


def _get(args: argparse.Namespace, path: str, params: dict[str, Any] | None = None) -> Any:
    return api_call(args, "ops", "GET", path, params={k: v for k, v in (params or {}).items() if v is not None})


def _text(value: Any, width: int = _TEXT) -> str:
    text = "-" if value is None or value == "" else " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def age(since: str | None, now: datetime | None = None) -> str:
    """How long ago an ISO 8601 time was, as a person says it: 45s, 12m, 3h, 2d."""
    if not since:
        return "-"
    then = datetime.fromisoformat(since.replace("Z", "+00:00"))
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def render(columns: list[str], rows: list[dict[str, Any]], numeric: tuple[str, ...] = ()) -> str:
    """Rows as an aligned table (numbers right-aligned); free text is cut to fit a terminal."""
    spec = [{"name": c, "type": "integer" if c in numeric else "string"} for c in columns]
    cells = [{c: r.get(c) if c in numeric else _text(r.get(c)) for c in columns} for r in rows]
    return table(spec, cells)


def actor(entry: dict[str, Any]) -> str:
    who = entry.get("actor") or entry.get("by")
    if isinstance(who, dict):
        return f"{who.get('kind')}:{who.get('name')}"
    return str(who) if who else "-"


def cmd_exceptions(args: argparse.Namespace) -> int:
    params = {
        "type": args.type,
        "channel": args.channel,
        "node_id": args.node,
        "min_age_s": args.min_age,
        "order": "oldest" if args.oldest else None,
        "limit": args.limit,
    }
    answer = _get(args, "/v1/ops/exceptions", params)
    rows = [
        {**e, "age": age(e.get("since")), "actions": ", ".join(e.get("actions") or [])} for e in answer["exceptions"]
    ]
    print(render(["order_id", "external_id", "channel", "type", "age", "reason", "actions"], rows))
    counts = ", ".join(f"{t} {n}" for t, n in sorted((answer.get("counts") or {}).items())) or "none"
    print(f"{len(rows)} shown; open by type: {counts}")
    if answer.get("next"):
        print("more: pass --limit, or page through GET /v1/ops/exceptions with `cursor`")
    return 0


def cmd_orders(args: argparse.Namespace) -> int:
    params = {
        "status": args.status,
        "channel": args.channel,
        "sku": args.sku,
        "node_id": args.node,
        "created_from": args.created_from,
        "created_to": args.created_to,
        "limit": args.limit,
    }
    answer = _get(args, "/v1/orders", params)
    rows = [
        {**o, "nodes": ", ".join(o["node_ids"]), "exceptions": ", ".join(o["open_exceptions"])}
        for o in answer["orders"]
    ]
    columns = ["order_id", "external_id", "channel", "status", "created_at", "grand_total", "currency", "nodes"]
    print(render([*columns, "exceptions"], rows, numeric=("grand_total",)))
    print(f"{len(rows)} order(s)" + ("; more with --cursor " + answer["next"] if answer.get("next") else ""))
    return 0


def steps_table(detail: dict[str, Any]) -> str:
    rows = [
        {
            **s,
            "state": s["name"] if s.get("iteration") is None else f"{s['name']} [{s['iteration']}]",
            "ms": s.get("duration_ms"),
            "error": f"{s['error']}: {s.get('cause') or ''}" if s.get("error") else None,
        }
        for s in detail["steps"]
    ]
    return render(["state", "type", "outcome", "entered_at", "ms", "retries", "error"], rows, numeric=("ms", "retries"))


def cmd_order(args: argparse.Namespace) -> int:
    order = _get(args, f"/v1/orders/{args.order}")
    print(f"order {order['order_id']}  {order['channel']}/{order['external_id']}  status {order['status']}")
    if order.get("exceptions"):
        open_ = [e for e in order["exceptions"] if not e.get("resolved_at")]
        for e in open_:
            print(f"  exception {e['type']} since {e['since']} ({age(e['since'])}): {_text(e['reason'], 100)}")
            print(f"    actions: {', '.join(e['actions']) or '-'}")
    print("\nhistory")
    history = [{**h, "by": actor(h)} for h in order["history"]]
    print(render(["at", "status", "event", "by", "cause"], history))
    if order.get("shipments"):
        print("\nshipments")
        ships = [
            {
                **s,
                "tracking": (s.get("label") or {}).get("tracking_number"),
                "problem": s.get("rejected_reason") or s.get("delivery_exception"),
            }
            for s in order["shipments"]
        ]
        print(render(["shipment_id", "node_id", "method", "status", "tracking", "problem"], ships))
    if order.get("refunds"):
        print("\nrefunds")
        print(render(["refund_id", "amount", "currency", "status", "failure_reason"], order["refunds"], ("amount",)))
    executions = _get(args, f"/v1/orders/{args.order}/executions")["executions"]
    if executions:
        # the latest run's preparation (each shipment's fulfilment is listed after it)
        latest = next((e for e in reversed(executions) if e["state_machine"] == "preparation"), executions[-1])
        detail = _get(args, f"/v1/orders/{args.order}/executions/{latest['name']}")
        run = detail["execution"]
        print(f"\nexecution {run['name']} ({run['state_machine']}): {run['status']}, started {run['started_at']}")
        if run.get("error"):
            print(f"  {run['error']}: {_text(run.get('cause'), 200)}")
        if run.get("console_url"):
            print(f"  console: {run['console_url']}")
        print(steps_table(detail))
    return 0


def cmd_act(args: argparse.Namespace) -> int:
    body = {"action": args.action, "reason": args.reason, **({"node_id": args.node} if args.node else {})}
    # one key per invocation: retrying this command's request is harmless, running it again is a new action
    headers = {"Idempotency-Key": args.idempotency_key or str(uuid.uuid4())}
    order = api_call(args, "ops", "POST", f"/v1/orders/{args.order}/actions", json=body, headers=headers)
    history = order.get("history") or []
    # what the action recorded: the latest entry naming who did it (notes such as emails follow it)
    last = next((h for h in reversed(history) if h.get("actor")), history[-1] if history else {})
    print(f"{args.action} on {order['order_id']}: status now {order['status']}")
    if last:
        print(f"  recorded: {last.get('event')} by {actor(last)} at {last.get('at')}: {_text(last.get('cause'), 100)}")
    return 0


def cmd_dead_letters(args: argparse.Namespace) -> int:
    if args.redrive:
        moved = api_call(
            args, "ops", "POST", f"/v1/ops/dead-letters/{args.redrive}/redrive", json={"limit": args.limit}
        )
        queue, left = moved["queue"], moved["remaining"]
        print(f"moved {moved['moved']} message(s) from {queue}'s dead-letter queue back to {queue}; {left} left")
        return 0
    answer = _get(args, "/v1/ops/dead-letters")
    rows = [
        {"queue": q["queue"], "count": q["count"], "oldest": age_s(q["oldest_age_s"]), "samples": len(q["samples"])}
        for q in answer["queues"]
    ]
    print(render(["queue", "count", "oldest", "samples"], rows, numeric=("count", "samples")))
    for q in answer["queues"]:
        for s in q["samples"]:
            print(f"  {q['queue']} {s['message_id']} ({age_s(s['age_s'])} old): {_text(s['failure_reason'], 100)}")
            print(f"    {_text(s['body'], 110)}")
    return 0


def age_s(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    return age(datetime.fromtimestamp(datetime.now(UTC).timestamp() - seconds, UTC).isoformat())


def add_commands(sub: Any) -> None:
    ops = sub.add_parser("ops", help="operations: exceptions, orders, actions, dead letters").add_subparsers(
        dest="ops_command", required=True
    )
    exceptions = ops.add_parser("exceptions", help="every order, refund, return or message that needs a person")
    exceptions.add_argument("--type", help="only this exception type (e.g. payment_hold)")
    exceptions.add_argument("--channel")
    exceptions.add_argument("--node", help="only exceptions at this node")
    exceptions.add_argument("--min-age", type=int, help="only those open at least this many seconds")
    exceptions.add_argument("--oldest", action="store_true", help="oldest first (default: newest first)")
    exceptions.add_argument("--limit", type=int)
    exceptions.set_defaults(func=cmd_exceptions)
    orders = ops.add_parser("orders", help="search orders (status, channel, dates, SKU, node)")
    orders.add_argument("--status")
    orders.add_argument("--channel")
    orders.add_argument("--sku")
    orders.add_argument("--node")
    orders.add_argument("--from", dest="created_from", help="created at or after (ISO 8601 with a timezone)")
    orders.add_argument("--to", dest="created_to", help="created before (ISO 8601 with a timezone)")
    orders.add_argument("--limit", type=int)
    orders.set_defaults(func=cmd_orders)
    order = ops.add_parser("order", help="one order: status, history with who did what, shipments, refunds, steps")
    order.add_argument("order", help="the order id (ord_...)")
    order.set_defaults(func=cmd_order)
    act = ops.add_parser("act", help="act on an order (audited): " + ", ".join(ACTIONS))
    act.add_argument("order")
    act.add_argument("action", choices=ACTIONS)
    act.add_argument("--reason", required=True, help="why (recorded in the order's history)")
    act.add_argument("--node", help="reroute: the node to move unshipped lines to (default: the routing rules)")
    act.add_argument("--idempotency-key", help="repeat an earlier request exactly (default: a new key)")
    act.set_defaults(func=cmd_act)
    dead = ops.add_parser("dead-letters", help="dead-lettered messages per queue, masked; --redrive moves them back")
    dead.add_argument("--redrive", metavar="QUEUE", help="move messages of this queue's DLQ back to the queue")
    dead.add_argument("--limit", type=int, default=100, help="redrive at most this many (default 100)")
    dead.set_defaults(func=cmd_dead_letters)
    for parser_ in (exceptions, orders, order, act, dead):
        parser_.add_argument("--api", help="API base URL (default: the running dev stack)")
        parser_.add_argument("--key", help="ops API key (default: the dev stack's)")
