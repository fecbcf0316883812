"""DynamoDB capacity as the cost benchmark counts it: item sizes and units by DynamoDB's rules."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest

from benchmarks.cost_meter import (
    CURRENT_FUNCTION,
    Meter,
    _reading_aside,
    item_size,
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
