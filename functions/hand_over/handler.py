"""State-machine task: the parcel ships (or waits for pickup); stock is consumed and the customer told once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.adapters.dynamodb_inventory import DynamoDBInventory
from shared.adapters.dynamodb_nodes import DynamoDBNodes
from shared.adapters.dynamodb_orders import DynamoDBOrders
from shared.adapters.ses_mailer import SesMailer
from shared.adapters.stripe_payments import StripePayments, stripe_from_secret
from shared.adapters.system import SystemClock
from shared.aws import client
from shared.exactly_once import once_per
from shared.logging import masked_logger
from shared.settings import HandOverSettings
from shared.usecases.capture_payment import capture_for_shipping
from shared.usecases.hand_over import hand_over
from shared.usecases.notify import send_shipment_email

settings = HandOverSettings.from_env()
logger = masked_logger()
orders = DynamoDBOrders(client("dynamodb"), settings.orders_table)
inventory = DynamoDBInventory(client("dynamodb"), settings.inventory_table)
nodes = DynamoDBNodes(client("dynamodb"), settings.inventory_table)  # the pickup store's address
mailer = SesMailer(client("ses"), settings.from_address, settings.shop_name)
clock = SystemClock()
# One email per (shipment, kind) even when two attempts race: the second finds the record in progress.
once, config = once_per(settings.idempotency_table, "key")


def payments() -> StripePayments:
    return StripePayments(stripe_from_secret(settings.stripe_secret, settings.stripe_api_base))


@once
def email(task: dict[str, Any]) -> dict[str, Any]:
    template = settings.pickup_template if task["kind"] == "ready_for_pickup" else settings.shipped_template
    message_id = send_shipment_email(
        task["order_id"],
        task["shipment_id"],
        task["kind"],
        orders=orders,
        mailer=mailer,
        template=template,
        clock=clock,
        nodes=nodes,
    )
    return {"message_id": message_id}


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config.register_lambda_context(context)
    order_id, shipment_id = event["order_id"], event["shipment_id"]
    logger.append_keys(order_id=order_id, shipment_id=shipment_id)
    # the money is taken as the goods leave (an authorization is captured at the first hand-over)
    capture_for_shipping(order_id, orders=orders, payments=payments(), clock=clock)
    shipment = hand_over(order_id, shipment_id, orders=orders, inventory=inventory, clock=clock)
    kind = "ready_for_pickup" if shipment.method == "pickup" else "shipped"
    sent = email(task={"key": f"{shipment_id}#{kind}", "order_id": order_id, "shipment_id": shipment_id, "kind": kind})
    logger.info("shipment handed over", status=shipment.status.value, message_id=sent["message_id"])
    return {"status": shipment.status.value, "message_id": sent["message_id"]}
