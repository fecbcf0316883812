"""Tests share one moto table: a test routes only over the nodes it created (ids with its prefix)."""

from __future__ import annotations

from shared.adapters.dynamodb_nodes import DynamoDBNodes
from shared.domain.routing import Node


class ScopedNodes:
    def __init__(self, store: DynamoDBNodes, prefix: str) -> None:
        self._store = store
        self._prefix = prefix

    def put(self, node: Node) -> bool:
        return self._store.put(node)

    def get(self, node_id: str) -> Node | None:
        return self._store.get(node_id)

    def all(self, *, fresh: bool = False) -> list[Node]:
        return [n for n in self._store.all(fresh=fresh) if n.node_id.startswith(self._prefix)]
