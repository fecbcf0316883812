"""Sharded stock without I/O: where a reservation, a receipt, a loss and a rebalance put units
(shared/domain/shards.py), the shard use cases, and the shard-count API's answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.inventory_api import routes
from shared import http
from shared import topology as t
from shared.domain.routing import Node
from shared.domain.shards import MAX_SHARDS, Move, Shard, ShardsCannotShrink, placement, rebalance, spread, take
from shared.usecases.shard_stock import rebalance_shards, set_shard_count
from tests.unit.builders import api_event, inventory_ports
from tests.unit.fakes import InMemoryInventory, InMemoryNodes, Shelf


def test_spread_deals_units_round_robin_from_the_start_shard():
    assert spread(10, 4, 0) == [3, 3, 2, 2]
    assert spread(10, 4, 3) == [3, 2, 2, 3]
    assert sum(spread(7, 8, 5)) == 7


def test_a_reservation_takes_one_shard_when_one_holds_it_all_else_several_never_more_than_there_is():
    shards = [Shard(0, 3, 0, 3), Shard(1, 1, 0, 1), Shard(2, 4, 0, 4)]
    assert take(shards, 2, 1) == {2: 2}  # shard 1 has too few: the next one holding all
    assert take(shards, 6, 1) == {1: 1, 2: 4, 0: 1}
    assert take(shards, 9, 0) is None


def test_shard_0_covers_the_safety_stock_first_and_losses_leave_the_other_shards_first():
    short = [Shard(0, 1, 0, -2), Shard(1, 2, 0, 2), Shard(2, 0, 0, 0)]  # safety 3 on shard 0
    assert placement(short, 3, 5, 0, 0) == {0: 3, 1: 1, 2: 1}  # 2 home, then 3 dealt round-robin
    assert placement(short, 3, -2, 0, 0) == {1: -2}
    assert placement(short, 3, 0, 0, 0) == {0: 2, 1: -2}  # short of safety stock: units pulled home
    with pytest.raises(ValueError, match="unreserved"):
        placement(short, 3, -4, 0, 0)


def test_a_rebalance_evens_what_shards_may_promise_and_keeps_the_total():
    shards = [Shard(0, 9, 1, 8), Shard(1, 1, 1, 0), Shard(2, 0, 0, 0), Shard(3, 2, 0, 2)]
    moves = rebalance(shards, 4)
    after = {s.index: s.available for s in shards}
    for m in moves:
        after[m.source] -= m.units
        after[m.target] += m.units
    assert sorted(after.values()) == [2, 2, 3, 3]
    assert rebalance([Shard(0, 0, 0, -3), Shard(1, 2, 0, 2)], 2) == [Move(1, 0, 2)]  # all home


def test_the_shard_count_only_rises():
    inventory = InMemoryInventory(Shelf())
    inventory.shelf.put("MUG", "dc", 10)
    assert set_shard_count("MUG", "dc", 4, shards=inventory).level.shards == 4
    with pytest.raises(ShardsCannotShrink):
        set_shard_count("MUG", "dc", 2, shards=inventory)
    assert set_shard_count("MUG", "dc", 4, shards=inventory).level.shards == 4


class LosingOnce(InMemoryInventory):
    """A move loses its race once (an order took the source's units meanwhile)."""

    lost = False

    def move_units(self, sku: str, node_id: str, move: Move) -> bool:
        if not self.lost:
            self.lost = True
            return False
        return super().move_units(sku, node_id, move)


def test_a_rebalance_move_that_loses_a_race_is_planned_again():
    inventory = LosingOnce(Shelf())
    inventory.shelf.put("MUG", "dc", 8)
    set_shard_count("MUG", "dc", 4, shards=inventory)
    outcome = rebalance_shards("MUG", "dc", shards=inventory)
    assert inventory.lost
    assert [s.available for s in outcome.shards] == [2, 2, 2, 2]
    assert outcome.moved == 6


def _call(method: str, path: str, resource: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    nodes = InMemoryNodes()
    nodes.put(Node("dc", "warehouse", None, True, False, 0, None))
    ports = inventory_ports(nodes=nodes)
    event = api_event(method, path, resource, kind="admin", body=body)
    answer = http.serve(http.resolver(routes.register), t.function("inventory_api"), event, None, ports=ports)
    return answer["statusCode"], json.loads(answer["body"])


SKU = "/v1/inventory/{sku}"


@pytest.mark.parametrize("count", [0, MAX_SHARDS + 1, 2.5, "8", True])
def test_a_bad_shard_count_is_refused_in_the_error_shape(count):
    status, answer = _call("PUT", "/v1/inventory/MUG", SKU, {"node_id": "dc", "shards": count})
    assert status == 422
    assert answer["error"]["code"] == "validation_failed"
    assert answer["error"]["details"][0]["field"].endswith("shards")


def test_the_shard_count_is_set_over_http_and_an_unknown_node_is_404():
    status, answer = _call("PUT", "/v1/inventory/MUG", SKU, {"node_id": "dc", "shards": 8, "rebalance": True})
    assert status == 200
    assert answer["stock"]["shards"] == 8
    assert answer["moves"] == []  # nothing received yet: nothing to move
    status, answer = _call("PUT", "/v1/inventory/MUG", SKU, {"node_id": "nowhere", "shards": 8})
    assert (status, answer["error"]["code"]) == (404, "not_found")
