"""Fulfilment use cases against in-memory ports: what each step does once, and again."""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.order import Order, ShipmentNotFound
from shared.domain.principal import Principal
from shared.domain.shipment import EventRefused, EventType, ShipmentEvent
from shared.topology import Kind
from shared.usecases._update import update_order
from shared.usecases.fulfilment_events import EventTimeRefused, apply_event, order_id_of
from shared.usecases.labels import buy_label
from shared.usecases.notify import send_shipment_email
from shared.usecases.release import release_order, request_fulfilment
from shared.usecases.signals import REJECTED_ERROR
from tests.unit.fakes import (
    FakeCarrier,
    FakeDocuments,
    FakeMailer,
    FakeRequests,
    FakeSignals,
    FixedClock,
    InMemoryNodes,
    InMemoryOrders,
)
from tests.unit.test_shipments import AT, PARCEL, order

ADMIN = Principal("admin", Kind.ADMIN, "admin")
SID = "ord_1-S1"


@pytest.fixture
def world():
    orders, clock = InMemoryOrders(), FixedClock()
    orders.add(order(), "hash")
    release_order("ord_1", orders=orders, clock=clock)
    return orders, clock, FakeSignals()


def event(world, kind, event_id=None, principal=ADMIN, node_id="dc-a", **extra):
    orders, clock, signals = world
    e = ShipmentEvent(event_id or f"e-{kind}", EventType(kind), AT, **extra)
    return apply_event(
        e, SID, node_id=node_id, tracking_number=None, principal=principal, orders=orders, signals=signals, clock=clock
    )


def stored(world):
    return world[0].get("ord_1")


def test_the_request_carries_the_token_and_a_retry_answers_from_what_happened(world):
    orders, clock, signals = world
    requests, documents = FakeRequests(), FakeDocuments()

    def request(token):
        return request_fulfilment(
            "ord_1", SID, token, orders=orders, requests=requests, documents=documents, signals=signals, clock=clock
        )

    assert request("t1") == "requested"
    [(node_id, body)] = requests.sent
    assert (node_id, body["task_token"], body["lines"]) == (
        "dc-a",
        "t1",
        [{"line_id": "L1", "sku": "SKU-1", "quantity": 2}],
    )
    assert set(documents.objects) == set(stored(world).shipment(SID).documents.values())
    event(world, "accepted")
    event(world, "picked")
    event(world, "packed", parcel=PARCEL)
    assert request("t2") == "answered"  # the step retried after the node had answered
    assert len(requests.sent) == 1
    assert signals.calls[-1][:2] == ("succeed", "t2")
    assert signals.calls[-1][2]["parcel"]["weight_grams"] == PARCEL.weight_grams


def fulfil(world, documents):
    orders, clock, signals = world
    requests = FakeRequests()
    request_fulfilment(
        "ord_1", SID, "t1", orders=orders, requests=requests, documents=documents, signals=signals, clock=clock
    )
    return requests.sent


def test_a_shipment_stores_one_document_its_pick_list_and_packing_slip_both_link_to(world):
    documents = FakeDocuments()
    [(_, message)] = fulfil(world, documents)
    [key] = documents.puts  # one PUT per shipment: both documents are one object
    assert stored(world).shipment(SID).documents == {"pick_list": key, "packing_slip": key}
    page = documents.objects[key].decode()
    assert '<section id="pick-list">' in page
    assert '<section id="packing-slip">' in page
    assert set(message["documents"]) == {"pick_list", "packing_slip"}
    assert message["documents"]["pick_list"] == message["documents"]["packing_slip"]
    assert set(message["links"]) == {"shipment", "pick_list", "packing_slip"}


def test_a_shipment_requested_when_its_documents_were_two_objects_keeps_both_keys(world):
    before = {"pick_list": f"slips/ord_1/{SID}/pick-list.html", "packing_slip": f"slips/ord_1/{SID}/packing-slip.html"}
    update_order(world[0], "ord_1", lambda o: setattr(o.shipment(SID), "documents", dict(before)))
    documents = FakeDocuments()
    fulfil(world, documents)  # the step retried after a deploy: what the shipment links to is written
    assert stored(world).shipment(SID).documents == before
    assert sorted(documents.puts) == sorted(before.values())


def test_events_answer_the_waiting_state_machine_and_a_redelivery_answers_again(world):
    _, _, signals = world
    stored_order = world[0]
    stored_order.orders["ord_1"].shipments[0].request_token = "tok"
    assert event(world, "accepted").applied
    assert signals.calls[-1] == ("heartbeat", "tok", None)
    outcome = event(world, "accepted")
    assert not outcome.applied
    assert len(signals.calls) == 2  # answered again: a crash after saving must not lose the answer
    event(world, "picked")
    event(world, "rejected", reason="shelf empty")
    assert signals.calls[-1] == ("fail", "tok", (REJECTED_ERROR, "shelf empty"))


