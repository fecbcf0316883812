"""The 4x6 label is a real PDF whose barcode a scanner reads back as the tracking number; the pick list
and packing slip escape what customers typed."""

from __future__ import annotations

import pymupdf
import pytest
import zxingcpp
from PIL import Image

from shared.documents.label_pdf import render_label
from shared.documents.slips import shipment_slips_html
from shared.domain.shipping import Label, LabelRequest, Parcel, sandbox_tracking_number
from shared.domain.values import Address

SENDER = Address("Waybill DC East", "500 Dock Rd", "Newark", "NJ", "07114", "US", lat=40.71, lon=-74.0)
ADDRESS = Address("Zoë Łukasiewicz", "1 Main St", "Austin", "TX", "73301", "US", line2="Apt 4", lat=30.27, lon=-97.74)


def request(shipment_id: str = "shp_01J9Z8Y7X6", ship_to: Address = ADDRESS) -> LabelRequest:
    return LabelRequest(
        shipment_id=shipment_id,
        order_id="ord_01J9Z8Y7X6",
        order_ref="WEB-1001",
        node_id="dc-east",
        ship_from=SENDER,
        ship_to=ship_to,
        parcel=Parcel(1_250, 30, 20, 10),
        service_level="standard",
    )


def label_for(req: LabelRequest, service: str = "ground") -> Label:
    number = sandbox_tracking_number(req.shipment_id, service)
    return Label("sandbox", service, number, f"https://example.test/{number}", 1_234, "USD", "labels/x.pdf")


def scan(pdf: bytes, dpi: int = 203) -> tuple[pymupdf.Page, list[str]]:
    """Rasterizes the page as a thermal printer would (203 dpi) and decodes every Code 128 on it."""
    page = pymupdf.open(stream=pdf, filetype="pdf")[0]
    pix = page.get_pixmap(dpi=dpi)
    image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    found = zxingcpp.read_barcodes(image)
    return page, [barcode.text for barcode in found if barcode.format == zxingcpp.BarcodeFormat.Code128]


@pytest.mark.parametrize(
    ("shipment_id", "service"), [("shp_01J9Z8Y7X6", "ground"), ("shp_2", "2day"), ("shp_x", "overnight")]
)
def test_the_barcode_scans_as_the_tracking_number(shipment_id, service):
    req = request(shipment_id)
    label = label_for(req, service)
    pdf = render_label(req, label)
    assert pdf.startswith(b"%PDF-")
    _, decoded = scan(pdf)
    assert decoded == [label.tracking_number]


def test_the_barcode_scans_at_a_low_resolution_too():
    req = request()
    label = label_for(req)
    assert scan(render_label(req, label), dpi=150)[1] == [label.tracking_number]


def test_the_page_is_4_by_6_inches_and_carries_the_shipping_facts():
    req = request()
    label = label_for(req)
    page, _ = scan(render_label(req, label))
    assert (page.rect.width, page.rect.height) == (288, 432)
    text = page.get_text()
    for expected in ["Waybill DC East", "500 Dock Rd", "ZOË ?UKASIEWICZ", "1 MAIN ST", "APT 4", "AUSTIN TX 73301"]:
        assert expected in text
    for expected in ["SANDBOX GROUND", label.tracking_number, "WEB-1001", "shp_01J9Z8Y7X6", "1.25 kg"]:
        assert expected in text


def test_the_same_label_renders_the_same_bytes():
    req = request()
    assert render_label(req, label_for(req)) == render_label(req, label_for(req))


def test_long_lines_are_cut_to_the_label():
    long = Address("N" * 200, "L" * 200, "Austin", "TX", "73301", "US")
    req = request(ship_to=long)
    label = label_for(req)
    page, decoded = scan(render_label(req, label))
    assert decoded == [label.tracking_number]
    for block in page.get_text("blocks"):
        assert block[2] <= 288


def test_a_malformed_tracking_number_is_not_printed():
    req = request()
    bad = Label("sandbox", "ground", "1Z999AA10123456785", "u", 1, "USD", "k")
    with pytest.raises(ValueError, match="tracking number"):
        render_label(req, bad)


HOSTILE = '<script>alert("x")</script>'


def section(html: str, anchor: str) -> str:
    return html.split(f'<section id="{anchor}">', 1)[1].split("</section>", 1)[0]


def test_the_pick_list_escapes_every_value_and_lists_each_line():
    lines = [("L1", HOSTILE, 2, None), ("L2", "MUG", 1, "Mug <b>")]
    html = shipment_slips_html("WEB-<1>", "shp_1", "dc-east", "Ada", None, lines)
    assert "<script>" not in html
    picks = section(html, "pick-list")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in picks
    assert "WEB-&lt;1&gt;" in picks
    assert picks.count('class="box"') == 2
    assert '<td>MUG</td><td>Mug &lt;b&gt;</td><td class="qty">1</td>' in picks


def test_the_packing_slip_escapes_the_customer_and_the_address():
    to = Address(HOSTILE, "1 Main St & Co", "Austin", "TX", "73301", "US", line2="<b>")
    html = shipment_slips_html("WEB-1", "shp_1", "dc-east", HOSTILE, to, [("L1", "TSHIRT-M", 2, "Organic T-shirt, M")])
    assert "<script>" not in html
    assert "<b>" not in html
    slip = section(html, "packing-slip")
    assert "1 Main St &amp; Co" in slip
    assert slip.count("&lt;script&gt;") == 2  # the customer name and the address name
    assert '<td>Organic T-shirt, M</td><td>TSHIRT-M</td><td class="qty">2</td>' in slip
    assert "&lt;script&gt;" not in section(html, "pick-list")  # the warehouse's page names no customer


def test_a_pickup_packing_slip_names_no_address_and_items_fall_back_to_their_sku():
    html = shipment_slips_html("WEB-1", "shp_1", "store-1", "Ada", None, [("L1", "TSHIRT-M", 2, None)])
    slip = section(html, "packing-slip")
    assert "Collected in store" in slip
    assert "Ship to" not in slip
    assert '<td>TSHIRT-M</td><td>TSHIRT-M</td><td class="qty">2</td>' in slip


def test_the_pick_list_and_the_packing_slip_are_one_document_each_printed_on_its_own_page():
    html = shipment_slips_html("WEB-1", "shp_1", "dc-east", "Ada", None, [("L1", "TSHIRT-M", 2, None)])
    assert html.index('<section id="pick-list">') < html.index('<section id="packing-slip">')
    assert "section + section { break-before: page; }" in html
    assert "<h1>Pick list shp_1</h1>" in html
    assert "<h1>Packing slip WEB-1</h1>" in html
