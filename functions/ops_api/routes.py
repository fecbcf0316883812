"""Operations reads of HTTP API v1: an order's executions step by step, and the dead-letter queues.
Registered on the ops function's resolver and on the OpenAPI resolver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel

from shared import http
from shared.domain.errors import OrderNotFound
from shared.ports import Clock, OrderRepository
from shared.schemas.ops import DeadLetters, ExecutionDetail, ExecutionList, ExecutionRun, RedriveRequest, RedriveResult
from shared.usecases.dead_letters import DeadLetterQueues, dead_letter_report, redrive
from shared.usecases.executions import ExecutionHistory, execution_steps, list_executions

OrderId = Annotated[str, Path(pattern=r"^ord_[0-9a-z]{1,64}$", description="The order id Waybill assigned")]
ExecutionName = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,80}$", description="The execution's name")]
QueueName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_-]{0,63}$", description="A queue's topology name")]


@dataclass(frozen=True)
class OpsPorts:
    orders: OrderRepository
    history: ExecutionHistory
    dead_letters: DeadLetterQueues
    clock: Clock
    logger: Logger


def _json(model: BaseModel, status: int = 200) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, model.model_dump_json())


def register(app: APIGatewayRestResolver) -> None:
    def ports() -> OpsPorts:
        found: OpsPorts = app.context["ports"]
        return found

    def order(order_id: str) -> Any:
        found = ports().orders.get(order_id)
        if found is None:
            raise OrderNotFound(order_id)
        return found

    @app.get(
        "/v1/orders/<order_id>/executions",
        summary="The order's executions",
        description="Its fulfilment runs (a retry is a new run) and one per return, oldest first, as Step "
        "Functions describes them. `console_url` opens one in the AWS console; null on the embedded stack.",
        responses={
            200: {"description": "The executions", "content": {"application/json": {"model": ExecutionList}}},
            **http.documented_errors(401, 403, 404, 422),
        },
        tags=["operations"],
        operation_id="list_executions",
    )
    def get_executions(order_id: OrderId) -> Response[Any]:
        runs = list_executions(order(order_id), history=ports().history)
        return _json(ExecutionList(executions=[ExecutionRun.of(r) for r in runs]))

    @app.get(
        "/v1/orders/<order_id>/executions/<name>",
        summary="One execution, step by step",
        description="Each state entered, from Step Functions' execution history: its type and Map iteration, "
        "entered and exited times, duration, outcome (succeeded, caught, failed, running), task attempts and "
        "retries, the last error and cause, and its input and output with personal data masked. A name the "
        "order does not have is 404.",
        responses={
            200: {"description": "The execution", "content": {"application/json": {"model": ExecutionDetail}}},
            **http.documented_errors(401, 403, 404, 422),
        },
        tags=["operations"],
        operation_id="get_execution",
    )
    def get_execution(order_id: OrderId, name: ExecutionName) -> Response[Any]:
        found = execution_steps(order(order_id), name, history=ports().history)
        return _json(ExecutionDetail.of(found))

    @app.get(
        "/v1/ops/dead-letters",
        summary="Dead-lettered messages, per queue",
        description="For every queue: how many messages its dead-letter queue holds, the oldest sampled "
        "message's age, and up to five samples (peeked, not moved) with personal data masked and the failure "
        "reason.",
        responses={
            200: {"description": "Every queue", "content": {"application/json": {"model": DeadLetters}}},
            **http.documented_errors(401, 403, 422),
        },
        tags=["operations"],
        operation_id="list_dead_letters",
    )
    def get_dead_letters() -> Response[Any]:
        p = ports()
        return _json(DeadLetters.of(dead_letter_report(p.clock.now(), dead_letters=p.dead_letters)))

    @app.post(
        "/v1/ops/dead-letters/<queue>/redrive",
        summary="Move dead-lettered messages back to their queue",
        description="At most `limit` of them; the answer says how many moved and how many are left. Every "
        "consumer is idempotent, so a message that is handled twice changes nothing the second time.",
        responses={
            200: {"description": "What moved", "content": {"application/json": {"model": RedriveResult}}},
            **http.documented_errors(400, 401, 403, 404, 413, 415, 422),
        },
        tags=["operations"],
        operation_id="redrive_dead_letters",
    )
    def post_redrive(queue: QueueName, request: Annotated[RedriveRequest, Body()]) -> Response[Any]:
        p = ports()
        result = redrive(queue, request.limit, dead_letters=p.dead_letters)
        who = app.context["principal"]
        p.logger.info("dead letters redriven", queue=queue, moved=result.moved, remaining=result.remaining, by=who.name)
        return _json(RedriveResult.of(result))
