import pytest

from shared.domain.errors import PaymentProviderUnavailable
from shared.domain.order import OrderStatus, PaymentCheck
from shared.domain.payment import PaymentIntent
from shared.domain.values import format_money
from shared.schemas.capture import CaptureOrder
from shared.usecases.capture_order import capture_order
from shared.usecases.check_payment import check_payment
from shared.usecases.record_exception import record_exception
from shared.usecases.reserve_order import reserve_order
from shared.usecases.send_confirmation import confirmation_data, confirmation_due, send_confirmation
from tests.unit.builders import GRAND_TOTAL, capture_body
from tests.unit.fakes import (
    FakeClaims,
    FakeMailer,
    FakePayments,
    FakeRequests,
    FakeWorkflow,
    FixedClock,
    Ids,
    InMemoryInventory,
    InMemoryNodes,
    InMemoryOrders,
    InMemoryPolicies,
)


@pytest.fixture
def world():
    orders, clock = InMemoryOrders(), FixedClock()
    result = capture_order(
        CaptureOrder.model_validate(capture_body()),
        "web",
        orders=orders,
        workflow=FakeWorkflow(),
        clock=clock,
        new_order_id=Ids(),
        state_machine="fulfilment",
    )
    payments = FakePayments()
    return orders, payments, clock, result.order.order_id


def paid(amount=GRAND_TOTAL, status="succeeded"):
    return PaymentIntent("pi_test_1", status, "USD", amount, 0, amount)


def test_verified_payment_keeps_order_received(world):
    orders, payments, clock, oid = world
    payments.intents["pi_test_1"] = paid()
    outcome = check_payment(oid, orders=orders, payments=payments, claims=FakeClaims(), clock=clock)
    assert outcome.outcome == "verified"
    order = orders.get(oid)
    assert (order.status, order.payment_check) == (OrderStatus.RECEIVED, PaymentCheck.VERIFIED)


def test_short_payment_puts_order_on_hold_with_reason(world):
    orders, payments, clock, oid = world
    payments.intents["pi_test_1"] = paid(GRAND_TOTAL - 1)
    outcome = check_payment(oid, orders=orders, payments=payments, claims=FakeClaims(), clock=clock)
    assert outcome.outcome == "on_hold"
    order = orders.get(oid)
    assert order.status == OrderStatus.ON_HOLD
    assert "order total" in order.hold_reason


def test_a_held_order_passes_the_next_steps_untouched_and_gets_nothing_to_fulfil(world):
    """The state machine has no Choice state after CheckPayment: a held order goes through
    SendConfirmation (nothing sent) and ReserveOrder (nothing reserved, no shipments to fulfil)."""
    orders, payments, clock, oid = world
    payments.intents["pi_test_1"] = paid(GRAND_TOTAL - 1)
    held = check_payment(oid, orders=orders, payments=payments, claims=FakeClaims(), clock=clock)
    assert not confirmation_due(held.outcome)
    inventory = InMemoryInventory()
    reserved = reserve_order(
        oid, orders=orders, inventory=inventory, nodes=InMemoryNodes(), policies=InMemoryPolicies(), clock=clock
    )
    assert (reserved.outcome, reserved.nodes) == ("skipped", ())
    assert orders.get(oid).status == OrderStatus.ON_HOLD
    assert confirmation_due("verified")
    assert not confirmation_due("skipped")  # cancelled before the check


def test_retried_check_answers_the_first_decision_without_asking_stripe(world):
    orders, payments, clock, oid = world
    payments.intents["pi_test_1"] = paid(1)
    first = check_payment(oid, orders=orders, payments=payments, claims=FakeClaims(), clock=clock)
    payments.intents["pi_test_1"] = paid()
    again = check_payment(oid, orders=orders, payments=payments, claims=FakeClaims(), clock=clock)
    assert again == first
    assert payments.calls == 1
    assert len(orders.get(oid).history) == 3


def test_one_payment_intent_backs_exactly_one_order(world):
    """Issue 11, case 1: a second order naming a PaymentIntent already claimed is held, never shipped."""
    orders, payments, clock, first = world
    payments.intents["pi_test_1"] = paid()
    claims = FakeClaims()
    claims.claim("pi_test_1", first)  # an earlier attempt of the first check claimed it, then crashed
    ids = Ids()
    ids.n = 50
    second = capture_order(
        CaptureOrder.model_validate(capture_body(external_id="WEB-2")),
        "pos",
        orders=orders,
        workflow=FakeWorkflow(),
        clock=clock,
        new_order_id=ids,
        state_machine="fulfilment",
    ).order.order_id
    assert check_payment(first, orders=orders, payments=payments, claims=claims, clock=clock).outcome == "verified"
    held = check_payment(second, orders=orders, payments=payments, claims=claims, clock=clock)
    assert held.outcome == "on_hold"
    order = orders.get(second)
    assert (order.status, order.hold_code) == (OrderStatus.ON_HOLD, "payment_already_used")
    assert first in order.hold_reason
    assert claims.owners == {"pi_test_1": first}


def test_stripe_outage_raises_and_leaves_order_untouched(world):
    orders, payments, clock, oid = world
    payments.down = True
    before = orders.get(oid)
    with pytest.raises(PaymentProviderUnavailable):
        check_payment(oid, orders=orders, payments=payments, claims=FakeClaims(), clock=clock)
    after = orders.get(oid)
    assert (after.status, after.payment_check, after.version) == (
        before.status,
        before.payment_check,
        before.version,
    )


def test_confirmation_is_sent_once_even_when_retried(world):
    orders, _, clock, oid = world
    mailer = FakeMailer()
    first = send_confirmation(oid, orders=orders, mailer=mailer, template="t", clock=clock)
    again = send_confirmation(oid, orders=orders, mailer=mailer, template="t", clock=clock)
    assert first == again == "msg-1"
    assert len(mailer.sent) == 1
    _template, to, data = mailer.sent[0]
    assert to == "ada@example.com"
    assert data["grand_total"] == "56.00 USD"
    assert orders.get(oid).confirmation_sent


def test_confirmation_data_is_all_strings(world):
    orders, *_, oid = world
    data = confirmation_data(orders.get(oid))
    assert all(isinstance(v, str) for line in data["items"] for v in line.values())


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(1999, "USD", "19.99 USD"), (500, "JPY", "500 JPY"), (1234, "KWD", "1.234 KWD")],
)
def test_money_formatting_follows_minor_units(amount, currency, text):
    assert format_money(amount, currency) == text


def test_record_exception_is_idempotent(world):
    orders, _, clock, oid = world
    requests, inventory = FakeRequests(), InMemoryInventory()
    for _ in range(2):
        done = record_exception(
            oid, "States.Timeout: x", orders=orders, inventory=inventory, requests=requests, clock=clock
        )
        assert done.status == "EXCEPTION"
    order = orders.get(oid)
    assert order.exception_cause == "States.Timeout: x"
    assert [h.event for h in order.history].count("exception") == 1
    [typed] = order.exceptions
    assert (typed.type, typed.open, typed.actions[0]) == ("fulfilment_failed", True, "cancel")
