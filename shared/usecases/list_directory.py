"""GET /v1/nodes and GET /v1/reorder-suggestions, a page at a time: each one partition, read in
sort-key order (node id; sku, then node), the cursor the last position shown."""

from __future__ import annotations

import re
from typing import Any

from shared.domain.routing import Node
from shared.ports import NodeRegistry, Reorders
from shared.usecases import paging

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_NODE_ID = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}"
_SKU = r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}"
_NODE = re.compile(rf"^{_NODE_ID}$")
_REORDER = re.compile(rf"^{_SKU}#{_NODE_ID}$")


def list_nodes(
    nodes: NodeRegistry, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> tuple[list[Node], str | None]:
    return paging.one_page(
        "nodes", nodes.page, limit, cursor, most=MAX_LIMIT, valid=lambda p: _NODE.match(p) is not None
    )


def list_reorder_suggestions(
    reorders: Reorders, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    return paging.one_page(
        "reorders",
        reorders.reorder_suggestions,
        limit,
        cursor,
        most=MAX_LIMIT,
        valid=lambda p: _REORDER.match(p) is not None,
    )
