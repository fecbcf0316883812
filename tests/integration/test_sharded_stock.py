"""Sharded stock of a hot (sku, node) on DynamoDB (moto server, docs/hot-sku.md): reservations,
receipts, counts, consumption, release and rebalancing across shards, never overselling and never
changing the total, also with hundreds of concurrent reservations."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.domain.inventory import StockChange
from shared.domain.shards import Shard
from shared.ports import AdjustmentReplay, StockChanged
from shared.usecases.shard_stock import rebalance_shards

AT = datetime(2026, 11, 22, tzinfo=UTC)
DAY = "2026-11-22"
NODE = "hot-dc"


@pytest.fixture
def db(aws):
    return aws("dynamodb")


@pytest.fixture
def table(resources):
    return resources.tables["inventory"]


@pytest.fixture
def inventory(db, table):
    return DynamoDBInventory(db, table)


def _sku() -> str:
    return f"HOT-{uuid.uuid4().hex[:8]}"


def _order() -> str:
    return f"ord_{uuid.uuid4().hex[:12]}"


def sharded(inventory: DynamoDBInventory, shards: int, units: int, safety: int = 0) -> str:
    """A new sku at NODE split over `shards`, with `units` received (spread over them)."""
    sku = _sku()
    assert inventory.set_shards(sku, NODE, shards)
    level = inventory.levels_at(NODE, [sku])[sku]
    assert level.shards == shards
    change = StockChange(sku, units, safety_stock=(0, safety) if safety else None, shards=shards)
    inventory.adjust(f"rcv-{sku}", "h", NODE, [change], AT)
    return sku


def shards(inventory: DynamoDBInventory, sku: str) -> list[Shard]:
    return inventory.shards_of(sku, NODE)[1]


def books(inventory: DynamoDBInventory, sku: str) -> tuple[int, int, int]:
    """(on hand, reserved, available) summed over the shards, checking every shard's own balance."""
    level, parts = inventory.shards_of(sku, NODE)
    for part in parts:
        safety = level.safety_stock if part.index == 0 else 0
        assert part.reserved >= 0, part
        assert part.on_hand >= part.reserved, part
        assert part.available == part.on_hand - part.reserved - safety, part
    return level.on_hand, level.reserved, level.available


def test_a_receipt_is_spread_round_robin_and_read_back_as_one_row(inventory):
    sku = sharded(inventory, 4, 10)
    assert sorted(s.on_hand for s in shards(inventory, sku)) == [2, 2, 3, 3]
    [row] = inventory.stock_of(sku)  # availability stays one row per node: the sum
    assert (row.node_id, row.on_hand, row.reserved, row.available, row.shards) == (NODE, 10, 0, 10, 4)
    again = StockChange(sku, 10, shards=4)
    with pytest.raises(AdjustmentReplay):
        inventory.adjust(f"rcv-{sku}", "h", NODE, [again], AT)  # a retried receipt changes nothing twice
    assert books(inventory, sku) == (10, 0, 10)


def test_the_shard_count_only_rises_and_an_unsharded_pair_keeps_its_one_item(inventory, db, table):
    plain = _sku()
    inventory.adjust(f"rcv-{plain}", "h", NODE, [StockChange(plain, 5)], AT)
    items = db.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"SKU#{plain}"}},
    )["Items"]
    assert [i["sk"]["S"] for i in items] == [f"NODE#{NODE}"]
    assert "shards" not in items[0]
    assert inventory.levels_at(NODE, [plain])[plain].shards == 1
    sku = sharded(inventory, 4, 8)
    assert not inventory.set_shards(sku, NODE, 2)
    assert inventory.set_shards(sku, NODE, 4)  # the same count again: harmless
    assert inventory.levels_at(NODE, [sku])[sku].shards == 4


def test_reservations_take_from_shards_and_release_and_consume_settle_where_they_took(inventory):
    sku = sharded(inventory, 4, 8, safety=1)  # shard 0 keeps the safety unit: 7 may be promised
    inventory.levels_at(NODE, [sku])
    assert books(inventory, sku) == (8, 0, 7)
    big, small = _order(), _order()
    assert inventory.reserve(big, NODE, {sku: 5}, DAY, None)  # more than any one shard holds
    assert inventory.reserve(big, NODE, {sku: 5}, DAY, None)  # a retry: already reserved, nothing twice
    [held] = inventory.reservations(big)
    assert held.takes is not None
    assert sum(held.takes[sku].values()) == 5
    assert len(held.takes[sku]) > 1
    assert inventory.reserve(small, NODE, {sku: 2}, DAY, None)
    assert not inventory.reserve(_order(), NODE, {sku: 1}, DAY, None)  # 7 promised: none left
    assert books(inventory, sku) == (8, 7, 0)
    assert inventory.release(held)
    assert not inventory.release(held)  # released once only
    assert books(inventory, sku) == (8, 2, 5)
    [kept] = inventory.reservations(small)
    assert inventory.consume(kept)
    assert not inventory.consume(kept)
    assert books(inventory, sku) == (6, 0, 5)


