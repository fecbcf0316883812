"""A Powertools Logger whose output never carries customer personal data in clear.

Values under personal keys (email, name, phone, address parts, whole customer/ship_to objects)
are masked at any depth, and any e-mail address left in free text is replaced, so a careless
`logger.info(..., order=doc)` still cannot leak. Powertools' DataMasking was tried first: it
parses JSONPath and warns for every absent field on every log line, too costly for a formatter.
Free-text phone matching is left out: it would also eat ARNs and account ids.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

PERSONAL_KEYS = frozenset(
    {
        "email",
        "name",
        "phone",
        "line1",
        "line2",
        "city",
        "postal_code",
        "region",
        "lat",
        "lon",
        "customer",
        "ship_to",
        "address",
        "to",
        "customer_name",
    }
)
MASK = "*****"
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# Keys of the log record itself, never personal data (the message is scrubbed on its own).
_RECORD_KEYS = frozenset(
    {
        "level",
        "location",
        "timestamp",
        "service",
        "sampling_rate",
        "xray_trace_id",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "exception_name",
    }
)


def mask(value: Any) -> Any:
    if isinstance(value, str):
        return _EMAIL.sub(MASK, value)
    if isinstance(value, dict):
        return {k: MASK if k in PERSONAL_KEYS and v is not None else mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    if value is None or isinstance(value, int | float | bool):
        return value
    return mask(str(value))  # exceptions and other objects end up as their text


class MaskingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: Any) -> str:
        masked = {k: v if k in _RECORD_KEYS else mask({k: v})[k] for k, v in log.items()}
        return super().serialize(masked)


def masked_logger(**kwargs: Any) -> Logger:
    return Logger(logger_formatter=MaskingFormatter(), **kwargs)
