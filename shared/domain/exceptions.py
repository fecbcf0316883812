"""Typed exceptions on an order: what went wrong, since when, and what a person can do about it.

Every failed step leaves one on the order (never only a log line), so an order is always either
in a terminal status or in an exception that names its next actions. The types and actions are
the vocabulary operations tooling works from. No I/O.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared.domain.errors import DomainError
from shared.records import record


class ExceptionType(StrEnum):
    PAYMENT_HOLD = "payment_hold"  # the PaymentIntent does not cover the order (ON_HOLD)
    ROUTING_HOLD = "routing_hold"  # no node may fill the order by its channel's policy (ON_HOLD)
    UNFILLED_REMAINDER = "unfilled_remainder"  # `partial`: what was in stock ships, the rest waits to be cancelled
    FULFILMENT_FAILED = "fulfilment_failed"  # a node timed out or rejected with nowhere else to go
    CARRIER_REFUSED = "carrier_refused"  # the carrier refused or failed the label after its retries
    REFUND_FAILED = "refund_failed"  # a refund could not be paid
    RETURN_FAILED = "return_failed"  # a step of a return (label, receipt, restock, refund) failed
    PICKUP_NOT_COLLECTED = "pickup_not_collected"  # the customer never came for a pickup order
    # no progress within the time expected for its status, or a flow failed after everything had
    # left (e.g. a parcel never delivered)
    STUCK = "stuck"
    BACKORDERED = "backordered"  # waiting for stock longer than expected
    # messages a consumer gave up on, waiting in a queue's dead-letter queue: filed per queue, not
    # on an order (the exception queue lists one entry per dead-letter queue holding messages)
    DEAD_LETTER = "dead_letter"


class Action(StrEnum):
    """What a person may do about an exception. The first four are POST /v1/orders/{id}/actions; a
    failed refund or return is retried with `retry` too (or its own route); the rest are named for
    the person to do outside Waybill, or through the routes they name."""

    CANCEL = "cancel"  # what has not left is cancelled and refunded
    # run the failed step again: fulfilment from where it stopped, a preparation that died, a refund,
    # a return
    RETRY = "retry"
    RELEASE_HOLD = "release_hold"  # check the payment again (or vouch for it) and carry on
    REROUTE = "reroute"  # what a node holds and has not packed goes to another node
    RETURN = "return"  # POST /v1/orders/{id}/returns for what was delivered
    CLOSE_RETURN = "close_return"  # end the RMA: what arrived is refunded, the rest kept
    REFUND_MANUALLY = "refund_manually"  # settle the money outside Waybill and record it
    CONTACT_CARRIER = "contact_carrier"
    REDRIVE = "redrive"  # POST /v1/ops/dead-letters/{queue}/redrive: the messages go back to their queue


ACTIONS: dict[ExceptionType, tuple[Action, ...]] = {
    ExceptionType.PAYMENT_HOLD: (Action.CANCEL, Action.RELEASE_HOLD),
    ExceptionType.ROUTING_HOLD: (Action.CANCEL, Action.RELEASE_HOLD),
    ExceptionType.UNFILLED_REMAINDER: (Action.CANCEL,),
    ExceptionType.FULFILMENT_FAILED: (Action.CANCEL, Action.RETRY, Action.REROUTE),
    ExceptionType.CARRIER_REFUSED: (Action.CANCEL, Action.RETRY, Action.REROUTE),
    ExceptionType.REFUND_FAILED: (Action.RETRY, Action.REFUND_MANUALLY),
    ExceptionType.RETURN_FAILED: (Action.RETRY, Action.CLOSE_RETURN, Action.REFUND_MANUALLY),
    ExceptionType.PICKUP_NOT_COLLECTED: (Action.CANCEL,),
    ExceptionType.STUCK: (Action.RETRY, Action.CONTACT_CARRIER, Action.CANCEL, Action.REROUTE),
    ExceptionType.BACKORDERED: (Action.CANCEL,),
    ExceptionType.DEAD_LETTER: (Action.REDRIVE,),
}

# The types an order's exceptions have: the partitions of the exceptions index.
ORDER_TYPES = tuple(t for t in ExceptionType if t != ExceptionType.DEAD_LETTER)

# The actions POST /v1/orders/{id}/actions takes.
ORDER_ACTIONS = (Action.RELEASE_HOLD, Action.RETRY, Action.REROUTE, Action.CANCEL)


class ActionRefused(DomainError):
    """The action does not apply to the order as it is; nothing was changed."""

    code = "action_not_applicable"
    http_status = 409

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@record
class OrderException:
    type: ExceptionType
    reason: str
    since: datetime
    # the shipment, RMA or refund it is about; None for the order as a whole
    subject: str | None = None
    resolved_at: datetime | None = None

    @property
    def actions(self) -> tuple[Action, ...]:
        return ACTIONS[self.type]

    @property
    def open(self) -> bool:
        return self.resolved_at is None


def classify_failure(cause: str) -> ExceptionType:
    """The type of a fulfilment flow's failure, from its described cause."""
    if "CarrierRejected" in cause or "CarrierUnavailable" in cause or "NoServiceAvailable" in cause:
        return ExceptionType.CARRIER_REFUSED
    return ExceptionType.FULFILMENT_FAILED
