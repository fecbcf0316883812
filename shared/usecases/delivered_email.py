"""The delivered (or collected) email, sent by whichever of two functions comes second: the events
function that applies the delivered event, or the hand-over task once it has recorded its own
email. It is owed only when both are true, so the customer never hears "delivered" before
"shipped", and no state-machine task waits to send it.

Both functions guard the send with one idempotency record (KEY_PREFIX, not their own names): when
both find it owed, the second gets the first's message id (or, while the first is sending, an
in-progress error its retry resolves).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.domain.shipment import Shipment, ShipmentStatus
from shared.exactly_once import Once, sent_then_recorded
from shared.ports import Clock, Mailer, OrderRepository
from shared.usecases.notify import mail_shipment_email, record_shipment_email

KEY_PREFIX = "delivered-email"
KIND = "delivered"
HAND_OVER_KINDS = ("shipped", "ready_for_pickup")


def delivered_email_due(shipment: Shipment) -> bool:
    """Delivered, told it left (or is ready at the store), and not yet told it arrived."""
    return (
        shipment.status == ShipmentStatus.DELIVERED
        and KIND not in shipment.emails
        and any(kind in shipment.emails for kind in HAND_OVER_KINDS)
    )


def delivered_notifier(
    once: Once, *, orders: OrderRepository, mailer: Mailer, template: str, clock: Clock
) -> Callable[[str, Shipment], str | None]:
    """`notify(order_id, shipment)`: sends the email if `shipment` (as just saved) owes it; its
    message id, or None when nothing is owed."""

    def email(task: dict[str, Any]) -> dict[str, Any]:
        return {
            "message_id": mail_shipment_email(
                task["order_id"], task["shipment_id"], KIND, orders=orders, mailer=mailer, template=template
            )
        }

    send = sent_then_recorded(
        once(email, key_prefix=KEY_PREFIX),
        record=lambda task, sent: record_shipment_email(
            task["order_id"], task["shipment_id"], KIND, sent, orders=orders, clock=clock
        ),
    )

    def notify(order_id: str, shipment: Shipment) -> str | None:
        if not delivered_email_due(shipment):
            return None
        sid = shipment.shipment_id
        return send({"key": f"{sid}#{KIND}", "order_id": order_id, "shipment_id": sid})

    return notify
