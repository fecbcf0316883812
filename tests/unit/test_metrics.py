"""Business metrics are EMF records with the namespace, name and dimensions the alarms and dashboard read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared import metrics
from shared.topology import COMMON_ENVIRONMENT
from shared.usecases.record_exception import describe, exception_type


@pytest.fixture(autouse=True)
def _lambda_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in COMMON_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)


def records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


@pytest.mark.parametrize(
    ("emit", "name", "dimension", "value"),
    [
        (lambda: metrics.order_captured("web"), metrics.ORDERS_CAPTURED, "channel", "web"),
        (
            lambda: metrics.exception_recorded("CarrierUnavailable"),
            metrics.EXCEPTIONS_RECORDED,
            "type",
            "CarrierUnavailable",
        ),
        (lambda: metrics.action_taken("cancel"), metrics.ACTIONS_TAKEN, "action", "cancel"),
        (metrics.refund_failed, metrics.REFUNDS_FAILED, None, None),
    ],
)
def test_each_metric_is_one_emf_record(
    capsys: pytest.CaptureFixture[str], emit: Any, name: str, dimension: str | None, value: str | None
) -> None:
    emit()
    (record,) = records(capsys.readouterr().out)
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == COMMON_ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]
    assert directive["Metrics"] == [{"Name": name, "Unit": "Count"}]
    expected = sorted([*([dimension] if dimension else []), "service"])
    assert sorted(directive["Dimensions"][0]) == expected
    assert record[name] == [1.0]
    assert record["service"] == metrics.SERVICE == COMMON_ENVIRONMENT["POWERTOOLS_SERVICE_NAME"]
    if dimension:
        assert record[dimension] == value


def test_a_metric_is_refused_with_the_wrong_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="split by 'channel'"):
        metrics.count(metrics.ORDERS_CAPTURED)
    with pytest.raises(ValueError, match="split by None"):
        metrics.count(metrics.REFUNDS_FAILED, "x")
    assert records(capsys.readouterr().out) == []


def test_an_empty_dimension_value_is_still_a_valid_record(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.order_captured("")
    (record,) = records(capsys.readouterr().out)
    assert record["channel"] == "unknown"


def test_nothing_is_emitted_when_metrics_are_disabled(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # as the embedded stack sets it
    metrics.order_captured("web")
    metrics.refund_failed()
    assert records(capsys.readouterr().out) == []


def test_a_missing_namespace_does_not_fail_the_caller(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # use-case tests run without the Lambda environment; counting a failed refund must not raise there
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE")
    metrics.refund_failed()
    (record,) = records(capsys.readouterr().out)
    assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == COMMON_ENVIRONMENT["POWERTOOLS_METRICS_NAMESPACE"]


def test_exceptions_are_counted_by_the_error_that_caused_them() -> None:
    assert exception_type(describe({"Error": "CarrierUnavailable", "Cause": "no carrier answered"})) == (
        "CarrierUnavailable"
    )
    shipment = json.dumps({"shipment_id": "s1", "failure": {"Error": "States.Timeout", "Cause": ""}})
    assert exception_type(describe({"Error": "ShipmentFailed", "Cause": shipment})) == "States.Timeout"
    assert exception_type("") == "Error"
