"""Operations' actions on an order: each applies only where it can, is recorded with who and why,
and starts its execution once, also when replayed under its Idempotency-Key."""

import pytest

from shared.domain.audit import Actor
from shared.domain.exceptions import Action, ActionRefused, ExceptionType
from shared.domain.order import OrderStatus, PaymentCheck
from shared.domain.routing import Allocation, RoutingDecision
from shared.domain.shipment import ShipmentStatus
from shared.usecases.ops_actions import ActionKeyConflict, ActionRequest, FlowPorts, run_flow_action
from shared.usecases.release import release_order
from tests.unit.fakes import FakeRequests, FakeSignals, FakeWorkflow, FixedClock, InMemoryOrders
from tests.unit.test_no_dead_ends import ship
from tests.unit.test_shipments import AT, order

ANA = Actor("ops", "ana")


def _ports(o):
    orders = InMemoryOrders()
    orders.add(o, "h")
    return FlowPorts(orders, FakeWorkflow(), FakeSignals(), FakeRequests(), FixedClock())


def _held():
    o = order()
    o.status, o.routing = OrderStatus.RECEIVED, None
    o.hold_for_payment("the PaymentIntent is 100 short", AT, "payment_insufficient")
    return o


def _audited(o, event):
    return [(h.event, h.cause, h.actor) for h in o.history if h.event == event]


def test_release_hold_checks_the_payment_again_in_a_new_execution_recorded_with_who_and_why():
    ports = _ports(_held())
    request = ActionRequest(Action.RELEASE_HOLD, "customer topped up", ANA, key="k1")
    outcome = run_flow_action("ord_1", request, ports)
    o = outcome.order
    assert (o.status, o.payment_check, o.hold_code) == (OrderStatus.RECEIVED, PaymentCheck.PENDING, None)
    assert not o.open_exceptions
    assert _audited(o, "hold_released") == [("hold_released", "customer topped up", ANA)]
    assert outcome.execution == "ord_1-release_hold-1"
    assert o.executions[-1].arn.endswith(":ord_1-release_hold-1")
    assert list(ports.workflow.started) == ["ord_1-release_hold-1"]
    again = run_flow_action("ord_1", request, ports)  # a replay: the same outcome, nothing new
    assert again.replayed
    assert again.execution == outcome.execution
    assert list(ports.workflow.started) == ["ord_1-release_hold-1"]
    assert len(again.order.executions) == 1
    with pytest.raises(ActionKeyConflict):
        run_flow_action("ord_1", ActionRequest(Action.RELEASE_HOLD, "other", ANA, key="k1"), ports)
    with pytest.raises(ActionRefused) as refused:
        run_flow_action("ord_1", ActionRequest(Action.RELEASE_HOLD, "again", ANA), ports)
    assert refused.value.code == "not_on_hold"


def test_an_override_vouches_for_the_payment_with_its_reason():
    ports = _ports(_held())
    o = run_flow_action("ord_1", ActionRequest(Action.RELEASE_HOLD, "paid by wire", ANA, override=True), ports).order
    assert o.payment_check == PaymentCheck.VERIFIED
    assert _audited(o, "payment_override") == [
        ("payment_override", "payment_insufficient overridden: paid by wire", ANA)
    ]


def test_retry_routes_only_what_had_not_left_and_the_order_follows_what_had():
    o = order()
    o.release(AT)
    ship(o, "ord_1-S1", 1)
    o.fail("ShipmentFailed: dc-b went silent", AT, subject="ord_1-S2")
    ports = _ports(o)
    with pytest.raises(ActionRefused):
        run_flow_action("ord_1", ActionRequest(Action.RELEASE_HOLD, "x", ANA), ports)
    outcome = run_flow_action("ord_1", ActionRequest(Action.RETRY, "dc-b is back", ANA), ports)
    o = outcome.order
    assert o.status == OrderStatus.RECEIVED
    assert not o.open_exceptions
    assert [(line.line_id, line.quantity) for line in o.routing_request().lines] == [("L2", 1)]
    assert list(ports.workflow.started) == ["ord_1-retry-1"]
    o.apply_routing(RoutingDecision("allocated", (Allocation("dc-c", "L2", "SKU-2", 1),), (), (), 1, "t"), 100, AT)
    ports.orders.save(o)
    released = release_order("ord_1", orders=ports.orders, clock=ports.clock)  # the new execution's step
    new = [s for s in released if s.status == ShipmentStatus.REQUESTED]
    assert [(s.shipment_id, s.node_id) for s in new] == [("ord_1-S3", "dc-c")]
    after = ports.orders.get("ord_1")
    assert after.status == OrderStatus.PARTIALLY_SHIPPED  # L1 was delivered before the failure
    assert release_order("ord_1", orders=ports.orders, clock=ports.clock) == released  # a retried step


def test_reroute_takes_a_waiting_shipment_from_its_node_and_lets_the_running_flow_route_it():
    o = order()
    o.release(AT)
    o.shipment("ord_1-S2").request_token = "tok-2"
    ports = _ports(o)
    outcome = run_flow_action("ord_1", ActionRequest(Action.REROUTE, "dc-b silent", ANA, node_id="dc-c"), ports)
    s2 = outcome.order.shipment("ord_1-S2")
    assert s2.status == ShipmentStatus.REJECTED
    assert outcome.order.routing_node == "dc-c"
    assert ports.signals.calls == [("fail", "tok-2", ("ShipmentRejected", "re-routed by ops:ana: dc-b silent"))]
    assert [(node, r["type"]) for node, r in ports.requests.sent] == [("dc-b", "fulfilment_cancelled")]
    assert outcome.execution is None
    assert not ports.workflow.started
    assert _audited(outcome.order, "shipment_reroute")[0][2] == ANA
    with pytest.raises(ActionRefused) as refused:
        run_flow_action("ord_1", ActionRequest(Action.REROUTE, "again", ANA), ports)
    assert refused.value.code == "nothing_to_reroute"


def test_a_failed_order_rerouted_to_a_named_node_is_retried_there():
    o = order()
    o.release(AT)
    o.fail("CarrierUnavailable: down", AT, ExceptionType.CARRIER_REFUSED)
    ports = _ports(o)
    out = run_flow_action("ord_1", ActionRequest(Action.REROUTE, "use dc-c", ANA, node_id="dc-c"), ports).order
    assert (out.status, out.routing_node) == (OrderStatus.RECEIVED, "dc-c")
    assert _audited(out, "rerouted") == [("rerouted", "to dc-c: use dc-c", ANA)]
