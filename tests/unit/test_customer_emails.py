"""Customer emails a customer would trust: names not SKUs, totals that add up, the shop's name, the
store's address, no internal ids, RFC 5322 headers, escaped HTML, and a message for cancellation,
an opened return and a delivery problem, each sent once. Rendered as the local outbox renders them."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email import policy
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from devstack.outbox import render_message
from shared.bootstrap import Wiring, declared_environment
from shared.email.templates import load
from shared.topology import EMAIL_TEMPLATES, function
from shared.usecases.notify import send_cancellation_email, send_return_email, send_shipment_email
from tests.unit.email_samples import HOSTILE, SHOP, samples
from tests.unit.fakes import FakeDocuments, FakeMailer, FixedClock, InMemoryOrders

SAMPLES = samples()
NAMES = sorted(SAMPLES)
AT = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def rendered(name: str) -> email.message.EmailMessage:
    mime = render_message(
        load(name),
        SAMPLES[name],
        sender='"Lovelace & Co" <orders@example.com>',
        to="ada@example.com",
        message_id="<m1@waybill.local>",
        at=AT,
    )
    parsed = email.message_from_bytes(bytes(mime), policy=policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def parts_of(name: str) -> tuple[str, str, str]:
    mime = rendered(name)
    html, text = mime.get_body(("html",)), mime.get_body(("plain",))
    assert html is not None
    assert text is not None
    return str(mime["Subject"]), html.get_content(), text.get_content()


def test_every_template_has_a_sample():
    assert set(NAMES) == {t.name for t in EMAIL_TEMPLATES}
    assert {"order_cancelled", "return_opened", "delivery_exception"} <= set(NAMES)


@pytest.mark.parametrize("name", ["order_confirmation", "order_shipped", "order_delivered", "return_opened"])
def test_items_carry_the_product_name_and_image(name):
    _, html, text = parts_of(name)
    assert "Organic T-shirt, medium" in html
    assert "Organic T-shirt, medium (TSHIRT-M)" in text
    assert '<img src="https://img.example/tshirt.png"' in html


def test_the_confirmation_total_adds_up_from_the_lines_shown():
    _, html, text = parts_of("order_confirmation")
    for shown in ("Subtotal: 50.00 USD", "Shipping: 5.00 USD", "Tax: 1.00 USD", "Total: 56.00 USD"):
        assert shown in text
    assert "38.00 USD" in html
    assert "12.00 USD" in html


@pytest.mark.parametrize("name", NAMES)
def test_every_email_names_the_shop_and_leaks_no_internal_ids(name):
    subject, html, text = parts_of(name)
    assert SHOP in subject
    assert SHOP in text
    assert "Lovelace &amp; Co &lt;Books&gt;" in html
    for internal in ("ord_0001", "ord_0002", "-S1", "dc-east", "store-soho", "sandbox"):
        assert internal not in text + html + subject, internal


@pytest.mark.parametrize("name", NAMES)
def test_no_email_points_at_an_account_page_that_does_not_exist(name):
    _, html, text = parts_of(name)
    assert "your account" not in html + text


def test_the_pickup_email_gives_the_store_name_and_address():
    _, html, text = parts_of("order_ready_for_pickup")
    assert "Waybill Soho" in text
    assert "120 Prince St, New York NY 10012, US" in text
    assert "120 Prince St" in html


def test_the_shipped_email_names_the_carrier_and_service_as_customers_read_them():
    _, _, text = parts_of("order_shipped")
    assert "with Waybill Sandbox Post (Ground)" in text
    assert "https://track.example/1Z999AA10123456784" in text


@pytest.mark.parametrize("name", NAMES)
def test_headers_follow_rfc_5322(name):
    mime = rendered(name)
    assert parsedate_to_datetime(str(mime["Date"])) == AT
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}", str(mime["Date"]))
    assert mime["From"].addresses[0].display_name == "Lovelace & Co"
    assert mime["Message-ID"] == "<m1@waybill.local>"


@pytest.mark.parametrize("name", NAMES)
def test_html_escapes_what_customers_typed(name):
    _, html, text = parts_of(name)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert HOSTILE in text  # the plain part shows it as typed


def _sender(env: dict[str, str]) -> str:
    """The From a mailing function's composition root builds from this environment."""
    given = dict.fromkeys(declared_environment(function("send_confirmation")), "x")
    return Wiring("send_confirmation", {**given, **env}).sender


def test_the_from_address_carries_the_display_name():
    env = {"EMAIL_FROM": "orders@shop.example", "EMAIL_FROM_NAME": "Lovelace & Co", "TABLE_IDEMPOTENCY": "i"}
    assert _sender(env) == "Lovelace & Co <orders@shop.example>"
    quoted = _sender({**env, "EMAIL_FROM_NAME": "Lovelace, Co"})
    assert quoted == '"Lovelace, Co" <orders@shop.example>'
    assert _sender({**env, "EMAIL_FROM_NAME": ""}) == "orders@shop.example"


def test_the_return_email_links_the_label_for_a_week():
    _, html, text = parts_of("return_opened")
    assert "https://documents.test/l.pdf?expires=604800" in text
    assert 'href="https://documents.test/l.pdf?expires=604800"' in html
    assert "7 days" in text


def test_the_delivery_exception_email_says_what_happened():
    _, html, text = parts_of("delivery_exception")
    assert "Nobody at home <b>twice</b>" in text
    assert "Nobody at home &lt;b&gt;twice&lt;/b&gt;" in html


def test_each_new_message_is_sent_once_however_often_asked():
    from tests.unit.email_samples import _order

    orders, mailer, clock, docs = InMemoryOrders(), FakeMailer(), FixedClock(), FakeDocuments()
    order = _order("ord_0009", "ship")
    from shared.domain.order import Cancellation, Return, ReturnLine
    from tests.unit.email_samples import AT as PLACED
    from tests.unit.email_samples import LABEL

    order.cancellation = Cancellation(PLACED, "r", "ops:x", (("L2", 1),), (), whole=False)
    order.returns.append(Return("ord_0009-R1", "dc-east", "r", (ReturnLine("L1", "TSHIRT-M", 1),), PLACED, label=LABEL))
    orders.add(order, "h")
    for _ in range(2):
        send_cancellation_email(order.order_id, orders=orders, mailer=mailer, template="c", clock=clock)
        send_return_email(
            order.order_id, "ord_0009-R1", orders=orders, mailer=mailer, documents=docs, template="r", clock=clock
        )
        send_shipment_email(
            order.order_id, "ord_0009-S1", "delivery_exception", orders=orders, mailer=mailer, template="d", clock=clock
        )
    assert [template for template, _, _ in mailer.sent] == ["c", "r", "d"]
    events = [h.event for h in orders.orders[order.order_id].history]
    assert {"email_cancelled", "email_return_opened", "email_delivery_exception"} <= set(events)


def test_the_templates_on_disk_are_the_ones_rendered():
    folder = Path(__file__).resolve().parents[2] / "shared" / "email" / "templates"
    assert {p.name.split(".")[0] for p in folder.iterdir()} == set(NAMES)
