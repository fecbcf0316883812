"""Shipment routes of HTTP API v1: what a node's warehouse system reads about its own shipments (ops
and admin read any): the shipment with its label, and each document as a redirect to a freshly
presigned download, so the links a node is sent never expire. Another node's shipment is 404."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import Field

from functions.orders_api.routes import OrdersPorts
from shared import http
from shared.domain.order import Order
from shared.domain.principal import Kind, Principal
from shared.domain.shipment import Shipment
from shared.schemas.order_view import AddressView, shipment_view
from shared.schemas.shipment_view import ShipmentView

ShipmentIdPath = Annotated[
    str, Path(pattern=r"^ord_[0-9a-z]{1,64}-S[0-9]{1,4}$", description="The shipment id in the fulfilment request")
]
Document = Literal["label", "pick_list", "packing_slip"]
# long enough to follow the redirect, short enough that a leaked link is soon worthless
REDIRECT_LINK_S = 300


class NodeShipmentView(ShipmentView):
    """A shipment as its node reads it: with the order's reference and where it goes."""

    order_id: str
    order_ref: str = Field(description="The channel's order id (printed on the label)")
    ship_to: AddressView | None


def _find(ports: OrdersPorts, who: Principal, shipment_id: str) -> tuple[Order, Shipment] | None:
    order = ports.orders.get(shipment_id.rpartition("-S")[0])
    shipment = next((s for s in order.shipments if s.shipment_id == shipment_id), None) if order else None
    if order is None or shipment is None:
        return None
    if who.kind == Kind.WAREHOUSE and shipment.node_id not in who.nodes:
        return None  # another node's shipment is answered exactly like a missing one
    return order, shipment


def register(app: APIGatewayRestResolver) -> None:
    def found(shipment_id: str) -> tuple[OrdersPorts, Order, Shipment] | Response[Any]:
        ports: OrdersPorts = app.context["ports"]
        hit = _find(ports, app.context["principal"], shipment_id)
        if hit is None:
            return http.error(404, "not_found", f"shipment {shipment_id} not found")
        return ports, *hit

    @app.get(
        "/v1/shipments/<shipment_id>",
        summary="Read a shipment of one's own node",
        description="A warehouse key reads the shipments of its own nodes: the label once bought (the node is "
        "also sent it on the fulfilment topic), the parcel, the documents, and `links` that never expire.",
        responses={
            200: {"description": "The shipment", "content": {"application/json": {"model": NodeShipmentView}}},
            **http.documented_errors(401, 403, 404, 422),
        },
        tags=["fulfilment"],
        operation_id="get_shipment",
    )
    def get_shipment(shipment_id: ShipmentIdPath) -> Response[Any]:
        hit = found(shipment_id)
        if isinstance(hit, Response):
            return hit
        ports, order, shipment = hit
        view = NodeShipmentView(
            **shipment_view(shipment, ports.documents.url).model_dump(),
            order_id=order.order_id,
            order_ref=order.external_id,
            ship_to=AddressView(**vars(order.ship_to)) if order.ship_to else None,
        )
        return Response(200, content_types.APPLICATION_JSON, view.model_dump_json())

    @app.get(
        "/v1/shipments/<shipment_id>/documents/<document>",
        summary="Download a shipment's label, pick list or packing slip",
        description=f"A stable link: answers 302 with a download link presigned for {REDIRECT_LINK_S} seconds. "
        "404 while the document does not exist yet (the label is bought right after `packed`).",
        responses={
            302: {"description": "Redirect to the document", "headers": {"Location": http.LOCATION}},
            **http.documented_errors(401, 403, 404, 422),
        },
        tags=["fulfilment"],
        operation_id="get_shipment_document",
    )
    def get_shipment_document(
        shipment_id: ShipmentIdPath, document: Annotated[Document, Path(description="Which document")]
    ) -> Response[Any]:
        hit = found(shipment_id)
        if isinstance(hit, Response):
            return hit
        ports, _, shipment = hit
        key = (
            shipment.label.document_key if document == "label" and shipment.label else shipment.documents.get(document)
        )
        if key is None:
            return http.error(404, "not_found", f"shipment {shipment_id} has no {document} yet")
        url = ports.documents.url(key, REDIRECT_LINK_S)
        return Response(302, content_types.APPLICATION_JSON, "", headers={"Location": url, "Cache-Control": "no-store"})
