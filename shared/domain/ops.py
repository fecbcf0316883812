"""Operations' view of an order: where it stands in the exception queue and which actions apply now.

An order needing a person is filed in the queue under its oldest open exception (its type, since
when, why). Which of the actions POST /v1/orders/{id}/actions takes apply is decided by trying each
on a copy of the order: the rule lives once, in the method that does the action. No I/O.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.domain.audit import Actor
from shared.domain.errors import DomainError
from shared.domain.exceptions import ORDER_ACTIONS, Action, ExceptionType, OrderException
from shared.domain.order import RESTARTED, Order, OrderStatus, copy
from shared.records import record

# A probe actor for trying actions on a copy; never recorded anywhere.
_PROBE = Actor("ops", "probe")


@record
class QueueEntry:
    """One order in the exception queue, or one dead-letter queue holding messages (no order)."""

    order_id: str | None
    external_id: str | None
    channel: str | None
    type: ExceptionType
    reason: str
    since: datetime
    subject: str | None
    node_ids: tuple[str, ...]
    actions: tuple[Action, ...]
    # every open exception of the order, the one it is filed under first
    open: tuple[OrderException, ...]


def filed_under(order: Order) -> OrderException | None:
    """The open exception the order is filed under in the queue (its oldest), or None: not queued."""
    found = order.open_exceptions
    return min(found, key=lambda e: (e.since, e.type.value)) if found else None


def queue_entry(order: Order) -> QueueEntry | None:
    head = filed_under(order)
    if head is None:
        return None
    rest = tuple(e for e in order.open_exceptions if e is not head)
    return QueueEntry(
        order_id=order.order_id,
        external_id=order.external_id,
        channel=order.channel,
        type=head.type,
        reason=head.reason,
        since=head.since,
        subject=head.subject,
        node_ids=nodes_of(order),
        actions=applicable_actions(order),
        open=(head, *rest),
    )


def dead_letter_entry(queue: str, count: int, oldest_sent_at: datetime, now: datetime) -> QueueEntry:
    """A dead-letter queue holding `count` messages, the oldest sent at `oldest_sent_at`."""
    age = max(now - oldest_sent_at, timedelta(0))
    return QueueEntry(
        order_id=None,
        external_id=None,
        channel=None,
        type=ExceptionType.DEAD_LETTER,
        reason=f"{count} message(s) in the {queue} queue's dead-letter queue, the oldest sent "
        f"{_duration(age)} ago; GET /v1/ops/dead-letters shows them with their failure reasons",
        since=oldest_sent_at,
        subject=queue,
        node_ids=(),
        actions=(Action.REDRIVE,),
        open=(),
    )


def _duration(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def nodes_of(order: Order) -> tuple[str, ...]:
    """The nodes the order was routed to or shipped from, for filtering the queue by node."""
    found = [s.node_id for s in order.shipments]
    if order.routing is not None:
        found += [a.node_id for a in order.routing.allocations]
    return tuple(dict.fromkeys(found))


def retry_kind(order: Order) -> ExceptionType | None:
    """What `retry` retries on this order: a failed fulfilment first, then a failed return, then a refund."""
    for kind in (ExceptionType.FULFILMENT_FAILED, ExceptionType.CARRIER_REFUSED):
        if any(e.open and e.type == kind for e in order.exceptions) and order.status == OrderStatus.EXCEPTION:
            return kind
    if order.stuck_before_release:
        return ExceptionType.STUCK  # its preparation died: a new run prepares it
    if any(e.open and e.type == ExceptionType.RETURN_FAILED for e in order.exceptions):
        return ExceptionType.RETURN_FAILED
    if failed_refunds(order):
        return ExceptionType.REFUND_FAILED
    return None


def failed_refunds(order: Order) -> list[str]:
    """Refunds of the order that failed and can be retried (a ledger entry exists), oldest first."""
    found = [e for e in order.open_exceptions if e.type == ExceptionType.REFUND_FAILED and e.subject]
    return [str(e.subject) for e in sorted(found, key=lambda e: e.since) if str(e.subject).startswith("rf_")]


def applicable_actions(order: Order) -> tuple[Action, ...]:
    """The order actions that apply to the order as it is now."""
    return tuple(a for a in ORDER_ACTIONS if _applies(order, a))


def _applies(order: Order, action: Action) -> bool:
    probe = copy(order)
    at = max((h.at for h in order.history), default=order.created_at)
    try:
        if action == Action.RELEASE_HOLD:
            probe.release_hold("probe", at, _PROBE)
        elif action == Action.RETRY:
            kind = retry_kind(order)
            if kind is None:
                return False
            if kind in (ExceptionType.FULFILMENT_FAILED, ExceptionType.CARRIER_REFUSED):
                probe.retry_fulfilment("probe", at, _PROBE)
            elif kind == ExceptionType.STUCK:
                probe.retry_stuck("probe", at, _PROBE)
        elif action == Action.REROUTE:
            if probe.status == OrderStatus.EXCEPTION:
                probe.retry_fulfilment("probe", at, _PROBE, node_id="probe")
            else:
                probe.reject_for_reroute("probe", at, _PROBE)
        elif action == Action.CANCEL:
            if order.cancellation is not None:
                return False
            probe.cancel("probe", "probe", at)
    except DomainError:
        return False
    return True


# How long an order may stay in a status before it is stuck. Statuses absent here either end (or
# wait for a person) or are bounded by a flow's own timeouts that fail the order visibly.
EXPECTED_PROGRESS: dict[OrderStatus, timedelta] = {
    OrderStatus.RECEIVED: timedelta(hours=1),  # the payment check and routing take seconds
    OrderStatus.RESERVED: timedelta(hours=1),
    OrderStatus.RELEASED: timedelta(days=2),
    OrderStatus.PARTIALLY_SHIPPED: timedelta(days=4),
    OrderStatus.SHIPPED: timedelta(days=14),
    OrderStatus.BACKORDERED: timedelta(days=7),
}


def entered_status_at(order: Order) -> datetime:
    """When the order last changed status (its last history entry in another status, or capture), or
    was last restarted by a person."""
    at = order.created_at
    previous = None
    for h in order.history:
        if h.status != previous or h.event == RESTARTED:
            at, previous = h.at, h.status
    return at


def no_progress(
    order: Order, now: datetime, expected: dict[OrderStatus, timedelta] = EXPECTED_PROGRESS
) -> tuple[ExceptionType, str, datetime] | None:
    """(type, reason, since) when the order has been in its status longer than expected; None otherwise,
    and for an order already waiting in the queue."""
    limit = expected.get(order.status)
    if limit is None or order.open_exceptions:
        return None
    since = entered_status_at(order)
    if now - since < limit:
        return None
    kind = ExceptionType.BACKORDERED if order.status == OrderStatus.BACKORDERED else ExceptionType.STUCK
    return kind, f"{order.status} since {since:%Y-%m-%d %H:%M} UTC, longer than the {limit} it should take", since
