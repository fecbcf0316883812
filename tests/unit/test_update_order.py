from shared.schemas.capture import CaptureOrder
from shared.usecases._update import update_order
from shared.usecases.capture_order import capture_order
from tests.unit.builders import capture_body
from tests.unit.fakes import FakeWorkflow, FixedClock, Ids, InMemoryOrders


def captured():
    orders = InMemoryOrders()
    result = capture_order(
        CaptureOrder.model_validate(capture_body()),
        "web",
        orders=orders,
        workflow=FakeWorkflow(),
        clock=FixedClock(),
        new_order_id=Ids(),
        state_machine="fulfilment",
    )
    return orders, result.order.order_id


def test_a_change_without_a_history_entry_is_still_saved():
    orders, oid = captured()
    update_order(orders, oid, lambda o: setattr(o, "priority", 7))
    assert orders.get(oid).priority == 7


def test_no_change_means_no_save():
    orders, oid = captured()
    version = orders.get(oid).version
    update_order(orders, oid, lambda o: None)
    assert orders.get(oid).version == version
