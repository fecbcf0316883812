"""Business metrics, emitted where the thing happens, as CloudWatch embedded-metric-format log lines.

Each metric is one Powertools `single_metric` record (flushed at once, no handler decorator needed)
in the namespace POWERTOOLS_METRICS_NAMESPACE ("Waybill"), with the `service` dimension Powertools
adds and the dimensions below. The names and dimensions are declared here once: infra/ builds the
alarms and the dashboard from the same constants. Powertools Metrics is imported on first use, so a
function that never emits a metric does not pay for the import at cold start. The embedded stack
sets POWERTOOLS_METRICS_DISABLED, so nothing is printed there.
"""

from __future__ import annotations

import os

from shared.topology import COMMON_ENVIRONMENT

# metric name -> the dimension it is split by (None: only `service`)
ORDERS_CAPTURED = "OrdersCaptured"  # a new order (not a replay), by channel
EXCEPTIONS_RECORDED = "ExceptionsRecorded"  # an order moved to EXCEPTION (or noted a problem), by type
REFUNDS_FAILED = "RefundsFailed"  # a refund's ledger entry became FAILED
ACTIONS_TAKEN = "ActionsTaken"  # a person acted on an order (cancel, return, ...), by action
# a gauge, in seconds: how long the oldest order in the exception queue has waited (the sweep measures it)
OLDEST_EXCEPTION_AGE = "OldestExceptionAge"

CHANNEL = "channel"
EXCEPTION_TYPE = "type"
ACTION = "action"

DIMENSIONS: dict[str, str | None] = {
    ORDERS_CAPTURED: CHANNEL,
    EXCEPTIONS_RECORDED: EXCEPTION_TYPE,
    REFUNDS_FAILED: None,
    ACTIONS_TAKEN: ACTION,
    OLDEST_EXCEPTION_AGE: None,
}
SERVICE = "waybill"  # COMMON_ENVIRONMENT's POWERTOOLS_SERVICE_NAME: every record's `service` dimension


def count(name: str, dimension_value: str | None = None) -> None:
    """Adds 1 to `name`, split by its declared dimension (given as `dimension_value`)."""
    _emit(name, 1, "Count", dimension_value)


def _emit(name: str, value: float, unit: str, dimension_value: str | None) -> None:
    dimension = DIMENSIONS[name]
    if (dimension is None) != (dimension_value is None):
        raise ValueError(f"metric {name} is split by {dimension!r}; got {dimension_value!r}")
    # single_metric honours neither POWERTOOLS_METRICS_DISABLED nor a missing namespace (it raises):
    # a metric must never fail the work it counts.
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() in ("1", "true"):
        return
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or COMMON_ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit(unit), value=value, namespace=namespace) as metric:
        if dimension is not None and dimension_value is not None:
            # CloudWatch refuses empty dimension values; long ones are cut to its 1024-character limit.
            metric.add_dimension(name=dimension, value=dimension_value[:1024] or "unknown")


def order_captured(channel: str) -> None:
    count(ORDERS_CAPTURED, channel)


def exception_recorded(kind: str) -> None:
    count(EXCEPTIONS_RECORDED, kind)


def refund_failed() -> None:
    count(REFUNDS_FAILED)


def action_taken(action: str) -> None:
    count(ACTIONS_TAKEN, action)


def oldest_exception_age(seconds: float) -> None:
    _emit(OLDEST_EXCEPTION_AGE, seconds, "Seconds", None)
