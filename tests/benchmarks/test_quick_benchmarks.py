"""The benchmarks' quick modes run in the test command so they cannot rot: each must complete and
print its table and its last line. Figures are printed, never asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(module: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", module, "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    print(done.stdout)
    return done.stdout.strip().splitlines()


def test_cold_start_quick_prints_a_row_per_function_and_the_worst_ratio() -> None:
    from benchmarks.cold_start import QUICK

    lines = _run("benchmarks.cold_start")
    assert re.fullmatch(r"worst_init_ratio: \d+\.\d\d", lines[-1])
    rows = {line.split()[0]: line.split() for line in lines if line.split() and line.split()[0] in QUICK}
    assert set(rows) == set(QUICK)
    for name, row in rows.items():
        init_ms, ref_ms = float(row[1]), float(row[2])
        assert init_ms > 0, name
        assert ref_ms > 0, name


def test_cost_quick_prices_every_scenario_and_prints_the_cost_per_1000_orders() -> None:
    lines = _run("benchmarks.cost")
    assert re.fullmatch(r"cost_per_1000_orders_usd_without_ses: \d+\.\d{4}", lines[-1])
    summary = {
        line[:30].strip(): line[30:].split()
        for line in lines
        if line.startswith(("delivered", "cancelled", "returned"))
    }
    assert set(summary) == {
        "delivered, one shipment",
        "delivered, two shipments",
        "cancelled before it shipped",
        "returned (after delivery)",
    }
    for name, (orders, transitions, wru, _rru, usd, no_ses, wall) in summary.items():
        # every scenario ran executions and wrote orders, so something was counted and priced
        assert int(orders) >= 1, name
        assert float(transitions) > 0, name
        assert float(wru) > 0, name
        assert float(usd) > 0, name
        # priced with Lambda at its modelled duration, and beside it at this machine's wall time
        assert float(no_ses) > 0, name
        assert float(wall) > 0, name


def test_reservations_quick_finishes_end_to_end_and_prints_both_rates() -> None:
    lines = _run("benchmarks.reservations_bench")
    assert sum(line.startswith("adapter, ") for line in lines) == 2
    assert re.fullmatch(
        r"capture latency: p50 \d+ ms, p95 \d+ ms \(5 orders, 20 at a time, at most \d+ in flight\)", lines[-4]
    )
    assert re.fullmatch(r"delivered: all 5 after [\d.]+ s \([\d.,]+ orders/s to DELIVERED\)", lines[-3])
    assert re.fullmatch(
        r"end to end: 5 orders captured in .* all reserved after [\d.]+ s \([\d.,]+ orders/s\)", lines[-2]
    )
    resident = r"stack: [\d,]+ MB resident after the run \([\d,]+ MB the functions' process, [\d,]+ MB moto's\)"
    assert re.fullmatch(resident + r", stopped in [\d.]+ s", lines[-1])


def test_routing_quick_prints_every_scenario() -> None:
    lines = _run("benchmarks.routing_bench")
    rows = [line for line in lines if "/s" in line and "p95" in line]
    assert len(rows) == 6, lines


def test_label_quick_prints_the_import_cost_and_the_median() -> None:
    lines = _run("benchmarks.label_bench")
    assert lines[0].startswith("import shared.documents.label_pdf: ")
    assert re.match(r"20 labels: median [\d.]+ ms", lines[-1])


def test_routing_reads_quick_prints_reads_per_order_for_each_network() -> None:
    lines = _run("benchmarks.routing_reads")
    rows = [line.split() for line in lines if line.split() and line.split()[0].isdigit()]
    assert [(int(r[0]), int(r[1])) for r in rows] == [(10, 1), (10, 5), (50, 1), (50, 5)]
    for row in rows:
        assert float(row[5].replace(",", "")) > 0  # RRU per order
