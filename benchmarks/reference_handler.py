"""The yardstick for cold starts: a typical Powertools REST handler, as the Powertools docs and the
Lambda Handler Cookbook write one (Logger, Tracer, Metrics, a validating resolver, one pydantic route).

benchmarks/cold_start.py imports it in a fresh interpreter beside each Waybill function.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)


class Item(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1000)


@app.post("/v1/items")
@tracer.capture_method
def create_item(item: Item) -> dict[str, Any]:
    metrics.add_metric(name="ItemsCreated", unit=MetricUnit.Count, value=1)
    return {"item": item.model_dump()}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
