import pytest
from pydantic import ValidationError

from shared.schemas.capture import MAX_LINES, CaptureOrder, IntakeMessage
from tests.unit.builders import capture_body


def errors_for(**overrides):
    with pytest.raises(ValidationError) as info:
        CaptureOrder.model_validate(capture_body(**overrides))
    return {".".join(map(str, e["loc"])) for e in info.value.errors()}


def test_valid_body_passes():
    assert CaptureOrder.model_validate(capture_body()).lines[0].quantity == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "usd"}, "currency"),
        ({"currency": "XXY"}, "currency"),
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "A", "quantity": 0, "unit_amount": 1}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "A", "quantity": 1, "unit_amount": -1}]}, "lines.0.unit_amount"),
        ({"lines": [{"sku": "A", "quantity": "2", "unit_amount": 1}]}, "lines.0.quantity"),
        ({"lines": [{"sku": "A", "quantity": 1, "unit_amount": 1}] * (MAX_LINES + 1)}, "lines"),
        ({"customer": {"email": "not-an-email", "name": "A"}}, "customer.email"),
        ({"shipping_amount": -1}, "shipping_amount"),
        ({"payment": {"stripe_payment_intent": "ch_123"}}, "payment.stripe_payment_intent"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_fields_are_named(overrides, field):
    assert field in errors_for(**overrides)


def test_country_must_be_iso():
    body = capture_body()
    body["ship_to"]["country"] = "XX"
    with pytest.raises(ValidationError, match="ISO 3166"):
        CaptureOrder.model_validate(body)


def test_pickup_needs_a_node_and_ship_forbids_one():
    with pytest.raises(ValidationError, match="pickup_node"):
        CaptureOrder.model_validate(capture_body(delivery={"method": "pickup"}))
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        CaptureOrder.model_validate(capture_body(delivery={"method": "ship", "pickup_node": "s1"}))


def test_intake_message_carries_channel_and_yields_the_capture_body():
    message = IntakeMessage.model_validate({**capture_body(), "channel": "b2b"})
    assert message.capture() == CaptureOrder.model_validate(capture_body())


def test_ship_to_is_required_to_ship_and_optional_for_pickup():
    body = capture_body()
    del body["ship_to"]
    assert "ship_to" in errors_for(ship_to=None)
    with pytest.raises(ValidationError, match="ship_to"):
        CaptureOrder.model_validate(body)  # delivery defaults to ship
    without_delivery = {k: v for k, v in body.items() if k != "delivery"}
    with pytest.raises(ValidationError, match="ship_to"):
        CaptureOrder.model_validate(without_delivery)
    pickup = CaptureOrder.model_validate({**body, "delivery": {"method": "pickup", "pickup_node": "store-1"}})
    assert pickup.ship_to is None


def test_lines_may_name_the_product_and_show_an_https_image():
    named = {
        "sku": "MUG",
        "quantity": 1,
        "unit_amount": 1200,
        "name": "Enamel mug",
        "image_url": "https://x.example/m.png",
    }
    line = CaptureOrder.model_validate(capture_body(lines=[named])).lines[0]
    assert (line.name, line.image_url) == ("Enamel mug", "https://x.example/m.png")
    assert "lines.0.image_url" in errors_for(lines=[{**named, "image_url": "javascript:alert(1)"}])
    assert "lines.0.name" in errors_for(lines=[{**named, "name": " "}])
