"""The reserve step's failure paths on the real adapters: a retry after an attempt died midway,
allocators racing on one order, and a replayed adjustment."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.adapters.dynamodb_nodes import DynamoDBNodes, DynamoDBPolicies
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.system import SystemClock
from shared.domain.audit import Actor
from shared.domain.inventory import StockChange
from shared.domain.order import Customer, Delivery, OrderStatus, PaymentCheck, place
from shared.domain.routing import Node
from shared.domain.values import Address
from shared.schemas.inventory import Correction
from shared.usecases.adjust_stock import adjust_stock
from shared.usecases.reserve_order import OrderBusy, reserve_order
from tests.integration.scoped import ScopedNodes

ADMIN = Actor("admin", "stock-desk")

AT = datetime(2026, 11, 22, tzinfo=UTC)


class World:
    def __init__(self, aws, resources):
        db = aws("dynamodb")
        self.run = uuid.uuid4().hex[:6]
        self.inventory = DynamoDBInventory(db, resources.tables["inventory"])
        self.orders = DynamoDBOrders(db, resources.tables["orders"])
        store = DynamoDBNodes(db, resources.tables["inventory"])
        self.node = Node(f"{self.run}-dc", "warehouse", None, True, False, 100, None)
        store.put(self.node)
        self.nodes = ScopedNodes(store, self.run)
        self.policies = DynamoDBPolicies(db, resources.tables["inventory"])
        self.sku = f"{self.run}-SKU"

    def stock(self, quantity):
        self.inventory.adjust(
            f"{self.run}-{uuid.uuid4().hex}", "h", self.node.node_id, [StockChange(self.sku, quantity)], AT
        )

    def order(self, quantity):
        order = place(
            order_id=f"ord_{self.run}{uuid.uuid4().hex[:8]}",
            channel="web",
            external_id=uuid.uuid4().hex,
            currency="USD",
            customer=Customer("a@example.com", "Ann"),
            ship_to=Address("Ann", "1 Main", "Austin", "TX", "73301", "US"),
            lines=[(self.sku, quantity, 100)],
            shipping_amount=0,
            tax_amount=0,
            payment_intent="pi_1",
            delivery=Delivery("ship", "standard"),
            at=AT,
        )
        order.payment_check = PaymentCheck.VERIFIED
        self.orders.add(order, "h")
        return order.order_id

    def reserve(self, order_id):
        return reserve_order(
            order_id,
            orders=self.orders,
            inventory=self.inventory,
            nodes=self.nodes,
            policies=self.policies,
            clock=SystemClock(),
        )

    def level(self):
        return self.inventory.stock_for([self.sku])[(self.sku, self.node.node_id)]


@pytest.fixture
def world(aws, resources):
    return World(aws, resources)


def test_a_retry_after_an_attempt_died_midway_holds_exactly_the_order(world):
    world.stock(5)
    order_id = world.order(2)
    # the first attempt reserved, then died before recording the decision on the order
    assert world.inventory.reserve(order_id, world.node.node_id, {world.sku: 2}, "2026-11-22", None)
    outcome = world.reserve(order_id)
    assert outcome.outcome == "allocated"
    assert world.orders.get(order_id).status == OrderStatus.RESERVED
    level = world.level()
    assert (level.reserved, level.available) == (2, 3)
    # and a second order still gets only what is left
    other = world.order(4)
    assert world.reserve(other).outcome == "backorder"
    assert world.level().reserved == 2


def test_allocators_racing_on_one_backordered_order_reserve_it_once(world):
    world.stock(0)
    order_id = world.order(2)
    assert world.reserve(order_id).outcome == "backorder"
    world.stock(10)

    def attempt(_):
        try:
            return world.reserve(order_id).outcome
        except OrderBusy:
            return "busy"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(12)))
    assert "allocated" in outcomes
    order = world.orders.get(order_id)
    assert order.status == OrderStatus.RESERVED
    assert sum(a.quantity for a in order.routing.allocations) == 2
    reservations = [r for r in world.inventory.reservations(order_id) if r.status == "reserved"]
    assert [r.quantities for r in reservations] == [{world.sku: 2}]
    assert (world.level().reserved, world.level().available) == (2, 8)


def test_replaying_an_adjustment_answers_the_first_result_even_when_its_rules_no_longer_hold(world):
    class Notes:
        def __init__(self):
            self.skus = []

        def stock_arrived(self, skus):
            self.skus.extend(skus)

    world.stock(5)
    order_id = world.order(3)
    assert world.reserve(order_id).outcome == "allocated"
    lost = Correction.model_validate(
        {
            "reference": f"{world.run}-lost",
            "node_id": world.node.node_id,
            "type": "adjustment",
            "lines": [{"sku": world.sku, "quantity": -2}],
            "reason": "two dropped in aisle 4",
        }
    )
    notes = Notes()
    first = adjust_stock(lost, ADMIN, inventory=world.inventory, nodes=world.nodes, notifier=notes, clock=SystemClock())
    again = adjust_stock(lost, ADMIN, inventory=world.inventory, nodes=world.nodes, notifier=notes, clock=SystemClock())
    assert not first.replayed
    assert again.replayed
    # the audit trail: who took them away, and why, kept with the reference (a replay changes nothing)
    applied = world.inventory.adjustment(lost.reference)
    assert applied is not None
    assert (applied.node_id, applied.type, applied.changes) == (world.node.node_id, "adjustment", ((world.sku, -2),))
    assert applied.stamp is not None
    assert (applied.stamp.by, applied.stamp.reason) == (ADMIN, "two dropped in aisle 4")
    level = world.level()
    assert (level.on_hand, level.reserved, level.available) == (3, 3, 0)
