"""PaymentClaims on DynamoDB: one item per PaymentIntent in the orders table,
`PAYMENT#<payment_intent>` / `CLAIM`, holding the order it pays for. The first claim wins by a
conditional put; claiming again for the same order is a no-op."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from shared.adapters.dynamodb_items import attr, condition_failed, expression_values, key, value

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBPaymentClaims:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._db = client
        self._table = table

    def claim(self, payment_intent: str, order_id: str) -> str:
        claim_key = key(f"PAYMENT#{payment_intent}", "CLAIM")
        try:
            self._db.put_item(
                TableName=self._table,
                Item={**claim_key, "order_id": attr(order_id)},
                ConditionExpression="attribute_not_exists(pk) OR order_id = :order",
                ExpressionAttributeValues=expression_values(order=order_id),
            )
        except ClientError as err:
            if not condition_failed(err):
                raise
            item = self._db.get_item(TableName=self._table, Key=claim_key, ConsistentRead=True)["Item"]
            return str(value(item["order_id"]))
        return order_id
