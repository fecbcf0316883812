"""The exception queue's counts on moto's DynamoDB, with the index provisioned from the topology:
channel, node and age filters are honoured by counting queries on the type's partition of the
`exceptions` index (channel and nodes copied into it), never a scan and never an order read."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from shared.adapters.dynamodb_exception_queue import DynamoDBExceptionIndex
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.domain.exceptions import ExceptionType
from shared.domain.order import OrderStatus
from shared.usecases.exception_queue import QueueQuery, list_exceptions
from tests.unit.test_shipments import AT, order


def test_counts_follow_the_filters_with_counting_queries_only(aws, resources):
    run = uuid.uuid4().hex[:8]
    table = resources.tables["orders"]
    orders = DynamoDBOrders(aws("dynamodb"), table)
    web, pos = f"web-{run}", f"pos-{run}"
    for i in range(6):
        o = order()
        o.order_id, o.external_id = f"ord_{run}{i:02d}", f"C-{run}-{i}"
        o.channel = web if i % 3 else pos  # pos: 0 and 3
        at = AT + timedelta(minutes=i)
        if i % 2 == 0:
            o.status, o.routing = OrderStatus.RECEIVED, None  # held before routing: no node
            o.hold_for_payment("underpaid", at, "payment_insufficient")
        else:
            o.release(at)
            o.fail("ShipmentFailed: node silent", at)
        orders.add(o, "h")
    client = aws("dynamodb")
    seen: list[tuple[str, dict[str, Any]]] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.*", lambda params, model, **_: seen.append((model.name, params))
    )
    index = DynamoDBExceptionIndex(client, table)

    def counts(**query: Any) -> dict[str, int]:
        kinds = (ExceptionType.PAYMENT_HOLD, ExceptionType.FULFILMENT_FAILED)
        found = list_exceptions(index, QueueQuery(types=kinds, limit=1, **query)).counts
        return {k: found[k] for k in ("payment_hold", "fulfilment_failed")}

    assert counts(channel=web) == {"payment_hold": 2, "fulfilment_failed": 2}  # 1, 2, 4, 5
    assert counts(channel=pos) == {"payment_hold": 1, "fulfilment_failed": 1}  # 0, 3
    assert counts(channel=web, node_id="dc-b") == {"payment_hold": 0, "fulfilment_failed": 2}
    assert counts(channel=web, node_id=f"nowhere-{run}") == {"payment_hold": 0, "fulfilment_failed": 0}
    seen.clear()
    assert counts(channel=web, older_than=AT + timedelta(minutes=2)) == {"payment_hold": 1, "fulfilment_failed": 1}
    counting = [p for name, p in seen if name == "Query" and p.get("Select") == "COUNT"]
    assert len(counting) == 2  # one per type asked for
    assert all(p["IndexName"] == "exceptions" for p in counting)
    assert {name for name, _ in seen} <= {"Query", "BatchGetItem"}  # never a Scan
