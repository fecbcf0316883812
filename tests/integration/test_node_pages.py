"""GET /v1/nodes' pages on DynamoDB (moto): by node id, each node once, a page reading no more than
it shows and one item; routing's `all()` still reads the whole directory, past DynamoDB's pages."""

import uuid

from shared.adapters.dynamodb_nodes import DynamoDBNodes
from shared.domain.routing import Node
from shared.usecases.list_directory import list_nodes


def test_nodes_page_by_id_each_once_and_all_reads_them_all(aws, resources):
    client = aws("dynamodb")
    items_read = []
    client.meta.events.register("after-call.dynamodb.Query", lambda parsed, **_: items_read.append(parsed["Count"]))
    nodes = DynamoDBNodes(client, resources.tables["inventory"])
    run = uuid.uuid4().hex[:8]
    made = [f"n{run}-{i:03d}" for i in range(37)]
    for node_id in reversed(made):
        nodes.put(Node(node_id, "warehouse", None, True, False, 0, None))
    pages, cursor = [], None
    while True:
        found, cursor = list_nodes(nodes, 10, cursor)
        pages.append([n.node_id for n in found])
        if cursor is None:
            break
    seen = [node_id for page in pages for node_id in page]
    assert [n for n in seen if n.startswith(f"n{run}")] == made
    assert len(seen) == len(set(seen)) == len({n.node_id for n in nodes.all()})
    assert all(len(page) <= 10 for page in pages)
    assert max(items_read[: len(pages)]) <= 11  # a page and one more, never the partition
