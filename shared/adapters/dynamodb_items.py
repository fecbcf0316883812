"""DynamoDB's attribute-value format in one place: values marshalled through botocore's
TypeSerializer and TypeDeserializer, the pk/sk key of Waybill's tables, and what a cancelled
transaction's reasons mean."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()

# Cancellation reasons that say nothing about the data: the caller must try again, not conclude.
TRANSIENT = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)


def attr(value: Any) -> dict[str, Any]:
    """One value as a DynamoDB attribute value (a str is S, an int N, a bool BOOL, a set of str SS)."""
    return dict(_SERIALIZER.serialize(value))


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes of an item; a None value is left out (the attribute is absent, not NULL)."""
    return {name: attr(value) for name, value in values.items() if value is not None}


def expression_values(**values: Any) -> dict[str, Any]:
    """ExpressionAttributeValues: `expression_values(q=2)` is `{":q": {"N": "2"}}`."""
    return {f":{name}": attr(value) for name, value in values.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def value(attribute: Mapping[str, Any]) -> Any:
    """One attribute value as a Python value (a number as int where whole)."""
    return _plain(_DESERIALIZER.deserialize(attribute))  # type: ignore[arg-type]


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's attributes as Python values (numbers as int where whole)."""
    return {name: value(attribute) for name, attribute in item.items()}


def key(pk: str, sk: str | None = None) -> dict[str, Any]:
    """The key of an item in a pk (and sk) table."""
    return to_item({"pk": pk, "sk": sk})


def keyed(item: Mapping[str, Any], pk_prefix: str, sk: str) -> bool:
    """Whether an item (also a stream image) is keyed `<pk_prefix>...` / `sk`."""
    if "pk" not in item or "sk" not in item:
        return False
    return value(item["sk"]) == sk and str(value(item["pk"])).startswith(pk_prefix)


def cancellation_reasons(err: ClientError) -> list[str]:
    """The per-item reasons a TransactWriteItems was cancelled ([] for any other error)."""
    if err.response["Error"]["Code"] != "TransactionCanceledException":
        return []
    reasons = err.response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons] or ["Unknown"]


def raise_if_transient(err: ClientError, reasons: list[str]) -> None:
    """Re-raises an error that says nothing about the data (not a cancellation, or a conflict/throttle)."""
    if not reasons or TRANSIENT.intersection(reasons):
        raise err


def condition_failed(err: ClientError) -> bool:
    return bool(err.response["Error"]["Code"] == "ConditionalCheckFailedException")
