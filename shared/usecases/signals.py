"""How a shipment's state answers the task tokens the fulfilment state machine waits on."""

from __future__ import annotations

from dataclasses import asdict

from shared.domain.shipment import Shipment, ShipmentStatus
from shared.ports import TaskSignals

# The error name the state machine catches to re-route a rejected shipment.
REJECTED_ERROR = "ShipmentRejected"


def answer_request(shipment: Shipment, signals: TaskSignals) -> bool:
    """Answers the fulfilment request's token from where the shipment is: heartbeat, packed or rejected."""
    token = shipment.request_token
    if token is None:
        return False
    match shipment.status:
        case ShipmentStatus.ACCEPTED | ShipmentStatus.PICKED:
            return signals.heartbeat(token)
        case ShipmentStatus.REJECTED:
            return signals.fail(token, REJECTED_ERROR, shipment.rejected_reason or "rejected by the node")
        case ShipmentStatus.REQUESTED:
            return False
        case _:
            parcel = asdict(shipment.parcel) if shipment.parcel else None
            return signals.succeed(token, {"shipment_id": shipment.shipment_id, "parcel": parcel})


def answer_delivery(shipment: Shipment, signals: TaskSignals) -> bool:
    """Ends the wait for delivery once the shipment is delivered (or collected)."""
    if shipment.delivery_token is None or shipment.status != ShipmentStatus.DELIVERED:
        return False
    return signals.succeed(shipment.delivery_token, {"shipment_id": shipment.shipment_id, "delivered": True})
