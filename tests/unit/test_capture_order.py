from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.domain.errors import IdempotencyConflict
from shared.domain.order import OrderStatus
from shared.schemas.capture import CaptureOrder
from shared.usecases.capture_order import capture_order
from tests.unit.builders import GRAND_TOTAL, capture_body
from tests.unit.fakes import FakeWorkflow, FixedClock, Ids, InMemoryOrders


@pytest.fixture
def ports():
    return {
        "orders": InMemoryOrders(),
        "workflow": FakeWorkflow(),
        "clock": FixedClock(),
        "new_order_id": Ids(),
        "state_machine": "fulfilment",
    }


def capture(ports, channel="web", **overrides):
    return capture_order(CaptureOrder.model_validate(capture_body(**overrides)), channel, **ports)


def test_capture_stores_the_order_and_starts_its_execution(ports):
    result = capture(ports)
    assert not result.replayed
    stored = ports["orders"].get(result.order.order_id)
    assert stored.status == OrderStatus.RECEIVED
    assert stored.totals.grand_total == GRAND_TOTAL
    assert ports["workflow"].started == {result.order.order_id: {"order_id": result.order.order_id}}
    assert stored.executions[0].arn.endswith(result.order.order_id)


def test_same_body_replays_the_first_answer(ports):
    first = capture(ports)
    again = capture(ports)
    assert again.replayed
    assert again.order.order_id == first.order.order_id
    assert again.order == first.order
    assert len(ports["orders"].orders) == 1


def test_different_body_for_same_external_id_conflicts(ports):
    capture(ports)
    with pytest.raises(IdempotencyConflict):
        capture(ports, tax_amount=999)
    assert len(ports["orders"].orders) == 1


def test_external_ids_are_per_channel(ports):
    a = capture(ports, channel="web")
    b = capture(ports, channel="pos")
    assert a.order.order_id != b.order.order_id
    assert not b.replayed


def test_replay_after_a_failed_start_starts_the_execution(ports):
    ports["workflow"].fail_next_start = True
    with pytest.raises(ConnectionError):
        capture(ports)
    assert ports["workflow"].started == {}
    again = capture(ports)
    assert again.replayed
    assert again.order.order_id in ports["workflow"].started


def test_fifty_parallel_identical_captures_create_one_order(ports):
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda _: capture(ports), range(50)))
    assert len(ports["orders"].orders) == 1
    assert len({r.order.order_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1


def test_a_replay_of_an_order_that_moved_on_starts_nothing_again(ports):
    """The run's preparation is Express: a start under the same name runs it again, so a replayed
    capture starts it only while the order is still as captured (the first start may have failed)."""
    from shared.usecases._update import update_order

    first = capture(ports)
    update_order(
        ports["orders"],
        first.order.order_id,
        lambda o: o.hold_for_payment("the payment is not verified", ports["clock"].now()),
    )
    capture(ports)
    assert ports["workflow"].start_calls == 1


def test_a_replay_after_a_later_run_put_the_order_back_to_received_starts_nothing(ports):
    from shared.domain.order import Execution
    from shared.usecases._update import update_order

    first = capture(ports)
    later = Execution(
        ports["workflow"].execution_arn(f"{first.order.order_id}-release_hold-2"), "preparation", ports["clock"].now()
    )
    update_order(ports["orders"], first.order.order_id, lambda o: o.start_execution(later))
    capture(ports)
    assert ports["workflow"].start_calls == 1
