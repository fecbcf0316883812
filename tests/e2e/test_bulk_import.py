import csv
import json
import subprocess
import sys
import uuid

import pytest

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def waybill(stack, *args):
    return subprocess.run(
        [sys.executable, "-m", "devstack.cli", *args, "--api", stack.api, "--key", stack.key("admin")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_thousands_of_rows_load_in_one_go_and_a_second_import_changes_nothing(stack, tmp_path):
    run = uuid.uuid4().hex[:6]
    nodes = [
        {
            "node_id": f"imp-{run}-{i}",
            "kind": "store" if i % 4 == 0 else "warehouse",
            "lat": 30 + i / 10,
            "lon": -90 - i / 10,
            "pickup": "yes" if i % 4 == 0 else "no",
            "handling_cost": 100 + i,
        }
        for i in range(20)
    ]
    nodes_file = tmp_path / "nodes.json"
    nodes_file.write_text(json.dumps(nodes))
    stock_file = tmp_path / "stock.csv"
    with stock_file.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["node_id", "sku", "quantity", "safety_stock"])
        writer.writeheader()
        for i in range(20):
            for j in range(100):
                writer.writerow(
                    {"node_id": f"imp-{run}-{i}", "sku": f"IMP-{run}-{j}", "quantity": 5, "safety_stock": 1}
                )

    done = waybill(stack, "nodes", "import", str(nodes_file))
    assert done.returncode == 0, done.stderr
    assert "20 rows" in done.stdout
    loaded = waybill(stack, "stock", "import", str(stock_file))
    assert loaded.returncode == 0, loaded.stderr
    assert "2000 rows in 40 requests, 0 errors" in loaded.stdout
    again = waybill(stack, "stock", "import", str(stock_file))
    assert again.returncode == 0, again.stderr

    view = stack.call("GET", f"/v1/inventory/IMP-{run}-7", "ops").json()
    assert len(view["nodes"]) == 20
    assert view["total"] == {"on_hand": 100, "reserved": 0, "safety_stock": 20, "available": 80}


def test_bad_rows_are_reported_not_half_applied(stack, tmp_path):
    bad = tmp_path / "stock.csv"
    bad.write_text("node_id,sku,quantity\nno-such-node,X,1\n")
    result = waybill(stack, "stock", "import", str(bad))
    assert result.returncode == 1
    assert "404" in result.stderr
