"""Which orders changed, from the orders table's stream, for the simulators to wait on (local only).

A simulated warehouse or carrier sends its next event once the last one was applied. Reading the
order on a timer until it was cost most of a busy stack's CPU (a thousand parcels in flight were
thousands of reads a second); waiting for the order's next stream record reads it once per change.
A wait still ends after `fallback_s`, so a missed record only slows a step down.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

ORDER_KEY_PREFIX = "ORDER#"


class OrderChanges:
    def __init__(self) -> None:
        self._versions: dict[str, int] = {}
        self._changed = threading.Condition()

    def version(self, order_id: str) -> int:
        """How many changes of the order were seen: take it before reading the order."""
        with self._changed:
            return self._versions.get(order_id, 0)

    def wait_past(self, order_id: str, version: int, fallback_s: float) -> bool:
        """Blocks until the order changed after `version` was taken (True) or `fallback_s` passed."""
        with self._changed:
            return self._changed.wait_for(lambda: self._versions.get(order_id, 0) > version, timeout=fallback_s)

    def saw(self, records: Iterable[dict[str, Any]]) -> None:
        """Stream records (as boto3 returns them) of the orders table."""
        ids = set()
        for record in records:
            pk = record.get("dynamodb", {}).get("Keys", {}).get("pk", {}).get("S", "")
            if pk.startswith(ORDER_KEY_PREFIX):
                ids.add(pk.removeprefix(ORDER_KEY_PREFIX))
        if not ids:
            return
        with self._changed:
            for order_id in ids:
                self._versions[order_id] = self._versions.get(order_id, 0) + 1
            self._changed.notify_all()
