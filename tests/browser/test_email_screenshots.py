"""Every customer email's HTML, rendered as the local outbox renders it, opened in headless Chromium:
a screenshot is produced and the text a customer must read is on the page (and the hostile customer
name is text, not an element). Screenshots land in .waybill/screenshots/emails/ to look at."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devstack.outbox import render_message
from shared.email.templates import load
from tests.unit.email_samples import HOSTILE, SHOP, samples

SHOTS = Path(__file__).resolve().parents[2] / ".waybill" / "screenshots" / "emails"
SAMPLES = samples()
# What each email must say (beyond the shop's name and the customer's), as the customer reads it.
EXPECTED = {
    "order_confirmation": ["Thank you for your order", "Organic T-shirt, medium", "Shipping", "56.00 USD"],
    "order_shipped": ["Your order is on its way", "Waybill Sandbox Post (Ground)", "1Z999AA10123456784"],
    "order_ready_for_pickup": ["Ready for pickup", "Waybill Soho", "120 Prince St, New York NY 10012, US"],
    "order_delivered": ["Delivered", "Organic T-shirt, medium", "Reply to this email"],
    "refund_issued": ["We have refunded 12.00 USD", "order cancelled"],
    "order_cancelled": ["Your order is cancelled", "MUG", "being refunded"],
    "return_opened": ["Your return label", "Download your return label (PDF)", "7 days"],
    "delivery_exception": ["A delivery problem", "Nobody at home <b>twice</b>", "Track your parcel"],
}


def test_every_template_is_checked():
    assert set(EXPECTED) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_email_renders_in_chromium_with_its_text(browser, name):
    mime = render_message(
        load(name),
        SAMPLES[name],
        sender=f"{SHOP} <orders@example.com>",
        to="ada@example.com",
        message_id="<m@waybill.local>",
        at=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
    )
    html = mime.get_body(("html",))
    assert html is not None
    page = browser.new_page(viewport={"width": 640, "height": 800})
    try:
        page.set_content(html.get_content(), wait_until="domcontentloaded")
        text = page.inner_text("body")
        for expected in [SHOP, f"Hello {HOSTILE}", *EXPECTED[name]]:
            assert expected in text, expected
        # the hostile name stayed text: no element came of it
        assert page.locator('img[src="x"]').count() == 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / f"{name}.png"
        png = page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 640
    assert height > 200
    assert shot.read_bytes() == png
    print(f"screenshot: {shot} ({width}x{height})")
