"""A cancelled TransactWriteItems leaves every item as it was, as in DynamoDB.

The embedded stack rolls a failed transaction back from copies of the items it names (moto
copied the whole table per transaction item; the stack used to copy each touched partition).
moto applies a transaction's writes one by one, so the writes before the failing check had landed.
"""

import pytest
from botocore.exceptions import ClientError


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def test_a_cancelled_transaction_leaves_its_items_and_their_partitions_as_they_were(aws, resources):
    ddb = aws("dynamodb")
    table = resources.tables["ledger"]
    keep = {"pk": _s("ROLLBACK"), "sk": _s("kept"), "v": {"N": "1"}}
    changed = {"pk": _s("ROLLBACK"), "sk": _s("changed"), "v": {"N": "1"}}
    for item in (keep, changed):
        ddb.put_item(TableName=table, Item=item)
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": _s("ROLLBACK"), "sk": _s("changed")},
                        "UpdateExpression": "SET v = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {"Put": {"TableName": table, "Item": {"pk": _s("ROLLBACK"), "sk": _s("added")}}},
                {"Put": {"TableName": table, "Item": {"pk": _s("ROLLBACK-NEW"), "sk": _s("added")}}},
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": _s("ROLLBACK"), "sk": _s("kept")},
                        "ConditionExpression": "v = :never",
                        "ExpressionAttributeValues": {":never": {"N": "999"}},
                    }
                },
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"

    def partition(pk: str) -> list[dict[str, dict[str, str]]]:
        found = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(pk)},
            ConsistentRead=True,
        )
        return sorted(found["Items"], key=lambda i: i["sk"]["S"])

    assert partition("ROLLBACK") == [changed, keep]
    assert partition("ROLLBACK-NEW") == []


def test_a_cancelled_transaction_on_a_table_without_a_sort_key_leaves_it_as_it_was(aws, resources):
    ddb = aws("dynamodb")
    table = resources.tables["idempotency"]
    ddb.put_item(TableName=table, Item={"id": _s("rollback-kept"), "status": _s("COMPLETED")})
    with pytest.raises(ClientError):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"id": _s("rollback-added"), "status": _s("INPROGRESS")}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"id": _s("rollback-kept")},
                        "UpdateExpression": "SET #s = :s",
                        "ConditionExpression": "#s = :never",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {":s": _s("EXPIRED"), ":never": _s("NONE")},
                    }
                },
            ]
        )
    kept = ddb.get_item(TableName=table, Key={"id": _s("rollback-kept")}, ConsistentRead=True)["Item"]
    assert kept == {"id": _s("rollback-kept"), "status": _s("COMPLETED")}
    assert "Item" not in ddb.get_item(TableName=table, Key={"id": _s("rollback-added")}, ConsistentRead=True)
