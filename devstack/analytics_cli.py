"""`waybill report` (a report as a table, CSV or chart, through the API) and `waybill analytics
backfill` (rebuild the facts from the tables, idempotently)."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

from devstack.cli import api_call, running_stack


def _get(args: argparse.Namespace, path: str, params: dict[str, str] | None = None) -> Any:
    return api_call(args, "ops", "GET", path, params=params)


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "number":
        return f"{value:,.2f}"
    if kind == "integer":
        return f"{value:,}"
    return str(value)


def table(columns: list[dict[str, str]], rows: list[dict[str, Any]]) -> str:
    """Rows as aligned text columns: numbers right-aligned, text left."""
    cells = [[_cell(r[c["name"]], c["type"]) for c in columns] for r in rows]
    widths = [max([len(c["name"])] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if c["type"] in ("number", "integer") else v.ljust(w)
            for v, w, c in zip(values, widths, columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    header = line([c["name"] for c in columns])
    return "\n".join([header, "-" * len(header), *(line(row) for row in cells)])


def chart_spec(answer: dict[str, Any]) -> dict[str, Any]:
    """The report as a vega-lite bar chart: the first column along x, the first numeric column up,
    coloured (side by side) by the next text column when there is one."""
    columns = answer["columns"]
    x = columns[0]
    numeric = [c for c in columns if c["type"] in ("number", "integer")]
    if not numeric:
        sys.exit(f"report {answer['report']} has no numeric column to draw")
    y = numeric[0]
    encoding: dict[str, Any] = {
        "x": {"field": x["name"], "type": "quantitative" if x["type"] == "number" else "ordinal"},
        "y": {"field": y["name"], "type": "quantitative"},
    }
    colour = next((c for c in columns[1:] if c["type"] == "string"), None)
    if colour is not None:
        encoding["color"] = {"field": colour["name"], "type": "nominal"}
        encoding["xOffset"] = {"field": colour["name"], "type": "nominal"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": f"{answer['title']} ({answer['from']} to {answer['to']})",
        "width": 600,
        "height": 320,
        "data": {"values": answer["rows"]},
        "mark": "bar",
        "encoding": encoding,
    }


def chart(answer: dict[str, Any], out: Path) -> None:
    import vl_convert as vlc

    out.write_bytes(vlc.vegalite_to_png(chart_spec(answer), scale=2))


def cmd_report(args: argparse.Namespace) -> int:
    if not args.name:
        for r in _get(args, "/v1/analytics")["reports"]:
            print(f"{r['name']:18} {r['title']}")
        return 0
    params = {
        k: v for k, v in (("from", args.from_), ("to", args.to), ("channel", args.channel), ("node_id", args.node)) if v
    }
    answer = _get(args, f"/v1/analytics/{args.name}", params)
    if args.chart:
        chart(answer, Path(args.chart))
        print(f"chart written to {args.chart}")
    elif args.csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=[c["name"] for c in answer["columns"]], lineterminator="\n")
        writer.writeheader()
        writer.writerows(answer["rows"])
        print(out.getvalue(), end="")
    else:
        print(f"{answer['title']}: orders captured {answer['from']} to {answer['to']}")
        print(table(answer["columns"], answer["rows"]))
        print(f"{len(answer['rows'])} row(s)")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    import boto3

    from shared.adapters.dynamodb_scan import scan_orders, scan_refunds
    from shared.adapters.s3_facts import S3FactFiles
    from shared.topology import FACTS
    from shared.usecases.backfill_facts import backfill

    kwargs: dict[str, Any] = {}
    tables, bucket = (args.orders_table, args.ledger_table), args.bucket
    if not all((*tables, bucket)):
        info = running_stack("--orders-table, --ledger-table and --bucket")
        kwargs = {"endpoint_url": info["moto"], "region_name": info["region"]}
        tables = (args.orders_table or info["resources"]["tables"]["orders"],
                  args.ledger_table or info["resources"]["tables"]["ledger"])  # fmt: skip
        bucket = bucket or info["resources"]["buckets"][FACTS.bucket.name]
    ddb, s3 = boto3.client("dynamodb", **kwargs), boto3.client("s3", **kwargs)
    report = backfill(scan_orders(ddb, tables[0]), scan_refunds(ddb, tables[1]), S3FactFiles(s3, bucket, FACTS.prefix))
    print(
        f"backfilled {report.facts} facts of {report.orders} orders: {report.written} object(s) written, "
        f"{report.unchanged} already there unchanged"
    )
    return 0


def add_commands(sub: Any) -> None:
    report = sub.add_parser("report", help="run an analytics report (no name: list them)")
    report.add_argument("name", nargs="?", help="report name, e.g. cycle_times")
    report.add_argument("--from", dest="from_", help="first capture day, YYYY-MM-DD (default: 29 days before --to)")
    report.add_argument("--to", help="last capture day, YYYY-MM-DD (default: today)")
    report.add_argument("--channel")
    report.add_argument("--node", help="only orders that touched this node")
    out = report.add_mutually_exclusive_group()
    out.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    out.add_argument("--chart", metavar="OUT.png", help="draw the report as a PNG chart")
    report.add_argument("--api", help="API base URL (default: the running dev stack)")
    report.add_argument("--key", help="ops or finance API key (default: the dev stack's ops key)")
    report.set_defaults(func=cmd_report)
    analytics = sub.add_parser("analytics", help="the analytics fact store").add_subparsers(
        dest="analytics_command", required=True
    )
    fill = analytics.add_parser("backfill", help="rebuild the facts from the orders and ledger tables (idempotent)")
    fill.add_argument("--orders-table", help="orders table of a deployed stack (default: the dev stack's)")
    fill.add_argument("--ledger-table", help="ledger table of a deployed stack")
    fill.add_argument("--bucket", help="analytics bucket of a deployed stack")
    fill.set_defaults(func=cmd_backfill)