def test_who_may_send_what(world):
    other = Principal("wh", Kind.WAREHOUSE, "wh", nodes=("dc-z",))
    with pytest.raises(ShipmentNotFound):
        event(world, "accepted", principal=other)
    ours = replace(other, nodes=("dc-a",))
    assert event(world, "accepted", principal=ours).applied
    carrier = Principal("c", Kind.CARRIER, "sandbox")
    with pytest.raises(EventRefused) as refused:
        event(world, "picked", principal=carrier)
    assert refused.value.code == "wrong_sender"
    with pytest.raises(EventRefused) as wrong:
        event(world, "picked", node_id="dc-b")
    assert wrong.value.code == "wrong_node"
    with pytest.raises(ShipmentNotFound):
        order_id_of("no-shipment-here")


def test_one_label_per_shipment_and_the_cheapest_meeting_the_level(world):
    orders, clock, _ = world
    for kind in ("accepted", "picked"):
        event(world, kind)
    event(world, "packed", parcel=PARCEL)
    carrier = FakeCarrier()
    first = buy_label("ord_1", SID, orders=orders, nodes=InMemoryNodes(), carrier=carrier, clock=clock)
    again = buy_label("ord_1", SID, orders=orders, nodes=InMemoryNodes(), carrier=carrier, clock=clock)
    assert first == again
    assert carrier.bought == ["ground"]  # standard service: the cheapest quote
    assert stored(world).shipment(SID).label == first


def test_a_pickup_shipment_needs_no_label_and_the_step_changes_nothing():
    """The state machine sends every packed shipment to BuyLabel (no Choice state on the method)."""
    orders, clock = InMemoryOrders(), FixedClock()
    orders.add(order("pickup", (("store-1", "L1", "SKU-1", 2), ("store-1", "L2", "SKU-2", 1))), "hash")
    release_order("ord_1", orders=orders, clock=clock)
    world = (orders, clock, FakeSignals())
    for kind in ("accepted", "picked"):
        event(world, kind, node_id="store-1")
    event(world, "packed", node_id="store-1", parcel=PARCEL)
    before = orders.get("ord_1")
    carrier = FakeCarrier()
    assert buy_label("ord_1", SID, orders=orders, nodes=InMemoryNodes(), carrier=carrier, clock=clock) is None
    assert carrier.bought == []
    after = orders.get("ord_1")
    assert before is not None
    assert after is not None
    assert (after.version, after.shipment(SID).label) == (before.version, None)


def test_a_shipment_email_is_sent_once(world):
    orders, clock, _ = world
    mailer = FakeMailer()
    ids = {
        send_shipment_email("ord_1", SID, "shipped", orders=orders, mailer=mailer, template="t", clock=clock)
        for _ in range(3)
    }
    assert len(ids) == 1
    assert len(mailer.sent) == 1
    assert stored(world).shipment(SID).emails == {"shipped": ids.pop()}


def test_an_authorization_is_captured_once_for_the_order_total():
    from shared.domain.payment import PaymentIntent
    from shared.usecases.capture_payment import capture_for_shipping
    from tests.unit.fakes import FakePayments

    orders, clock = InMemoryOrders(), FixedClock()
    placed = order()
    orders.add(placed, "hash")
    payments = FakePayments()
    total = placed.totals.grand_total
    payments.intents["pi_1"] = PaymentIntent("pi_1", "requires_capture", "USD", total + 500, total + 500, 0)
    assert capture_for_shipping("ord_1", orders=orders, payments=payments, clock=clock) == total
    assert capture_for_shipping("ord_1", orders=orders, payments=payments, clock=clock) == total
    assert payments.intents["pi_1"].status == "succeeded"
    assert [h.event for h in stored((orders, clock, None)).history].count("payment_captured") == 1


def test_an_event_id_reused_with_a_different_body_is_a_conflict_not_a_duplicate(world):
    """Issue 11, case 16: the second event was silently answered `duplicate` and never applied."""
    assert event(world, "accepted", event_id="e-1").applied
    assert not event(world, "accepted", event_id="e-1").applied  # a redelivery: harmless
    with pytest.raises(EventRefused) as refused:
        event(world, "picked", event_id="e-1")
    assert refused.value.code == "event_id_conflict"
    assert stored(world).shipment(SID).status.value == "ACCEPTED"