def test_a_count_sets_the_total_across_shards_and_refuses_a_stale_reading(inventory):
    sku = sharded(inventory, 3, 9)
    order = _order()
    assert inventory.reserve(order, NODE, {sku: 2}, DAY, None)
    seen = inventory.levels_at(NODE, [sku])[sku]
    down = StockChange(sku, 4 - seen.on_hand, count_seen=seen.on_hand, shards=3)  # counted 4
    inventory.adjust(f"cnt-{sku}", "h", NODE, [down], AT)
    assert books(inventory, sku) == (4, 2, 2)
    stale = StockChange(sku, 12 - seen.on_hand, count_seen=seen.on_hand, shards=3)  # read before the count
    with pytest.raises(StockChanged, match="changed"):
        inventory.adjust(f"cnt2-{sku}", "h", NODE, [stale], AT)
    up = StockChange(sku, 12 - 4, count_seen=4, shards=3)
    inventory.adjust(f"cnt3-{sku}", "h", NODE, [up], AT)
    assert books(inventory, sku) == (12, 2, 10)
    with pytest.raises(StockChanged, match="unreserved"):  # never below what is reserved
        inventory.adjust(f"cnt4-{sku}", "h", NODE, [StockChange(sku, -11, count_seen=12, shards=3)], AT)


def test_rebalancing_evens_the_shards_and_keeps_the_total(inventory):
    sku = sharded(inventory, 4, 12)
    for _ in range(3):  # empty some shards unevenly
        assert inventory.reserve(_order(), NODE, {sku: 2}, DAY, None)
    before = books(inventory, sku)
    outcome = rebalance_shards(sku, NODE, shards=inventory)
    assert books(inventory, sku) == before
    spread = [s.available for s in shards(inventory, sku)]
    assert max(spread) - min(spread) <= 1
    assert sum(spread) == 6
    assert outcome.moved == sum(m.units for m in outcome.moves)
    assert rebalance_shards(sku, NODE, shards=inventory).moves == []  # again: nothing to move


def _reserve_retrying(inventory: DynamoDBInventory, order: str, sku: str, retries: Counter[str]) -> bool:
    while True:
        try:
            return inventory.reserve(order, NODE, {sku: 1}, DAY, None)
        except ClientError as err:  # a TransactionConflict (as in AWS): the step is retried
            retries[err.response["Error"]["Code"]] += 1


def test_300_concurrent_orders_on_50_units_over_8_shards_reserve_exactly_50(db, table, capsys):
    seed = DynamoDBInventory(db, table)
    sku = sharded(seed, 8, 50)
    orders = [_order() for _ in range(300)]
    retries: Counter[str] = Counter()

    def one(order: str) -> bool:
        inventory = DynamoDBInventory(db, table)  # each order its own environment, as Lambda runs them
        inventory.levels_at(NODE, [sku])  # the routing read that comes before a reservation
        return _reserve_retrying(inventory, order, sku, retries)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=24) as pool:
        outcomes = list(pool.map(one, orders))
    took = time.perf_counter() - started
    assert outcomes.count(True) == 50
    assert outcomes.count(False) == 250
    assert books(seed, sku) == (50, 50, 0)
    assert all(s.available >= 0 for s in shards(seed, sku))
    held = [r for o in orders for r in seed.reservations(o)]
    assert len(held) == 50
    assert all(r.status == "reserved" for r in held)
    used = Counter(i for r in held for i in (r.takes or {}).get(sku, {}))
    with capsys.disabled():
        print(
            f"\n  hot sku: 300 orders on 50 units over 8 shards: {outcomes.count(True)} reserved, "
            f"{outcomes.count(False)} refused, shards used {dict(sorted(used.items()))}, "
            f"retried errors {dict(retries) or 0}, {took:.1f} s"
        )


def test_rebalancing_while_orders_reserve_neither_oversells_nor_changes_the_total(db, table):
    seed = DynamoDBInventory(db, table)
    sku = sharded(seed, 8, 40)
    for _ in range(5):  # pile units up unevenly: shard 0 gets what the releases give back
        order = _order()
        seed.levels_at(NODE, [sku])
        assert seed.reserve(order, NODE, {sku: 3}, DAY, None)
        [held] = seed.reservations(order)
        seed.release(held)
    orders = [_order() for _ in range(80)]
    retries: Counter[str] = Counter()

    def one(order: str) -> Any:
        if order == "rebalance":
            return rebalance_shards(sku, NODE, shards=DynamoDBInventory(db, table))
        inventory = DynamoDBInventory(db, table)
        inventory.levels_at(NODE, [sku])
        return _reserve_retrying(inventory, order, sku, retries)

    work = [*orders[:40], "rebalance", *orders[40:], "rebalance"]
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(one, work))
    reserved = sum(1 for x in outcomes if x is True)
    assert reserved == 40  # 80 orders for 40 units
    assert books(seed, sku) == (40, 40, 0)
    assert all(s.available >= 0 for s in shards(seed, sku))
