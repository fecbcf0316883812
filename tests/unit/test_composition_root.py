"""The composition root (shared/bootstrap.py): each function is wired from its topology entry alone."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from shared import topology as t
from shared.bootstrap import MissingEnvironment, NotGranted, Wiring, declared_environment, function_environment

ROOT = Path(__file__).resolve().parents[2]


def own_environment(fn: t.Function) -> dict[str, str]:
    """What a stack gives the function: its declared names (values are placeholders) and nothing else."""
    env = {name: f"{name.lower()}-value" for name in declared_environment(fn)}
    env.update(fn.environment)
    for name, value in env.items():
        if name.startswith("QUEUE_"):
            env[name] = f"https://sqs.us-east-1.amazonaws.com/123456789012/{value}"
        if name.startswith("STATE_MACHINE_"):
            env[name] = f"arn:aws:states:us-east-1:123456789012:stateMachine:{value}"
    return env


def load_handler(fn: t.Function, env: dict[str, str]) -> ModuleType:
    module_path = fn.handler.rpartition(".")[0]
    spec = importlib.util.spec_from_file_location(
        f"{module_path}__test", ROOT / (module_path.replace(".", "/") + ".py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with function_environment(env):
        spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("fn", t.FUNCTIONS, ids=lambda fn: fn.name)
def test_every_handler_imports_with_only_its_own_environment(fn: t.Function) -> None:
    # a handler that asks for anything its topology entry does not grant fails right here
    module = load_handler(fn, own_environment(fn))
    assert callable(module.handler)


def test_return_label_is_not_given_the_carrier_failure_rate() -> None:
    # Found: return_label read CARRIER_SANDBOX_FAILURE_RATE, which only buy_label is given; locally
    # every function saw every function's environment, so this only showed in AWS.
    fn = t.function("return_label")
    wiring = Wiring("return_label", own_environment(fn))
    with pytest.raises(NotGranted, match="CARRIER_SANDBOX_FAILURE_RATE"):
        wiring.setting("CARRIER_SANDBOX_FAILURE_RATE")
    buy = Wiring("buy_label", own_environment(t.function("buy_label")))
    assert buy.setting("CARRIER_SANDBOX_FAILURE_RATE", float) == 0.0


@pytest.mark.parametrize(
    ("name", "ask"),
    [
        ("pay_refund", lambda w: w.orders()),
        ("stripe_webhook", lambda w: w.payments()),
        ("reserve_order", lambda w: w.workflow(t.PREPARATION)),
        ("orders_api", lambda w: w.restock()),
        ("inventory_api", lambda w: w.documents()),
        ("reconcile", lambda w: w.mailer()),
        ("buy_label", lambda w: w.signals()),
        ("hand_over", lambda w: w.signals(t.RETURNS)),
        ("send_confirmation", lambda w: w.template(t.SHIPPED)),
        ("reserve_order", lambda w: w.once_per("key")),
    ],
)
def test_asking_for_what_was_not_granted_fails(name: str, ask: object) -> None:
    wiring = Wiring(name, own_environment(t.function(name)))
    with pytest.raises(NotGranted, match=name):
        ask(wiring)  # type: ignore[operator]


def test_a_missing_name_fails_when_the_function_loads() -> None:
    fn = t.function("check_payment")
    env = own_environment(fn)
    del env[t.STRIPE.env]
    with pytest.raises(MissingEnvironment, match=t.STRIPE.env):
        Wiring("check_payment", env)
    with pytest.raises(MissingEnvironment):
        load_handler(fn, env)


def test_adapters_are_built_once_per_wiring() -> None:
    fn = t.function("orders_api")
    wiring = Wiring("orders_api", own_environment(fn))
    assert wiring.orders() is wiring.orders()
    assert wiring.workflow(t.PREPARATION) is wiring.workflow(t.PREPARATION)
    assert wiring.workflow(t.PREPARATION) is not wiring.workflow(t.REFUNDS)
    # a second execution environment builds its own
    assert Wiring("orders_api", own_environment(fn)).orders() is not wiring.orders()


def test_settings_are_validated() -> None:
    fn = t.function("reserve_order")
    env = {**own_environment(fn), "FULFILMENT_HEARTBEAT_S": "0"}
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        load_handler(fn, env)


def test_only_a_function_marked_draws_labels_gets_the_carrier() -> None:
    # In AWS the PDF stack (fpdf2, Pillow, fontTools) is a layer only draws_labels functions get:
    # a carrier anywhere else would fail on its first label with ModuleNotFoundError.
    wiring = Wiring("reserve_order", own_environment(t.function("reserve_order")))
    with pytest.raises(NotGranted, match="draws_labels"):
        wiring.carrier()
    for name in ("buy_label", "return_label"):
        assert Wiring(name, own_environment(t.function(name))).carrier() is not None


def test_a_stock_adapter_built_on_first_use_is_still_refused_at_init_and_is_the_one_adapter() -> None:
    # the grant is checked when the handler asks, not when a request first touches stock
    with pytest.raises(NotGranted, match="check_payment"):
        Wiring("check_payment", own_environment(t.function("check_payment"))).inventory(on_first_use=True)
    wiring = Wiring("orders_api", own_environment(t.function("orders_api")))
    lazy = wiring.inventory(on_first_use=True)
    assert "inventory" not in wiring._built  # nothing built until a call goes through it
    assert lazy.release.__self__ is wiring.inventory()  # type: ignore[attr-defined]  # then the wiring's one adapter