@pytest.mark.parametrize(
    "occurred_at",
    [datetime(9999, 12, 31, tzinfo=UTC), AT - timedelta(days=1)],
    ids=["year-9999", "before-the-order"],
)
def test_an_event_that_cannot_have_happened_then_is_refused(world, occurred_at):
    orders, clock, signals = world
    e = ShipmentEvent("e-time", EventType.ACCEPTED, occurred_at)
    with pytest.raises(EventTimeRefused):
        apply_event(
            e, SID, node_id="dc-a", tracking_number=None, principal=ADMIN, orders=orders, signals=signals, clock=clock
        )
    assert stored(world).shipment(SID).status.value == "REQUESTED"


class CountingOrders(InMemoryOrders):
    """Counts reads and saves; `race` saves another change just before the next save."""

    def __init__(self) -> None:
        super().__init__()
        self.gets, self.saves, self.race = 0, 0, False

    def get(self, order_id):
        self.gets += 1
        return super().get(order_id)

    def save(self, order):
        if self.race:
            self.race = False
            other = super().get(order.order_id)
            assert other is not None
            other._note("changed_meanwhile", "another writer", AT)
            super().save(other)
        self.saves += 1
        super().save(order)


def test_an_event_reads_its_order_once_and_a_concurrent_save_makes_it_read_again():
    orders, clock, signals = CountingOrders(), FixedClock(), FakeSignals()
    orders.add(order(), "hash")
    release_order("ord_1", orders=orders, clock=clock)
    world = (orders, clock, signals)
    orders.gets = orders.saves = 0
    assert event(world, "accepted").applied
    assert (orders.gets, orders.saves) == (1, 1)
    orders.gets = orders.saves = 0
    orders.race = True  # the conditional write on the version loses: read afresh, applied again
    assert event(world, "picked").applied
    assert (orders.gets, orders.saves) == (2, 2)
    stored_order = orders.orders["ord_1"]
    assert "changed_meanwhile" in [h.event for h in stored_order.history]
    assert stored_order.shipment(SID).status.value == "PICKED"


# --- a run's preparation starts one fulfilment per shipment --------------------------------------


def _fulfil(orders, workflow, run="ord_1", clock=None):
    from shared.usecases.release import release_and_fulfil

    return release_and_fulfil(
        "ord_1",
        run,
        LIMITS,
        orders=orders,
        workflow=workflow,
        clock=clock or FixedClock(),
        state_machine="fulfilment",
        run_machine="preparation",
    )


def _record(orders, cause, run="ord_1"):
    from shared.usecases.record_exception import record_exception
    from tests.unit.fakes import InMemoryInventory

    return record_exception(
        "ord_1",
        cause,
        orders=orders,
        inventory=InMemoryInventory(),
        requests=FakeRequests(),
        clock=FixedClock(),
        run=run,
        run_machine="preparation",
    )


def _order(orders: InMemoryOrders):
    found = orders.get("ord_1")
    assert found is not None
    return found


LIMITS = {"heartbeat_s": 60, "timeout_s": 600, "delivery_timeout_s": 3600, "pickup_timeout_s": 7200}


def test_each_shipment_released_gets_its_own_fulfilment_recorded_before_it_starts():
    from tests.unit.fakes import FakeWorkflow

    orders, clock, workflow = InMemoryOrders(), FixedClock(), FakeWorkflow()
    orders.add(order(), "hash")
    workflow.fail_next_start = True  # the step fails after the save: its retry starts what is recorded
    with pytest.raises(ConnectionError):
        _fulfil(orders, workflow, clock=clock)
    recorded = [e.arn for e in _order(orders).executions if e.state_machine == "fulfilment"]
    assert recorded == [workflow.execution_arn("ord_1-S1"), workflow.execution_arn("ord_1-S2")]

    shipments = _fulfil(orders, workflow, clock=clock)
    assert [s.shipment_id for s in shipments] == ["ord_1-S1", "ord_1-S2"]
    assert workflow.started["ord_1-S1"] == {
        "order_id": "ord_1",
        "shipment": {"shipment_id": "ord_1-S1", "node_id": "dc-a", "method": "ship"},
        "heartbeat_s": 60,
        "timeout_s": 600,
        "delivery_timeout_s": 3600,
    }
    # replayed again: nothing recorded twice, each started under its one name
    _fulfil(orders, workflow, clock=clock)
    assert len([e for e in _order(orders).executions if e.state_machine == "fulfilment"]) == 2
    assert set(workflow.started) == {"ord_1-S1", "ord_1-S2"}


def test_a_later_run_names_its_fulfilments_after_itself():
    from shared.usecases.release import fulfilment_name

    assert fulfilment_name("ord_1", "ord_1", "ord_1-S1") == "ord_1-S1"
    assert fulfilment_name("ord_1-retry-3", "ord_1", "ord_1-S3") == "ord_1-retry-3-S3"


