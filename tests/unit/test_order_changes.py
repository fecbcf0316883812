"""The simulators' wait on the orders stream: a change seen after the version was taken ends the wait,
and the change's own image shows the order without a read through the API."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from devstack.order_changes import OrderChanges
from devstack.simulators import CarrierSimulator, SimulatorSettings, _Simulator
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.order_codec import to_document
from shared.domain.order import Order
from shared.schemas.order_view import OrderView
from tests.analytics_workload import seeded


def _record(pk: str) -> dict[str, object]:
    return {"dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "ORDER"}}}}


def test_a_change_after_the_version_was_taken_ends_the_wait() -> None:
    changes = OrderChanges()
    seen = changes.version("o-1")
    threading.Timer(0.05, changes.saw, args=([_record("ORDER#o-1")],)).start()
    began = time.monotonic()
    assert changes.wait_past("o-1", seen, fallback_s=30)
    assert time.monotonic() - began < 15  # woken by the change, not by the fallback
    assert changes.version("o-1") == seen + 1


def test_a_change_of_another_order_or_item_does_not_end_it() -> None:
    changes = OrderChanges()
    seen = changes.version("o-1")
    changes.saw([_record("ORDER#o-2"), _record("CAPTURE#web#o-1")])
    assert not changes.wait_past("o-1", seen, fallback_s=0.05)


def test_a_change_seen_before_the_wait_began_is_not_missed() -> None:
    changes = OrderChanges()
    seen = changes.version("o-1")
    changes.saw([_record("ORDER#o-1")])  # between the read of the order and the wait
    assert changes.wait_past("o-1", seen, fallback_s=0)


def _stored(order: Order) -> dict[str, Any]:
    """The order's item as the orders adapter writes it (the stream's new image)."""
    doc = json.dumps(to_document(order))
    return {"pk": {"S": f"ORDER#{order.order_id}"}, "sk": {"S": "ORDER"}, **DynamoDBOrders._attributes(order, doc)}


def _changed(order: Order) -> dict[str, Any]:
    item = _stored(order)
    return {"eventName": "MODIFY", "dynamodb": {"Keys": {"pk": item["pk"], "sk": item["sk"]}, "NewImage": item}}


def test_the_latest_image_is_shown_as_the_api_shows_the_order() -> None:
    w = seeded()
    first, later = _two_versions(w, "O2")
    changes = OrderChanges()
    assert changes.latest("O2") is None  # never seen: the simulators read it through the API
    changes.saw([_changed(first), _changed(later)])
    assert changes.latest("O2") == json.loads(OrderView.of(later).model_dump_json())
    # an index entry of the order is a change, but not the order's image
    index_entry = {"dynamodb": {"Keys": {"pk": {"S": "ORDER#O2"}, "sk": {"S": "SKU#A"}}}}
    changes.saw([index_entry])
    assert changes.version("O2") == 2
    assert changes.latest("O2") == json.loads(OrderView.of(later).model_dump_json())
    changes.saw([{"eventName": "REMOVE", "dynamodb": {"Keys": {"pk": {"S": "ORDER#O2"}, "sk": {"S": "ORDER"}}}}])
    assert changes.latest("O2") is None


KEYS = {"carrier": "c", "ops": "o", "admin": "a"}


def _two_versions(w: Any, order_id: str) -> tuple[Order, Order]:
    mine = [n for _, n in w.changes if n.order_id == order_id]
    assert len({n.status for n in mine}) > 1
    return mine[0], mine[-1]


class _Reader:
    def __init__(self) -> None:
        self.reads: list[str] = []

    def get(self, path: str) -> dict[str, Any] | None:
        self.reads.append(path)
        return {"status": "RECEIVED"}


def test_a_simulator_waits_on_the_stream_without_reading_the_order_through_the_api() -> None:
    w = seeded()
    first, later = _two_versions(w, "O2")
    simulator = _Simulator("test", SimulatorSettings())
    simulator.changes = OrderChanges()
    simulator.changes.saw([_changed(first)])
    simulator._reader = reader = _Reader()  # type: ignore[assignment]
    threading.Timer(0.05, simulator.changes.saw, args=([_changed(later)],)).start()
    order = simulator._order_when("O2", lambda o: o.get("status") == later.status.value, patience_s=30)
    assert order["status"] == later.status.value
    assert reader.reads == []  # both looks came from the stream's images


class _Showing:
    """The orders stream showing the order's images one change at a time, each a little late."""

    def __init__(self, *views: dict[str, Any]) -> None:
        self._views, self._seen = list(views), 0

    def version(self, order_id: str) -> int:
        return self._seen

    def latest(self, order_id: str) -> dict[str, Any] | None:
        return self._views[min(self._seen, len(self._views) - 1)]

    def wait_past(self, order_id: str, version: int, fallback_s: float) -> bool:
        self._seen += 1
        return True


def _with_shipment(status: str) -> dict[str, Any]:
    return {"order_id": "O9", "shipments": [{"shipment_id": "O9-S1", "status": status}], "ship_to": {}}


def test_the_carrier_scans_a_parcel_only_once_the_stream_shows_it_handed_over() -> None:
    # its label is stored before the shipment is LABELLED and SHIPPED: a late image may still say PICKED
    carrier = CarrierSimulator("http://127.0.0.1:9", "us-east-1", "b", "http://127.0.0.1:9", KEYS, SimulatorSettings())
    carrier.changes = _Showing(_with_shipment("PICKED"), _with_shipment("LABELLED"), _with_shipment("SHIPPED"))  # type: ignore[assignment]
    carrier._reader = reader = _Reader()  # type: ignore[assignment]
    order = carrier._handed_over("O9-S1", patience_s=30)
    assert order["shipments"][0]["status"] == "SHIPPED"
    assert reader.reads == []
