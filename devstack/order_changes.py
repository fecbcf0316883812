"""Which orders changed, and how each looks now, from the orders table's stream, for the simulators
to wait on (local only).

A simulated warehouse or carrier sends its next event once the last one was applied. Reading the
order on a timer until it was cost most of a busy stack's CPU (a thousand parcels in flight were
thousands of reads a second); waiting for the order's next stream record reads it once per change.
That read is the record's own new image, shown as the API shows the order (without its refunds):
reading it through the API was most of the API's requests (about 12 an order, each with the
authorizer, the handler and two DynamoDB reads). A wait still ends after `fallback_s`, so a
missed record only slows a step down.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from shared.adapters.dynamodb_orders import is_order_item, order_from_item
from shared.schemas.order_view import OrderView

ORDER_KEY_PREFIX = "ORDER#"
log = logging.getLogger("devstack.order_changes")
KEPT = 2_000  # the latest images kept (the most recently changed orders): the rest are read via the API


class OrderChanges:
    def __init__(self) -> None:
        self._versions: dict[str, int] = {}
        # order id -> its latest new image, and the API's view of it once someone asked
        self._images: OrderedDict[str, tuple[dict[str, Any], dict[str, Any] | None]] = OrderedDict()
        self._changed = threading.Condition()

    def version(self, order_id: str) -> int:
        """How many changes of the order were seen: take it before reading the order."""
        with self._changed:
            return self._versions.get(order_id, 0)

    def latest(self, order_id: str) -> dict[str, Any] | None:
        """The order as the API would show it after the last change seen (None: not kept)."""
        with self._changed:
            kept = self._images.get(order_id)
        if kept is None:
            return None
        image, view = kept
        if view is None:
            # decoded outside the lock, once per image (a concurrent reader may decode it too)
            try:
                view = json.loads(OrderView.of(order_from_item(image)).model_dump_json())
            except Exception:  # an item this view cannot show: the simulator reads the API instead
                log.exception("could not show order %s from its stream image", order_id)
                return None
            with self._changed:
                if self._images.get(order_id, (None,))[0] is image:
                    self._images[order_id] = (image, view)
        return view

    def wait_past(self, order_id: str, version: int, fallback_s: float) -> bool:
        """Blocks until the order changed after `version` was taken (True) or `fallback_s` passed."""
        with self._changed:
            return self._changed.wait_for(lambda: self._versions.get(order_id, 0) > version, timeout=fallback_s)

    def saw(self, records: Iterable[dict[str, Any]]) -> None:
        """Stream records (as boto3 returns them) of the orders table, in the stream's order."""
        changed: set[str] = set()
        images: dict[str, dict[str, Any] | None] = {}  # the order item's new image (None: removed)
        for record in records:
            item = record.get("dynamodb", {})
            keys = item.get("Keys", {})
            pk = keys.get("pk", {}).get("S", "")
            if not pk.startswith(ORDER_KEY_PREFIX):
                continue
            order_id = pk.removeprefix(ORDER_KEY_PREFIX)
            changed.add(order_id)
            if is_order_item(keys):  # not one of the order's index entries
                images[order_id] = item.get("NewImage")
        if not changed:
            return
        with self._changed:
            for order_id in changed:
                self._versions[order_id] = self._versions.get(order_id, 0) + 1
            for order_id, image in images.items():
                self._images.pop(order_id, None)
                if image is not None:
                    self._images[order_id] = (image, None)
            while len(self._images) > KEPT:
                self._images.popitem(last=False)
            self._changed.notify_all()
