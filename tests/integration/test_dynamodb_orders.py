import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.domain.errors import ConcurrentUpdate
from shared.domain.order import Customer, Delivery, place
from shared.domain.values import Address
from shared.ports import DuplicateCapture


def an_order(external_id: str, order_id: str | None = None):
    return place(
        order_id=order_id or f"ord_{uuid.uuid4().hex[:20]}",
        channel="web",
        external_id=external_id,
        currency="EUR",
        customer=Customer("a@example.com", "Ann", "+49 30 1234567"),
        ship_to=Address("Ann", "Str. 1", "Berlin", "BE", "10115", "DE", lat=52.52, lon=13.405),
        lines=[("SKU-1", 3, 999)],
        shipping_amount=0,
        tax_amount=0,
        payment_intent="pi_1",
        delivery=Delivery("ship", "express"),
        at=datetime(2026, 11, 22, tzinfo=UTC),
    )


@pytest.fixture
def orders(aws, resources):
    return DynamoDBOrders(aws("dynamodb"), resources.tables["orders"])


def test_round_trip_keeps_every_field(orders):
    order = an_order(f"ext-{uuid.uuid4()}")
    orders.add(order, "hash-1")
    loaded = orders.get(order.order_id)
    assert loaded == order
    record = orders.find_capture("web", order.external_id)
    assert (record.order_id, record.body_hash, record.snapshot) == (order.order_id, "hash-1", order)


def test_second_capture_of_same_external_id_is_refused_with_the_first(orders):
    ext = f"ext-{uuid.uuid4()}"
    first = an_order(ext)
    orders.add(first, "h")
    with pytest.raises(DuplicateCapture) as dup:
        orders.add(an_order(ext), "h2")
    assert dup.value.record.order_id == first.order_id


def test_stale_save_is_refused(orders):
    order = an_order(f"ext-{uuid.uuid4()}")
    orders.add(order, "h")
    a, b = orders.get(order.order_id), orders.get(order.order_id)
    a.verify_payment(datetime(2026, 11, 22, 1, tzinfo=UTC))
    orders.save(a)
    b.fail("late writer", datetime(2026, 11, 22, 2, tzinfo=UTC))
    with pytest.raises(ConcurrentUpdate):
        orders.save(b)
    assert orders.get(order.order_id).status.value == "RECEIVED"


def test_concurrent_captures_store_exactly_one(orders):
    ext = f"ext-{uuid.uuid4()}"

    def attempt(_):
        try:
            orders.add(an_order(ext), "h")
            return "stored"
        except DuplicateCapture:
            return "duplicate"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count("stored") == 1
    assert outcomes.count("duplicate") == 39


def test_a_payment_intent_is_claimed_by_one_order_even_when_many_race(aws, resources):
    from shared.adapters.dynamodb_payment_claims import DynamoDBPaymentClaims

    claims = DynamoDBPaymentClaims(aws("dynamodb"), resources.tables["orders"])
    intent = f"pi_{uuid.uuid4().hex[:16]}"
    contenders = [f"ord_{i}" for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        owners = list(pool.map(lambda order_id: claims.claim(intent, order_id), contenders))
    winner = owners[0]
    assert winner in contenders
    assert set(owners) == {winner}
    assert claims.claim(intent, winner) == winner  # the owner claiming again is harmless
