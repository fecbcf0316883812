"""Label rendering: the import cost (cold start) and ms per 4x6 label, and the PDF's size. Prints figures
only; nothing here asserts timings.

Run: .venv/bin/python -m benchmarks.label_bench [labels]   (--quick: 20)
"""

from __future__ import annotations

import statistics
import sys
import time

from shared.domain.shipping import Label, LabelRequest, Parcel, sandbox_tracking_number
from shared.domain.values import Address


def main(count: int) -> None:
    started = time.perf_counter()
    # Imported here to time what a cold Lambda pays for fpdf2, Pillow, fontTools and python-barcode.
    from shared.documents.label_pdf import render_label

    print(f"import shared.documents.label_pdf: {(time.perf_counter() - started) * 1000:.0f} ms")

    sender = Address("Waybill DC East", "500 Dock Rd", "Newark", "NJ", "07114", "US", "Dock 3", 40.7, -74.0)
    address = Address("Ada Lovelace", "1 Main St", "Austin", "TX", "73301", "US", "Apt 4", 30.27, -97.74)
    timings, sizes = [], []
    for index in range(count):
        request = LabelRequest(
            f"shp_{index}", f"ord_{index}", f"WEB-{index}", "dc-east", sender, address,
            Parcel(1_250, 30, 20, 10), "standard",
        )  # fmt: skip
        number = sandbox_tracking_number(request.shipment_id, "ground")
        label = Label("sandbox", "ground", number, "https://example.test", 1_234, "USD", f"labels/shp_{index}.pdf")
        started = time.perf_counter()
        sizes.append(len(render_label(request, label)))
        timings.append((time.perf_counter() - started) * 1000)
    print(f"first label: {timings[0]:.1f} ms")
    print(
        f"{count} labels: median {statistics.median(timings):.2f} ms, "
        f"p95 {statistics.quantiles(timings, n=20)[-1]:.2f} ms; PDF {min(sizes)}-{max(sizes)} bytes"
    )


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    main(numbers[0] if numbers else (20 if "--quick" in sys.argv else 300))
