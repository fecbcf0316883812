"""Every report, on DuckDB, over the seeded workload's facts: exactly the figures worked out by hand
from the workload's known times (tests/analytics_workload.py)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlglot

from shared.adapters.duckdb_reports import DuckDBReports
from shared.analytics import catalog
from shared.analytics.scope import Scope, all_facts, scoped
from shared.domain.facts import Fact, partition_of
from shared.usecases.analytics import run_report
from tests.analytics_workload import seeded

DAY = date(2026, 3, 2)
WEEK = Scope(DAY, date(2026, 3, 8))


def engine_over(facts: list[Fact]) -> DuckDBReports:
    engine = DuckDBReports()
    engine.load({**f.row(), "dt": partition_of(f.occurred_at)} for f in facts)
    return engine


@pytest.fixture(scope="module")
def engine() -> DuckDBReports:
    return engine_over(seeded().stream_facts())


def rows(engine: DuckDBReports, name: str, scope: Scope = WEEK) -> list[dict[str, object]]:
    return run_report(catalog.report(name), scope, engine).rows()


def test_cycle_times_p50_and_p90_per_channel_node_and_stage(engine):
    got = {
        (r["channel"], r["node_id"], r["stage"]): (r["shipments"], r["p50_minutes"], r["p90_minutes"])
        for r in rows(engine, "cycle_times")
    }
    assert {r["day"] for r in rows(engine, "cycle_times")} == {"2026-03-02"}
    assert got == {
        ("marketplace", "dc-east", "capture_to_release"): (1, 6.0, 6.0),
        ("marketplace", "dc-east", "release_to_ship"): (1, 35.0, 35.0),
        ("marketplace", "dc-east", "ship_to_deliver"): (1, 1455.0, 1455.0),
        ("marketplace", "dc-east", "capture_to_deliver"): (1, 1496.0, 1496.0),
        ("pos", "dc-west", "capture_to_release"): (1, 128.0, 128.0),
        ("pos", "dc-west", "release_to_ship"): (1, 1500.0, 1500.0),
        ("pos", "dc-west", "ship_to_deliver"): (1, 870.0, 870.0),
        ("pos", "dc-west", "capture_to_deliver"): (1, 2498.0, 2498.0),
        ("web", "dc-east", "capture_to_release"): (2, 9.0, 10.0),
        ("web", "dc-east", "release_to_ship"): (2, 40.0, 60.0),
        ("web", "dc-east", "ship_to_deliver"): (2, 440.0, 1440.0),
        ("web", "dc-east", "capture_to_deliver"): (2, 489.0, 1510.0),
        ("web", "dc-west", "capture_to_release"): (1, 9.0, 9.0),
        ("web", "dc-west", "release_to_ship"): (1, 120.0, 120.0),
        ("web", "dc-west", "ship_to_deliver"): (1, 600.0, 600.0),
        ("web", "dc-west", "capture_to_deliver"): (1, 729.0, 729.0),
    }


def test_fill_backorder_and_split_rates_per_channel(engine):
    got = {
        r["channel"]: (
            r["orders"],
            r["filled_first_try"],
            r["backordered"],
            r["released"],
            r["split"],
            r["fill_rate"],
            r["backorder_rate"],
            r["split_rate"],
        )
        for r in rows(engine, "fulfilment_rates")
    }
    assert got == {
        "marketplace": (2, 2, 0, 2, 0, 1.0, 0.0, 0.0),
        "pos": (1, 0, 1, 1, 0, 0.0, 1.0, 0.0),
        "web": (2, 2, 0, 2, 1, 1.0, 0.0, 0.5),
    }


def test_on_time_shipping_per_day_and_node(engine):
    got = [
        (r["day"], r["node_id"], r["shipments"], r["on_time"], r["on_time_rate"], r["avg_hours_to_ship"])
        for r in rows(engine, "on_time_shipping")
    ]
    assert got == [
        ("2026-03-02", "dc-east", 3, 3, 1.0, 0.75),  # 60, 40 and 35 minutes (O5 express, 8 h allowed)
        ("2026-03-02", "dc-west", 1, 1, 1.0, 2.0),
        ("2026-03-03", "dc-west", 1, 0, 0.0, 25.0),  # O3: 25 hours after release, 24 allowed
    ]


def test_return_rate_by_sku_and_reason(engine):
    got = [
        (r["sku"], r["reason"], r["returns"], r["units_returned"], r["units_ordered"], r["return_rate"])
        for r in rows(engine, "returns")
    ]
    assert got == [
        ("A", "(all)", 1, 1, 3, 0.333333),
        ("A", "damaged", 1, 1, 3, 0.333333),
        ("B", "(all)", 2, 2, 4, 0.5),
        ("B", "damaged", 1, 1, 4, 0.25),
        ("B", "wrong_size", 1, 1, 4, 0.25),
    ]


def test_refunds_by_cause(engine):
    assert rows(engine, "refunds") == [
        {"cause": "cancellation", "currency": "USD", "refunds": 1, "amount": 800, "orders": 1},
        {"cause": "return", "currency": "USD", "refunds": 2, "amount": 3000, "orders": 2},
    ]


def test_shipping_cost_per_node_and_overall(engine):
    got = [
        (
            r["node_id"],
            r["orders"],
            r["shipments"],
            r["label_cost"],
            r["shipping_charged"],
            r["label_cost_per_order"],
            r["margin"],
        )
        for r in rows(engine, "shipping_cost")
    ]
    assert got == [
        ("(all)", 4, 5, 2700, 1500.0, 675.0, -1200.0),
        ("dc-east", 3, 3, 1400, 1200.0, 466.666667, -200.0),  # O2's 600 shipping is shared by its two shipments
        ("dc-west", 2, 2, 1300, 300.0, 650.0, -1000.0),
    ]


def test_demand_per_sku_with_top_sellers(engine):
    got = [
        (
            r["day"],
            r["sku"],
            r["units"],
            r["orders"],
            r["revenue"],
            r["top_seller_rank"],
            r["change_vs_previous"],
            r["units_7_day_avg"],
        )
        for r in rows(engine, "demand")
    ]
    assert got == [
        ("2026-03-02", "B", 4, 2, 8000, 1, None, 4.0),
        ("2026-03-02", "A", 3, 2, 3000, 2, None, 3.0),
        ("2026-03-02", "C", 3, 2, 1500, 2, None, 3.0),
    ]


def test_exceptions_by_type_with_time_to_resolve(engine):
    assert rows(engine, "exceptions") == [
        {
            "exception_type": "delivery_exception",
            "raised": 1,
            "resolved": 1,
            "still_open": 0,
            "avg_minutes_to_resolve": 100.0,
            "max_minutes_to_resolve": 100.0,
        }
    ]


def test_operator_actions_by_type(engine):
    assert rows(engine, "operator_actions") == [{"day": "2026-03-02", "action": "cancelled", "actions": 1, "orders": 1}]


def test_headline_figures(engine):
    assert rows(engine, "summary") == [
        {
            "orders": 5,
            "delivered_orders": 4,
            "median_capture_to_delivery_minutes": 1496.0,  # of 729, 1496, 1510 and 2498
            "return_rate": 0.75,
            "shipping_cost_per_order": 675.0,
        }
    ]


def test_channel_and_node_filters_select_orders(engine):
    web = rows(engine, "summary", Scope(DAY, DAY, channel="web"))
    assert (web[0]["orders"], web[0]["delivered_orders"]) == (2, 2)
    west = rows(engine, "shipping_cost", Scope(DAY, DAY, node_id="dc-west"))
    # the orders that touched dc-west (O2, O3) with all their shipments
    assert [(r["node_id"], r["orders"], r["label_cost"]) for r in west] == [
        ("(all)", 2, 1700),
        ("dc-east", 1, 400),
        ("dc-west", 2, 1300),
    ]


def test_a_range_selects_orders_by_capture_day_and_keeps_their_later_events(engine):
    assert rows(engine, "summary", Scope(date(2026, 3, 3), date(2026, 3, 9)))[0]["orders"] == 0
    # captured on the 2nd: O3's delivery on the 3rd and its return on the 4th still count
    assert rows(engine, "summary", Scope(DAY, DAY))[0]["return_rate"] == 0.75


def test_redelivered_and_backfilled_facts_count_once():
    w = seeded()
    stream = w.stream_facts()
    assert {f.fact_id for f in stream} == {f.fact_id for f in w.backfill_facts()}
    assert len({f.fact_id for f in stream}) == len(stream)  # each change adds only facts it did not have
    twice = engine_over(stream + stream + w.backfill_facts())
    once = engine_over(stream)
    for name in catalog.reports():
        assert rows(twice, name) == rows(once, name), name


def test_every_report_has_its_declared_columns_and_parses_as_trino(engine):
    assert len(catalog.reports()) >= 9
    for report in catalog.reports().values():
        sqlglot.parse_one(report.sql, read="trino")
        sqlglot.parse_one(all_facts(report.sql), read="trino")
        result = engine.run(scoped(report.sql, WEEK))
        assert [c.name for c in result.columns] == [c.name for c in report.columns], report.name


def test_facts_carry_no_personal_data():
    text = " ".join(str(f.row()) for f in seeded().stream_facts())
    for personal in ("someone@example.com", "Some One", "1 Main St", "Austin", "73301"):
        assert personal not in text
    assert "'postal_prefix': '733'" in text
