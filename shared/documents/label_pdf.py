"""The 4x6 inch shipping label as PDF (fpdf2): sender and recipient with their street addresses,
service, weight, references, and the tracking number as text and as a Code 128 barcode (bars from
python-barcode, drawn as PDF rectangles, so they stay sharp at any printer resolution)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from barcode import Code128
from fpdf import FPDF

from shared.domain.shipping import Label, LabelRequest
from shared.domain.tracking import format_ups_tracking, is_valid_ups_tracking
from shared.domain.values import Address

WIDTH_PT, HEIGHT_PT = 288.0, 432.0  # 4 x 6 inches
MARGIN = 12.0
QUIET_MODULES = 10  # blank space either side of a Code 128 symbol, in module widths
# A fixed date keeps the same label byte for byte when it is rendered again.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


_PUNCTUATION = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def _printable(text: str) -> str:
    """The PDF core fonts cover Latin-1 only: keep what it has, drop accents it lacks, '?' for the rest."""
    return "".join(_latin1(char) for char in unicodedata.normalize("NFC", text).translate(_PUNCTUATION))


def _latin1(char: str) -> str:
    if ord(char) < 256:
        return char
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base and all(ord(c) < 256 for c in base) else "?"


class _Label(FPDF):
    def line_of_text(self, text: str, size: float, *, bold: bool = False, height: float | None = None) -> None:
        """One line at the left margin; cut with an ellipsis when it would run off the label."""
        self.set_font("Helvetica", "B" if bold else "", size)
        text = _printable(text)
        room = WIDTH_PT - 2 * MARGIN
        if self.get_string_width(text) > room:
            while text and self.get_string_width(text + "...") > room:
                text = text[:-1]
            text += "..."
        self.set_x(MARGIN)
        self.cell(room, height or size * 1.25, text, new_x="LMARGIN", new_y="NEXT")

    def rule(self, weight: float = 1.0) -> None:
        self.set_line_width(weight)
        self.line(0, self.get_y(), WIDTH_PT, self.get_y())
        self.set_y(self.get_y() + 4)

    def code128(self, data: str, top: float, height: float) -> None:
        modules = Code128(data).build()[0]  # "1101..." one character per module, 1 = bar
        width = (WIDTH_PT - 2 * MARGIN) / (len(modules) + 2 * QUIET_MODULES)
        left = (WIDTH_PT - width * len(modules)) / 2
        run_start = None
        for index, module in enumerate(modules + "0"):
            if module == "1" and run_start is None:
                run_start = index
            elif module == "0" and run_start is not None:
                self.rect(left + run_start * width, top, (index - run_start) * width, height, style="F")
                run_start = None


def _town(address: Address) -> str:
    return " ".join(part for part in (address.city, address.region, address.postal_code) if part)


def render_label(request: LabelRequest, label: Label) -> bytes:
    """The label as a one-page 288 x 432 pt PDF."""
    if not is_valid_ups_tracking(label.tracking_number):
        raise ValueError(f"not a valid tracking number: {label.tracking_number!r}")
    to, parcel = request.ship_to, request.parcel
    pdf = _Label(unit="pt", format=(WIDTH_PT, HEIGHT_PT))
    pdf.set_creation_date(_EPOCH)
    pdf.set_title(f"Label {label.tracking_number}")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_page()

    sender = request.ship_from
    pdf.line_of_text("FROM", 7, bold=True)
    pdf.line_of_text(sender.name, 9, bold=True)
    for sender_line in (sender.line1, sender.line2, _town(sender), sender.country):
        if sender_line:
            pdf.line_of_text(sender_line, 8)
    pdf.line_of_text(
        f"Weight {parcel.weight_grams / 1000:.2f} kg   Billed {parcel.billable_kg} kg   "
        f"{parcel.length_cm} x {parcel.width_cm} x {parcel.height_cm} cm",
        7,
    )
    pdf.set_y(pdf.get_y() + 2)
    pdf.rule()

    pdf.line_of_text("SHIP TO", 7, bold=True)
    pdf.line_of_text(to.name.upper(), 13, bold=True)
    for address_line in (to.line1, to.line2):
        if address_line:
            pdf.line_of_text(address_line.upper(), 12)
    pdf.line_of_text(_town(to).upper(), 13, bold=True)
    pdf.line_of_text(to.country.upper(), 12, bold=True)
    pdf.set_y(max(pdf.get_y() + 4, 170.0))
    pdf.rule(2.0)

    pdf.line_of_text(f"{label.carrier} {label.service}".upper(), 20, bold=True, height=26)
    pdf.line_of_text(f"TRACKING #: {format_ups_tracking(label.tracking_number)}", 11, bold=True)
    pdf.set_y(pdf.get_y() + 2)
    pdf.rule(2.0)

    bars_top = pdf.get_y() + 6
    pdf.code128(label.tracking_number, bars_top, 90.0)
    pdf.set_y(bars_top + 94)
    pdf.set_font("Courier", "B", 10)
    pdf.cell(WIDTH_PT - 2 * MARGIN, 12, label.tracking_number, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(pdf.get_y() + 6)
    pdf.rule(2.0)

    pdf.line_of_text(f"Order {request.order_ref}", 9, bold=True)
    pdf.line_of_text(f"Shipment {request.shipment_id}", 8)
    pdf.line_of_text(f"Order id {request.order_id}   Node {request.node_id}", 8)
    pdf.line_of_text(f"Postage {label.amount / 100:.2f} {label.currency}   Service level {request.service_level}", 8)
    return bytes(pdf.output())
