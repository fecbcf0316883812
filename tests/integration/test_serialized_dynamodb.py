"""The embedded stack serializes DynamoDB requests so each is atomic, as in AWS.

Against plain moto this same test fails: with a tight thread switch interval it measured 51
successful transactions and a lost update (49/50/50 taken) for 300 attempts at a limit of 50.
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def tight_thread_switching():
    # Switch threads as often as possible so any non-atomic read-modify-write in moto shows up.
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("tight_thread_switching")
def test_concurrent_conditional_transactions_never_overshoot(aws, resources):
    ddb = aws("dynamodb")
    table = resources.tables["ledger"]
    keys = [{"pk": {"S": "COUNTER"}, "sk": {"S": f"race-{i}"}} for i in range(3)]
    for key in keys:
        ddb.put_item(TableName=table, Item={**key, "taken": {"N": "0"}})

    def take(_):
        try:
            ddb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": table,
                            "Key": key,
                            "UpdateExpression": "SET taken = taken + :one",
                            "ConditionExpression": "taken < :limit",
                            "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": "50"}},
                        }
                    }
                    for key in keys
                ]
            )
            return True
        except ClientError as err:
            assert err.response["Error"]["Code"] == "TransactionCanceledException"
            return False

    with ThreadPoolExecutor(max_workers=32) as pool:
        wins = sum(pool.map(take, range(300)))
    taken = [int(ddb.get_item(TableName=table, Key=k, ConsistentRead=True)["Item"]["taken"]["N"]) for k in keys]
    assert wins == 50
    assert taken == [50, 50, 50]
