"""Operations routes of HTTP API v1: the exception queue and the actions on what is in it.
Registered on the exceptions function's resolver and on the OpenAPI resolver."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from shared import http, metrics
from shared.domain.audit import Actor
from shared.domain.exceptions import Action, ExceptionType
from shared.domain.order import Order
from shared.domain.principal import Principal
from shared.schemas.exception_queue import ActionIn, ExceptionQueuePage, QueueEntryView, RetryIn
from shared.schemas.ledger_view import LedgerEntryView
from shared.schemas.order_view import OrderView
from shared.usecases.action_ports import ActionPorts
from shared.usecases.dead_letters import DeadLetterStates, dead_letter_entries
from shared.usecases.exception_queue import MAX_LIMIT, ExceptionIndex, QueueQuery, list_exceptions

OrderId = Annotated[str, Path(pattern=r"^ord_[0-9a-z]{1,64}$", description="The order id Waybill assigned")]
RefundId = Annotated[str, Path(pattern=r"^rf_[0-9a-f]{1,64}$", description="The refund's ledger id")]
RmaId = Annotated[str, Path(pattern=r"^ord_[0-9a-z]{1,64}-R[0-9]{1,4}$", description="The return (RMA) id")]
KEY_HEADER = "Idempotency-Key"
_ACTION_CODES = ("not_on_hold", "nothing_to_retry", "nothing_to_reroute", "already_shipped", "idempotency_conflict")


@dataclass(frozen=True)
class ExceptionsPorts:
    index: ExceptionIndex
    dead_letters: DeadLetterStates
    actions: ActionPorts
    logger: Logger
    # the order as GET /v1/orders/{id} shows it (documents linked, refunds listed)
    view: Callable[[Order], OrderView]
    # emails the customer the cancellation, once per order (returns the message id)
    notify_cancelled: Callable[[str], str]


def _json(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, body, headers=headers)


def register(app: APIGatewayRestResolver) -> None:
    def ports() -> ExceptionsPorts:
        found: ExceptionsPorts = app.context["ports"]
        return found

    def actor() -> Actor:
        who: Principal = app.context["principal"]
        return Actor.of(who)

    def key() -> str | None:
        value = app.current_event.get_header_value(KEY_HEADER, case_sensitive=False)
        return value.strip()[:200] or None if value else None

    @app.get(
        "/v1/ops/exceptions",
        summary="The exception queue: every order that needs a person",
        description="Each order with an open exception, filed under its oldest (type, reason, since), with "
        "the actions that apply to it now, and one `dead_letter` entry per dead-letter queue holding messages "
        "(no order: `subject` names the queue, the action is `redrive`). Newest first by default "
        "(`order=oldest` for the longest waiting); `type` narrows to one type, `min_age_s` to those open "
        "at least that long. Served by the orders table's exceptions index, one partition per type. "
        "`counts` are per type, of the types asked for, and honour the channel, node and age filters.",
        responses={
            200: {"description": "A page of the queue", "content": {"application/json": {"model": ExceptionQueuePage}}},
            **http.documented_errors(401, 403, 422, codes={400: ("invalid_cursor",)}),
        },
        tags=["operations"],
        operation_id="list_exceptions",
    )
    def get_exceptions(
        type: Annotated[ExceptionType | None, Query(description="Only this exception type")] = None,
        channel: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
        node_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
        min_age_s: Annotated[int | None, Query(ge=0, le=10 * 365 * 86400)] = None,
        order: Annotated[Literal["newest", "oldest"], Query()] = "newest",
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, Query(min_length=1, max_length=1000)] = None,
    ) -> Response[Any]:
        p = ports()
        now = p.actions.clock.now()
        query = QueueQuery(
            types=(type,) if type else tuple(ExceptionType),
            channel=channel,
            node_id=node_id,
            older_than=now - timedelta(seconds=min_age_s) if min_age_s else None,
            newest_first=order == "newest",
            limit=limit,
            cursor=cursor,
        )
        # dead letters name no channel or node: the queues are only read when they can be listed
        wanted = ExceptionType.DEAD_LETTER in query.types and channel is None and node_id is None
        letters = dead_letter_entries(now, dead_letters=p.dead_letters) if wanted else []
        page = list_exceptions(p.index, query, letters)
        body = ExceptionQueuePage(
            exceptions=[QueueEntryView.of(e) for e in page.entries], counts=page.counts, next=page.next
        )
        return _json(body.model_dump_json())

    @app.post(
        "/v1/orders/<order_id>/actions",
        summary="Act on an order that needs a person: release_hold, retry, reroute or cancel",
        description="`release_hold` runs an ON_HOLD order again from the payment check (`override: true` "
        "vouches for the payment instead); `retry` runs a failed fulfilment again from where it stopped "
        "(a new execution, linked on the order), else a failed return, else a failed refund; `reroute` "
        "sends what a node holds and has not packed to `node_id` (or where the routing rules say); "
        "`cancel` cancels what has not left. Each is recorded in the order's history with who and why. "
        "An `Idempotency-Key` header makes a repeat answer the first outcome (`Idempotent-Replayed: true`).",
        responses={
            200: {
                "description": "The order after the action",
                "content": {"application/json": {"model": OrderView}},
                "headers": {"Idempotent-Replayed": http.REPLAYED},
            },
            **http.documented_errors(400, 401, 403, 404, 413, 415, 422, 503, codes={409: _ACTION_CODES}),
        },
        tags=["operations"],
        operation_id="act_on_order",
    )
    def post_action(order_id: OrderId, body: Annotated[ActionIn, Body()]) -> Response[Any]:
        # The actions' use cases are imported by their routes: listing the queue, the reads, loads none of them.
        from shared.usecases.act_on_order import act_on_order
        from shared.usecases.ops_actions import ActionRequest

        p = ports()
        if p.actions.orders.get(order_id) is None:
            return http.error(404, "not_found", f"order {order_id} not found")
        request = ActionRequest(Action(body.action), body.reason, actor(), body.node_id, body.override, key())
        outcome = act_on_order(order_id, request, p.actions)
        if not outcome.replayed:
            metrics.action_taken(body.action)
        if request.action == Action.CANCEL:
            p.notify_cancelled(order_id)  # once per order, also when replayed after a crash
        p.logger.info(
            "ops action", order_id=order_id, action=body.action, by=str(request.actor), replayed=outcome.replayed
        )
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        after = p.actions.orders.get(order_id) or outcome.order
        return _json(p.view(after).model_dump_json(), 200, headers)

    @app.post(
        "/v1/finance/refunds/<refund_id>/retry",
        summary="Retry a FAILED refund",
        description="The FAILED entry stays as it was; a new PENDING entry for the same amount is opened for it "
        "and paid by a new refunds execution. Retrying the same FAILED refund again answers that entry.",
        responses={
            202: {"description": "The new entry", "content": {"application/json": {"model": LedgerEntryView}}},
            **http.documented_errors(
                400, 401, 403, 404, 413, 415, 422, codes={409: ("refund_not_failed", "refund_exceeds_captured")}
            ),
        },
        tags=["finance"],
        operation_id="retry_refund",
    )
    def post_refund_retry(refund_id: RefundId, body: Annotated[RetryIn, Body()]) -> Response[Any]:
        from shared.usecases.ops_actions import ActionRequest
        from shared.usecases.ops_retries import retry_refund

        p = ports()
        request = ActionRequest(Action.RETRY, body.reason, actor(), key=key())
        a = p.actions
        if a.ledger.get(refund_id) is None:
            return http.error(404, "not_found", f"refund {refund_id} not found")
        entry = retry_refund(
            refund_id, request, orders=a.orders, ledger=a.ledger, refunds=a.refunds_workflow, clock=a.clock
        )
        metrics.action_taken("retry_refund")
        p.logger.info("refund retried", refund_id=refund_id, retry=entry.refund_id, by=str(request.actor))
        return _json(LedgerEntryView.of(entry).model_dump_json(), 202)

    @app.post(
        "/v1/orders/<order_id>/returns/<rma_id>/retry",
        summary="Retry a failed return",
        description="Runs the return (RMA) whose step failed again as a new returns execution: the label "
        "already bought and the parcels already received are not bought or received again.",
        responses={
            202: {"description": "The order", "content": {"application/json": {"model": OrderView}}},
            **http.documented_errors(400, 401, 403, 404, 413, 415, 422, codes={409: ("nothing_to_retry",)}),
        },
        tags=["operations"],
        operation_id="retry_return",
    )
    def post_return_retry(order_id: OrderId, rma_id: RmaId, body: Annotated[RetryIn, Body()]) -> Response[Any]:
        from shared.usecases.ops_actions import ActionRequest
        from shared.usecases.ops_retries import retry_return

        p = ports()
        a = p.actions
        if not rma_id.startswith(f"{order_id}-") or a.orders.get(order_id) is None:
            return http.error(404, "not_found", f"order {order_id} has no return {rma_id}")
        request = ActionRequest(Action.RETRY, body.reason, actor(), key=key())
        after = retry_return(
            order_id, request, orders=a.orders, returns=a.returns_workflow, clock=a.clock, rma_id=rma_id
        )
        metrics.action_taken("retry_return")
        return _json(p.view(after).model_dump_json(), 202)
