"""Analytics on the embedded stack: a real order's facts go from the orders table's stream through the
facts function and moto's Firehose into the emulated S3, and the reports over them (DuckDB) show it,
over HTTP and from the CLI; a backfill rebuilds them without counting anything twice."""

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from tests.e2e.test_fulfilment import node, place, stock

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def s3(stack):
    return boto3.client(
        "s3",
        endpoint_url=stack.info["moto"],
        region_name=stack.info["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def stored_facts(stack, order_id):
    client, bucket = s3(stack), stack.info["resources"]["buckets"]["analytics"]
    facts = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="facts/"):
        for obj in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            facts += [(obj["Key"], json.loads(line)) for line in body.splitlines() if order_id in line]
    return facts


def waybill(stack, *args):
    env = {**os.environ, "WAYBILL_STATE_DIR": str(stack.state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "devstack.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def today():
    return datetime.now(UTC).date().isoformat()


def test_a_delivered_orders_facts_reach_s3_and_the_reports(stack, pay, tmp_path):
    sku = f"AN-{uuid.uuid4().hex[:8]}".upper()
    warehouse = node(stack)
    stock(stack, warehouse, sku, 10)
    order_id, _ = place(stack, pay, [{"sku": sku, "quantity": 3, "unit_amount": 1500}], shipping_amount=400)
    stack.wait_for(order_id, lambda o: o["status"] == "DELIVERED", timeout_s=90)

    deadline = time.monotonic() + 30
    while {"captured", "shipment_delivered"} - {f["event_type"] for _, f in stored_facts(stack, order_id)}:
        assert time.monotonic() < deadline, stored_facts(stack, order_id)
        time.sleep(0.5)
    facts = stored_facts(stack, order_id)
    keys = {key for key, _ in facts}
    # Firehose's default layout: facts/yyyy/MM/dd/HH/<stream>-<version>-<time>-<id>
    assert all(key.startswith(f"facts/{datetime.now(UTC):%Y/%m/%d}/") for key in keys), keys
    events = {f["event_type"] for _, f in facts}
    assert {"captured", "captured_line", "payment_checked", "reserved", "released", "shipment_shipped"} <= events
    assert "Ada Lovelace" not in json.dumps(facts)
    assert "1 Main St" not in json.dumps(facts)

    params = {"from": today(), "to": today(), "node_id": warehouse}
    answer = stack.call("GET", "/v1/analytics/demand", "ops", params=params)
    assert answer.status_code == 200, answer.text
    [row] = [r for r in answer.json()["rows"] if r["sku"] == sku]
    assert (row["units"], row["orders"], row["revenue"]) == (3, 1, 4500)
    cycle = stack.call("GET", "/v1/analytics/cycle_times", "finance", params=params).json()
    stages = {r["stage"]: r for r in cycle["rows"] if r["node_id"] == warehouse}
    assert stages["capture_to_deliver"]["shipments"] == 1
    assert stages["capture_to_deliver"]["p50_minutes"] > 0
    assert {"name": "p50_minutes", "type": "number"} in cycle["columns"]

    # the backfill rebuilds the same facts: they are stored twice now, and counted once
    first = waybill(stack, "analytics", "backfill")
    assert first.returncode == 0, first.stderr
    again = waybill(stack, "analytics", "backfill")
    assert "0 object(s) written" in again.stdout, again.stdout
    assert len(stored_facts(stack, order_id)) > len(facts)
    rows = stack.call("GET", "/v1/analytics/demand", "ops", params=params).json()["rows"]
    assert [(r["units"], r["orders"]) for r in rows if r["sku"] == sku] == [(3, 1)]

    printed = waybill(stack, "report", "demand", "--from", today(), "--to", today(), "--node", warehouse, "--csv")
    assert printed.returncode == 0, printed.stderr
    assert f"{today()},{sku},USD,3,1,4500," in printed.stdout
    table = waybill(stack, "report", "shipping_cost", "--node", warehouse)
    assert "label_cost_per_order" in table.stdout
    assert warehouse in table.stdout
    png = tmp_path / "demand.png"
    drawn = waybill(stack, "report", "demand", "--node", warehouse, "--chart", str(png))
    assert drawn.returncode == 0, drawn.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5000


def test_the_report_list_and_refusals(stack):
    listed = stack.call("GET", "/v1/analytics", "ops").json()["reports"]
    names = {r["name"] for r in listed}
    assert {"cycle_times", "fulfilment_rates", "on_time_shipping", "returns", "refunds", "shipping_cost"} <= names
    assert {"demand", "exceptions", "operator_actions", "summary"} <= names
    summary = next(r for r in listed if r["name"] == "summary")
    assert [p["name"] for p in summary["parameters"]] == ["from", "to", "channel", "node_id"]
    assert summary["columns"][0] == {"name": "orders", "type": "integer"}

    def refused(path, who="ops", **params):
        answer = stack.call("GET", path, who, params=params)
        return answer.status_code, answer.json()["error"]["code"]

    assert refused("/v1/analytics/no_such_report") == (422, "validation_failed")
    assert refused("/v1/analytics/demand", **{"from": "2026-03-10", "to": "2026-03-01"}) == (422, "validation_failed")
    assert refused("/v1/analytics/demand", **{"from": "2026-01-01", "to": "2026-06-01"}) == (422, "validation_failed")
    assert refused("/v1/analytics/demand", **{"from": "yesterday"}) == (422, "validation_failed")
    assert refused("/v1/analytics/demand", channel="web'; DROP TABLE x") == (422, "validation_failed")
    assert refused("/v1/analytics/demand", limit="5") == (422, "validation_failed")
    assert refused("/v1/analytics/demand", who="web") == (403, "forbidden")
    assert refused("/v1/analytics", who="admin") == (403, "forbidden")
