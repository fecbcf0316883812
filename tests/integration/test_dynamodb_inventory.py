import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.domain.inventory import ReorderSuggestion, StockChange
from shared.ports import AdjustmentReplay, StockChanged

AT = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture
def inventory(aws, resources):
    return DynamoDBInventory(aws("dynamodb"), resources.tables["inventory"])


def sku():
    return f"SKU-{uuid.uuid4().hex[:8]}"


def receive(inventory, node, changes):
    inventory.adjust(f"ref-{uuid.uuid4()}", "h", node, changes, AT)


def level(inventory, s, node):
    return inventory.stock_for([s])[(s, node)]


def test_receipt_safety_stock_and_reorder_settings(inventory):
    s = sku()
    receive(inventory, "n1", [StockChange(s, 10, safety_stock=(0, 2), reorder=(5, 20))])
    lvl = level(inventory, s, "n1")
    assert (lvl.on_hand, lvl.reserved, lvl.safety_stock, lvl.available) == (10, 0, 2, 8)
    assert (lvl.reorder_point, lvl.reorder_quantity) == (5, 20)


def test_an_adjustment_is_all_or_nothing_and_idempotent_on_reference(inventory):
    a, b = sku(), sku()
    receive(inventory, "n1", [StockChange(a, 5)])
    with pytest.raises(StockChanged):
        inventory.adjust("ref-x-" + a, "h1", "n1", [StockChange(a, 3), StockChange(b, -1)], AT)
    assert level(inventory, a, "n1").on_hand == 5
    inventory.adjust("ref-y-" + a, "h2", "n1", [StockChange(a, 3)], AT)
    with pytest.raises(AdjustmentReplay) as replay:
        inventory.adjust("ref-y-" + a, "h2", "n1", [StockChange(a, 3)], AT)
    assert replay.value.body_hash == "h2"
    assert level(inventory, a, "n1").on_hand == 8


def test_reserve_release_consume_keep_the_books_balanced(inventory):
    s = sku()
    receive(inventory, "n1", [StockChange(s, 10, safety_stock=(0, 1))])
    order = f"ord_{uuid.uuid4().hex[:10]}"
    assert inventory.reserve(order, "n1", {s: 4}, "2026-11-22", None)
    assert inventory.reserve(order, "n1", {s: 4}, "2026-11-22", None)  # a retry: already reserved
    lvl = level(inventory, s, "n1")
    assert (lvl.on_hand, lvl.reserved, lvl.available) == (10, 4, 5)
    assert not inventory.reserve(f"ord_{uuid.uuid4().hex[:10]}", "n1", {s: 6}, "2026-11-22", None)
    [res] = inventory.reservations(order)
    assert inventory.consume(res)
    assert not inventory.release(res)  # consumed already: nothing given back
    lvl = level(inventory, s, "n1")
    assert (lvl.on_hand, lvl.reserved, lvl.available) == (6, 0, 5)


def test_daily_capacity_is_a_condition_of_the_reservation(inventory):
    s, node = sku(), f"cap-{uuid.uuid4().hex[:6]}"
    receive(inventory, node, [StockChange(s, 10)])
    assert inventory.reserve("ord_a" + s, node, {s: 1}, "2026-11-22", 2)
    assert inventory.reserve("ord_b" + s, node, {s: 1}, "2026-11-22", 2)
    assert not inventory.reserve("ord_c" + s, node, {s: 1}, "2026-11-22", 2)
    assert inventory.capacity_used([node], "2026-11-22") == {node: 2}
    [res] = inventory.reservations("ord_a" + s)
    assert inventory.release(res)
    assert inventory.capacity_used([node], "2026-11-22") == {node: 1}
    assert level(inventory, s, node).reserved == 1


def test_concurrent_reservations_never_oversell(inventory):
    s = sku()
    receive(inventory, "n1", [StockChange(s, 50, safety_stock=(0, 5))])

    def attempt(i):
        return inventory.reserve(f"ord_{i}_{s}", "n1", {s: 1}, "2026-11-22", None)

    with ThreadPoolExecutor(max_workers=16) as pool:
        wins = sum(pool.map(attempt, range(120)))
    lvl = level(inventory, s, "n1")
    assert wins == 45
    assert (lvl.reserved, lvl.available, lvl.on_hand) == (45, 0, 50)
    assert lvl.on_hand == lvl.available + lvl.reserved + lvl.safety_stock


