"""The demo's last word: headline figures of its own orders from the analytics reports."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from devstack.demo_money import Call, money


def headline(call: Call, delivered: int, timeout_s: float = 30) -> dict[str, Any]:
    """The demo's own figures from the analytics summary, once its facts have arrived."""
    today = datetime.now(UTC).date().isoformat()
    deadline = time.monotonic() + timeout_s
    while True:
        [row] = call("GET", f"/v1/analytics/summary?from={today}&to={today}", "ops").json()["rows"]
        if (row["delivered_orders"] >= delivered and row["return_rate"]) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    median, cost = row["median_capture_to_delivery_minutes"], row["shipping_cost_per_order"]
    took = f"{median * 60:.1f} s" if median is not None else "-"
    print(
        f"\nanalytics over its {row['orders']} orders (GET /v1/analytics/summary): median capture to delivery "
        f"{took}, return rate {row['return_rate'] or 0:.0%} of {row['delivered_orders']} delivered, "
        f"shipping cost {money(round(cost)) if cost is not None else '-'} per shipped order"
    )
    return dict(row)
