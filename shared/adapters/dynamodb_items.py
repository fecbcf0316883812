"""DynamoDB's attribute-value format in one place: values marshalled to and from attribute values,
the pk/sk key of Waybill's tables, and what a cancelled transaction's reasons mean.

The marshalling is written here rather than taken from boto3.dynamodb.types: importing that module
imports all of boto3 and s3transfer (~0.2 s of every cold start), for two small functions. It follows
boto3's TypeSerializer: a float is refused (DynamoDB numbers are exact: pass an int or a Decimal) and
numbers are checked against DynamoDB's 38 digits.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

# DynamoDB's number type: 38 significant digits, exponent -130..125; anything lossy is an error.
_NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def _number(value: int | Decimal) -> str:
    return str(_NUMBERS.create_decimal(value))


def _is_number(value: object) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _marshal(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, Set):
        if value and all(_is_number(v) for v in value):
            return {"NS": [_number(v) for v in value]}
        if value and all(isinstance(v, str) for v in value):
            return {"SS": list(value)}
        if value and all(isinstance(v, bytes | bytearray) for v in value):
            return {"BS": [bytes(v) for v in value]}
        raise TypeError(f"A set stored in DynamoDB holds only numbers, only strings or only bytes: {value!r}")
    if isinstance(value, list | tuple):
        return {"L": [_marshal(v) for v in value]}
    if isinstance(value, Mapping):
        return {"M": {str(k): _marshal(v) for k, v in value.items()}}
    if isinstance(value, float):
        raise TypeError("Float types are not supported by DynamoDB: use int or Decimal")
    raise TypeError(f"Unsupported type {type(value).__name__} for a DynamoDB value: {value!r}")


def _unmarshal(attribute: Mapping[str, Any]) -> Any:
    ((kind, raw),) = attribute.items()
    match kind:
        case "NULL":
            return None
        case "S" | "BOOL" | "B":
            return raw
        case "N":
            return Decimal(raw)
        case "SS" | "BS":
            return set(raw)
        case "NS":
            return {Decimal(n) for n in raw}
        case "L":
            return [_unmarshal(v) for v in raw]
        case "M":
            return {k: _unmarshal(v) for k, v in raw.items()}
    raise TypeError(f"Unknown DynamoDB attribute type {kind}")


# Cancellation reasons that say nothing about the data: the caller must try again, not conclude.
TRANSIENT = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)


def attr(value: Any) -> dict[str, Any]:
    """One value as a DynamoDB attribute value (a str is S, an int N, a bool BOOL, a set of str SS)."""
    return _marshal(value)


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
    return _plain(_unmarshal(attribute))


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