def test_backorders_come_back_in_priority_then_age_order(inventory):
    s = sku()
    inventory.add_backorder("ord_late_normal", [s], 100, datetime(2026, 1, 3, tzinfo=UTC))
    inventory.add_backorder("ord_early_normal", [s], 100, datetime(2026, 1, 1, tzinfo=UTC))
    inventory.add_backorder("ord_late_vip", [s], 10, datetime(2026, 1, 5, tzinfo=UTC))
    assert inventory.backorders(s) == ["ord_late_vip", "ord_early_normal", "ord_late_normal"]
    inventory.remove_backorder("ord_late_vip", [s], 10, datetime(2026, 1, 5, tzinfo=UTC))
    assert inventory.backorders(s) == ["ord_early_normal", "ord_late_normal"]


def every_suggestion(inventory, limit=50):
    """Every open suggestion, following the pages; each page holds at most `limit`."""
    found, after = [], None
    while True:
        page = inventory.reorder_suggestions(limit, after)
        assert len(page.items) <= limit
        found += page.items
        if page.after is None:
            return found
        after = page.after


def test_reorder_suggestions_page_by_sku_then_node_each_once(inventory):
    s = sku()
    for n in range(23):
        inventory.suggest_reorder(ReorderSuggestion(f"{s}-{n:02d}", f"n{n % 3}", 20, 3, 5), AT)
        inventory.suggest_reorder(ReorderSuggestion(f"{s}-{n:02d}", "n9", 20, 3, 5), AT)
    ours = [(x["sku"], x["node_id"]) for x in every_suggestion(inventory, limit=4) if x["sku"].startswith(s)]
    assert ours == sorted({(f"{s}-{n:02d}", node) for n in range(23) for node in (f"n{n % 3}", "n9")})


def test_one_open_reorder_suggestion_per_sku_and_node(inventory):
    s = sku()
    suggestion = ReorderSuggestion(s, "n1", 20, 3, 5)
    assert inventory.suggest_reorder(suggestion, AT)
    assert not inventory.suggest_reorder(suggestion, AT)
    assert [x["sku"] for x in every_suggestion(inventory) if x["sku"] == s] == [s]
    inventory.close_reorder(s, "n1")
    assert not [x for x in every_suggestion(inventory) if x["sku"] == s]


def test_a_released_reservation_can_be_reserved_again_for_real(inventory):
    s = sku()
    receive(inventory, "n1", [StockChange(s, 5)])
    order = f"ord_{uuid.uuid4().hex[:10]}"
    assert inventory.reserve(order, "n1", {s: 3}, "2026-11-22", None)
    [res] = inventory.reservations(order)
    assert inventory.release(res)
    assert level(inventory, s, "n1").reserved == 0
    assert inventory.reserve(order, "n1", {s: 2}, "2026-11-22", None)  # a later attempt, same node
    lvl = level(inventory, s, "n1")
    assert (lvl.reserved, lvl.available) == (2, 3)
    [again] = inventory.reservations(order)
    assert (again.status, again.quantities) == ("reserved", {s: 2})


def test_the_routing_lease_admits_one_attempt_until_it_expires(inventory):
    order = f"ord_{uuid.uuid4().hex[:10]}"
    assert inventory.claim(order, "a", 1000, 60)
    assert not inventory.claim(order, "b", 1030, 60)
    inventory.unclaim(order, "b")  # not the holder: nothing happens
    assert not inventory.claim(order, "b", 1030, 60)
    assert inventory.claim(order, "b", 1061, 60)  # a's lease ran out
    inventory.unclaim(order, "b")
    assert inventory.claim(order, "c", 1062, 60)
    assert inventory.claim(order, "c", 1100, 60)  # its holder extends it, to 1160
    assert not inventory.claim(order, "d", 1130, 60)  # past the first lease, inside the extended one