def test_a_pickup_shipment_waits_for_its_pickup_window():
    from tests.unit.fakes import FakeWorkflow

    orders, workflow = InMemoryOrders(), FakeWorkflow()
    orders.add(order("pickup", (("store-1", "L1", "SKU-1", 2), ("store-1", "L2", "SKU-2", 1))), "hash")
    _fulfil(orders, workflow)
    assert [p["delivery_timeout_s"] for p in workflow.started.values()] == [7200]


def test_one_failed_shipment_stops_the_other_shipments_fulfilments_not_its_own():
    from shared.usecases.record_exception import stop_other_fulfilments
    from tests.unit.fakes import FakeWorkflow

    orders, workflow = InMemoryOrders(), FakeWorkflow()
    orders.add(order(), "hash")
    _fulfil(orders, workflow)
    failing = workflow.execution_arn("ord_1-S1")
    stopped = stop_other_fulfilments(
        "ord_1", failing, "CarrierUnavailable", orders=orders, stopper=workflow, machine="fulfilment"
    )
    assert (stopped, workflow.stopped) == (1, [workflow.execution_arn("ord_1-S2")])


def test_an_order_cancelled_before_its_confirmation_is_not_confirmed():
    from shared.usecases.send_confirmation import not_confirmed

    orders = InMemoryOrders()
    orders.add(order(), "hash")
    assert not_confirmed("ord_1", "verified", orders=orders) is None
    assert not_confirmed("ord_1", "held", orders=orders) == "the payment is not verified"
    fresh = InMemoryOrders()
    o = order()
    o.cancel("changed my mind", "customer", AT)
    fresh.add(o, "hash")
    assert not_confirmed("ord_1", "verified", orders=fresh) == "the order was cancelled before it was confirmed"


def _started(run: str) -> Callable[[Order], None]:
    """The order recording a preparation run it started."""
    from shared.domain.order import Execution

    return lambda o: o.start_execution(Execution(f"arn:x:express:prep:{run}", "preparation", AT))


def test_an_earlier_runs_preparation_started_again_starts_no_fulfilment():
    """Express starts are at least once and a capture may be replayed: a preparation that is not the
    order's latest run finds it released and starts nothing beside the latest run's fulfilments."""
    from tests.unit.fakes import FakeWorkflow

    orders, clock, workflow = InMemoryOrders(), FixedClock(), FakeWorkflow()
    orders.add(order(), "hash")
    for run in ("ord_1", "ord_1-retry-2"):
        update_order(orders, "ord_1", _started(run))
    stale = _fulfil(orders, workflow, clock=clock)
    assert (stale, workflow.started) == ([], {})
    latest = _fulfil(orders, workflow, "ord_1-retry-2", clock=clock)
    assert [s.shipment_id for s in latest] == ["ord_1-S1", "ord_1-S2"]
    assert set(workflow.started) == {"ord_1-retry-2-S1", "ord_1-retry-2-S2"}


def test_an_earlier_runs_preparation_failing_while_a_later_run_has_the_order_raises_nothing():
    """Seen at 1,000 orders: the first run's step timed out while ops' retry (the latest run) was
    working the order. The order is with that run; only its history says the earlier one failed."""
    orders = InMemoryOrders()
    orders.add(order(), "hash")
    for run in ("ord_1", "ord_1-retry-2"):
        update_order(orders, "ord_1", _started(run))
    done = _record(orders, "States.Timeout: Task timed out", run="ord_1")
    assert done.status == "RESERVED"
    assert not [e for e in _order(orders).exceptions if e.open]
    notes = [(h.event, h.cause) for h in _order(orders).history]
    assert ("preparation_superseded", "States.Timeout: Task timed out") in notes
    # the latest run's own failure still fails the order
    assert _record(orders, "States.Timeout: Task timed out", run="ord_1-retry-2").status == "EXCEPTION"


def test_a_preparation_failing_after_its_order_was_released_does_not_fail_it():

    orders, clock = InMemoryOrders(), FixedClock()
    orders.add(order(), "hash")
    release_order("ord_1", orders=orders, clock=clock)
    done = _record(orders, "OrderBusy: taken over")
    assert done.status == "RELEASED"
    assert _order(orders).status.value == "RELEASED"
    # its run failed after the release, perhaps before starting every fulfilment: ops see it
    assert _order(orders).exception_cause == "OrderBusy: taken over"
    # the same failure before the release fails the order, as any failed step does
    fresh = InMemoryOrders()
    fresh.add(order(), "hash")
    failed = _record(fresh, "PaymentProviderUnavailable: down")
    assert failed.status == "EXCEPTION"
