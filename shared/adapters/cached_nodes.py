"""The node directory, kept per execution environment for a short while.

Routing weighs every node on every order; reading the whole directory each time made an order's
reads grow with the network. A node added, changed or disabled reaches routing within `TTL_S` in
every warm environment, and at once where routing finds it missing: an order the copy cannot
serve, or stock at a node the copy does not know, makes routing ask again with `fresh=True`.
A stale entry costs at most a rejected fulfilment request and a re-route, never an oversell: the
reservation's own condition guards the stock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from shared.domain.routing import Node
from shared.ports import Nodes

TTL_S = 30.0


class CachedNodes:
    def __init__(self, nodes: Nodes, ttl_s: float = TTL_S, now: Callable[[], float] = time.monotonic) -> None:
        self._nodes, self._ttl_s, self._now = nodes, ttl_s, now
        self._all: list[Node] | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def all(self, *, fresh: bool = False) -> list[Node]:
        with self._lock:
            if fresh or self._all is None or self._now() - self._read_at >= self._ttl_s:
                self._all, self._read_at = self._nodes.all(), self._now()
            return list(self._all)

    def get(self, node_id: str) -> Node | None:
        found = next((n for n in self.all() if n.node_id == node_id), None)
        return found if found is not None else self._nodes.get(node_id)  # newer than the copy

    def put(self, node: Node) -> bool:
        with self._lock:
            self._all = None  # this environment sees its own change at once
        return self._nodes.put(node)
