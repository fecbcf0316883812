"""PaymentClaims on DynamoDB: one item per PaymentIntent in the orders table,
`PAYMENT#<payment_intent>` / `CLAIM`, holding the order it pays for. The first claim wins by a
conditional put; claiming again for the same order is a no-op."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBPaymentClaims:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def claim(self, payment_intent: str, order_id: str) -> str:
        key = {"pk": {"S": f"PAYMENT#{payment_intent}"}, "sk": {"S": "CLAIM"}}
        try:
            self._db.put_item(
                TableName=self._table,
                Item={**key, "order_id": {"S": order_id}},
                ConditionExpression="attribute_not_exists(pk) OR order_id = :order",
                ExpressionAttributeValues={":order": {"S": order_id}},
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            item = self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True)["Item"]
            return item["order_id"]["S"]
        return order_id
