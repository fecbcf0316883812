"""DynamoDB attribute values as shared/adapters/dynamodb_items.py writes and reads them: the same as
boto3's TypeSerializer/TypeDeserializer, which the adapters no longer import (it loads all of boto3)."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from shared.adapters.dynamodb_items import attr, from_item, to_item, value

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -17,
    10**37,
    Decimal("12.50"),
    Decimal("-0.001"),
    "",
    "ORDER#ord_1",
    b"\x00\x01zlib",
    bytearray(b"ab"),
    {"TSHIRT-M", "MUG"},
    {1, 2, Decimal("3.5")},
    {b"a", b"b"},
    [1, "two", None, [True], {"k": Decimal(4)}],
    ("a", 1),
    {"pk": "ORDER#1", "nested": {"qty": 2, "tags": ["x"], "none": None}},
]


# Not repr: a set's order changes with the hash seed, and xdist's workers must collect the same ids.
IDS = [f"{index}-{type(v).__name__}" for index, v in enumerate(VALUES)]


def _unordered(attribute: dict[str, Any]) -> Any:
    """Set members come in no particular order."""
    ((kind, raw),) = attribute.items()
    if kind in ("SS", "NS", "BS"):
        return kind, sorted(raw)
    if kind == "L":
        return kind, [_unordered(v) for v in raw]
    if kind == "M":
        return kind, {k: _unordered(v) for k, v in raw.items()}
    return attribute


@pytest.mark.parametrize("python_value", VALUES, ids=IDS)
def test_values_are_written_as_boto3_writes_them(python_value: Any) -> None:
    assert _unordered(attr(python_value)) == _unordered(dict(TypeSerializer().serialize(python_value)))


@pytest.mark.parametrize("python_value", VALUES, ids=IDS)
def test_values_read_back_as_boto3_reads_them_with_whole_numbers_as_int(python_value: Any) -> None:
    stored = TypeSerializer().serialize(python_value)
    expected = TypeDeserializer().deserialize(stored)
    got = value(stored)
    if isinstance(expected, Binary):  # boto3's wrapper of bytes; compares equal to them
        assert expected == got
        assert isinstance(got, bytes | bytearray)
    elif isinstance(expected, Decimal):
        whole = expected == expected.to_integral_value()
        assert (type(got), got) == ((int, int(expected)) if whole else (float, float(expected)))
    else:
        assert got == expected


@pytest.mark.parametrize(
    "bad", [1.5, {"a", 1}, object(), Decimal("1." + "1" * 40)], ids=["float", "mixed set", "object", "39 digits"]
)
def test_what_boto3_refuses_is_refused_with_the_same_error(bad: Any) -> None:
    with pytest.raises((TypeError, ArithmeticError)) as theirs:
        TypeSerializer().serialize(bad)
    with pytest.raises(type(theirs.value)):
        attr(bad)


def test_an_empty_set_is_refused_before_dynamodb_refuses_it() -> None:
    with pytest.raises(TypeError, match="set"):
        attr(set())


def test_an_item_round_trips_and_leaves_none_out() -> None:
    item = to_item({"pk": "ORDER#1", "sk": "ORDER", "version": 3, "gone": None, "doc": b"x"})
    assert "gone" not in item
    assert from_item(item) == {"pk": "ORDER#1", "sk": "ORDER", "version": 3, "doc": b"x"}


def test_loading_the_dynamodb_adapters_loads_neither_boto3_nor_s3transfer() -> None:
    # Found: boto3.dynamodb.types cost every function using the orders table ~0.2 s of cold start.
    probe = (
        "import sys, shared.adapters.dynamodb_orders, shared.adapters.dynamodb_inventory, "
        "shared.adapters.dynamodb_ledger; print(sorted({'boto3', 's3transfer'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
