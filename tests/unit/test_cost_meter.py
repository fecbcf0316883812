"""DynamoDB capacity as the cost benchmark counts it: item sizes and units by DynamoDB's rules."""

from __future__ import annotations

import time
from collections import Counter
from types import SimpleNamespace

import pytest

from benchmarks.cost_meter import (
    CURRENT_FUNCTION,
    DEFAULT_LATENCY_MS,
    LATENCY_MS,
    Meter,
    _reading_aside,
    item_size,
    modelled_duration_ms,
    read_units,
    value_size,
    write_units,
)


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "héllo"}, 6),  # UTF-8 bytes
        ({"N": "123"}, 3),  # 1 byte per 2 significant digits, plus 1
        ({"N": "-1.50"}, 2),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"B": b"\x00\x01\x02"}, 3),
        ({"L": [{"S": "ab"}, {"N": "1"}]}, 3 + (1 + 2) + (1 + 2)),
        ({"M": {"k": {"S": "v"}}}, 3 + 1 + 1 + 1),
        ({"SS": ["a", "bc"]}, 3),
    ],
)
def test_value_sizes_follow_dynamodb_rules(value: dict[str, object], size: int) -> None:
    assert value_size(value) == size


def test_item_size_counts_attribute_names() -> None:
    assert item_size({"pk": {"S": "ORDER#1"}, "version": {"N": "12"}}) == 2 + 7 + 7 + 2
    assert item_size(None) == 0


def test_units_round_up_per_kb_written_and_per_4kb_read() -> None:
    assert write_units(0) == 1
    assert write_units(1024) == 1
    assert write_units(6_200) == 7
    assert read_units(6_200, consistent=True) == 2
    assert read_units(6_200, consistent=False) == 1
    assert read_units(100, consistent=False) == 0.5


def test_the_meters_own_size_reads_are_not_counted_as_the_functions() -> None:
    """The meter reads an item's size around each write while a function runs; those reads once
    counted as the function's, two whole-item reads per write (fulfilment_events looked like three
    reads of the order per event)."""
    meter = Meter()
    get_item = SimpleNamespace(name="GetItem", service_model=SimpleNamespace(service_name="dynamodb"))
    answer = {"Item": {"pk": {"S": "ORDER#1"}, "doc": {"B": b"x" * 5000}}}
    token = CURRENT_FUNCTION.set("fulfilment_events")
    try:
        with _reading_aside():
            meter._after_call(get_item, answer, {})
        assert meter.requests == Counter()
        meter._after_call(get_item, answer, {"waybill_params": {"ConsistentRead": True}})
    finally:
        CURRENT_FUNCTION.reset(token)
    assert meter.requests == Counter({("dynamodb", "GetItem", "fulfilment_events"): 1})
    assert meter.units[("rru", "fulfilment_events")] == 2


def test_an_invocations_modelled_duration_is_its_cpu_at_its_vcpu_share_plus_a_round_trip_per_request() -> None:
    # 1,769 MB is one vCPU: at 512 MB the same CPU work takes 1769/512 as long
    assert modelled_duration_ms(10.0, 1769, Counter()) == 10.0
    assert modelled_duration_ms(10.0, 3538, Counter()) == 10.0  # never more than one vCPU's speed
    assert modelled_duration_ms(10.0, 512, Counter()) == pytest.approx(10.0 * 1769 / 512)
    calls = Counter({"dynamodb": 3, "stripe": 1, "somethingelse": 1})
    expected = 3 * LATENCY_MS["dynamodb"] + LATENCY_MS["stripe"] + DEFAULT_LATENCY_MS
    assert modelled_duration_ms(0.0, 512, calls) == expected


def test_an_invocation_is_priced_at_its_modelled_duration_and_its_wall_time_kept_beside() -> None:
    meter = Meter()
    put = SimpleNamespace(name="SendMessage", service_model=SimpleNamespace(service_name="sqs"))
    runtime = SimpleNamespace(_pools={"f": SimpleNamespace(fn=SimpleNamespace(memory_mb=1769))})

    def invoke(name: str, event: object) -> str:
        meter._after_call(put, {}, {})  # one request while the function runs
        time.sleep(0.05)  # waiting costs wall time, not CPU
        return "done"

    runtime.invoke = invoke
    meter.wrap_runtime(runtime)
    assert runtime.invoke("f", {}) == "done"
    assert meter.invocations == Counter({"f": 1})
    assert meter.requests == Counter({("sqs", "SendMessage", "f"): 1})
    modelled_s = meter.units[("lambda_gb_s", "f")] / (1769 / 1024)
    wall_s = meter.units[("lambda_gb_s_wall", "f")] / (1769 / 1024)
    assert wall_s >= 0.05
    # the sleep is not CPU: what is left is the request's round trip (and a few ms of CPU at most)
    assert LATENCY_MS["sqs"] / 1000 <= modelled_s < wall_s


def test_an_express_run_is_priced_from_its_tasks_modelled_durations_per_100_ms_at_64_mb() -> None:
    from collections import Counter

    from benchmarks.cost import EXPRESS_GB, Scenario, Snapshot, express_modelled_gb_s

    units = {("lambda_s", "check_payment"): 0.61, ("lambda_s", "reserve_order"): 0.2, ("lambda_s", "buy_label"): 9.0}
    invocations = Counter({"check_payment": 2, "reserve_order": 2, "buy_label": 2})
    s = Scenario("two runs", 2, Snapshot(Counter(), units, invocations, 0), express={"preparation": (2, 30.0)})
    # (0.61 + 0.2 s of its tasks, buy_label is not one, + 4 invocations x 20 ms) / 2 runs = 0.445 s -> 0.5 s
    assert express_modelled_gb_s(s, "preparation", 2) == 2 * 0.5 * EXPRESS_GB
