"""A warehouse and a carrier for the embedded stack, so orders really move to DELIVERED.

The warehouse simulator subscribes one queue per node to the fulfilment topic (a filter policy on
node_id), reads its fulfilment requests and labels there and answers on the
events queue (accepted, picked, packed), as a warehouse system would; for pickup orders it reports
the customer collecting through the API. The carrier simulator watches the labels the sandbox
carrier stores and posts tracking events through the API with the carrier key; a return label's
parcel is brought back to its warehouse, which reports it received (return_received). The carrier
hears of each label from the documents bucket's event notifications, on a queue of its own.

Like Stripe's test cards, `ship_to.line2` can carry test instructions:
  sim:reject             every node rejects the shipment (no stock on the shelf)
  sim:reject@<node>      only that node rejects (the lines are re-routed)
  sim:silent             the warehouse never answers (the task times out)
  sim:silent@<node>      only that node never answers
  sim:delivery-exception the carrier reports a delivery exception before delivering
  sim:carrier-down       the sandbox carrier refuses to sell labels (see shared/adapters/sandbox_carrier.py)
  sim:damaged            a returned parcel arrives damaged (refunded, not restocked)
  sim:partial-return     a return arrives in two parcels: one unit of each line, then the rest
  sim:no-show            the customer never collects a pickup order (it times out at the store)
Random failures: WAYBILL_SIM_REJECT_RATE and WAYBILL_SIM_EXCEPTION_RATE (0 to 1, default 0);
WAYBILL_SIM_REPLAY_RATE sends that share of events twice, as a system that did not hear the answer does.
WAYBILL_SIM_STEP_S sets the pause between steps (default 0.3); WAYBILL_SIMULATORS=off switches both off.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import boto3
import requests

from devstack.order_changes import OrderChanges

log = logging.getLogger("devstack.simulators")


@dataclass(frozen=True)
class SimulatorSettings:
    enabled: bool = True
    step_s: float = 0.3
    reject_rate: float = 0.0
    exception_rate: float = 0.0
    replay_rate: float = 0.0

    @classmethod
    def from_env(cls) -> SimulatorSettings:
        return cls(
            enabled=os.environ.get("WAYBILL_SIMULATORS", "on").lower() not in ("off", "0", "false", "no"),
            step_s=float(os.environ.get("WAYBILL_SIM_STEP_S", "0.3")),
            reject_rate=float(os.environ.get("WAYBILL_SIM_REJECT_RATE", "0")),
            exception_rate=float(os.environ.get("WAYBILL_SIM_EXCEPTION_RATE", "0")),
            replay_rate=float(os.environ.get("WAYBILL_SIM_REPLAY_RATE", "0")),
        )


def _polls(first_s: float = 0.05, cap_s: float = 0.5) -> Iterator[float]:
    """Waits between reads of an order that is still moving: quick at first (most steps finish in
    well under a second), then backing off, so a busy stack is not read several times a second for
    every parcel in flight (those reads were most of the emulated DynamoDB's requests)."""
    wait = first_s
    while True:
        yield wait
        wait = min(cap_s, wait * 2)


LABELS_NOTIFICATION = "waybill-carrier-labels"  # the documents bucket's notification the carrier adds

# With the orders stream to wait on, an order is read again after this long even if no change was seen.
CHANGE_FALLBACK_S = 10.0


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _Api:
    """POSTs an event; while the shipment is not ready for it (409 out_of_order) it tries again.

    A request that times out or cannot connect (a stack busy with a thousand orders) is not the
    end of that parcel's simulation: a read answers None (not ready yet: read again), an event is
    sent again, as a WMS would; events carry their `event_id`, so one that did land is a duplicate."""

    def __init__(
        self,
        base: str,
        key: str,
        stop: threading.Event,
        patience_s: float = 120.0,
        replay_rate: float = 0.0,
        timeout_s: float = 30.0,
    ) -> None:
        self._base, self._key, self._stop, self._patience = base, key, stop, patience_s
        self._replay_rate, self._timeout = replay_rate, timeout_s
        self._rng = random.Random()  # noqa: S311 - decides which events are sent twice

    def get(self, path: str) -> dict[str, Any] | None:
        try:
            r = requests.get(
                f"{self._base}{path}", headers={"Authorization": f"Bearer {self._key}"}, timeout=self._timeout
            )
        except requests.RequestException as err:
            log.info("simulated read of %s did not answer (%s): read again later", path, type(err).__name__)
            return None
        return r.json() if r.status_code == 200 else None

    def post_event(self, event: dict[str, Any]) -> bool:
        deadline = time.monotonic() + self._patience
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                r = self._post(event)
            except requests.RequestException as err:
                log.info("simulated %s did not answer (%s): sent again", event["type"], type(err).__name__)
                self._stop.wait(0.25)
                continue
            if r.status_code == 200:
                if self._replay_rate and self._rng.random() < self._replay_rate:
                    self._replay(event)
                return True
            code = r.json().get("error", {}).get("code") if r.content else None
            # out of order: an earlier event is still being applied; 5xx ("safe to retry", e.g. the
            # order was saved concurrently too often): a WMS sends the event again, so the simulator does
            retry = (r.status_code == 409 and code == "out_of_order") or r.status_code >= 500
            if not retry:
                # return events name their RMA, not a shipment
                about = event.get("shipment_id") or event.get("rma_id")
                log.warning("simulated %s for %s refused: %s %s", event["type"], about, r.status_code, r.text)
                return False
            self._stop.wait(0.25)
        return False

    def _post(self, event: dict[str, Any]) -> requests.Response:
        return requests.post(
            f"{self._base}/v1/fulfillment-events",
            json=event,
            headers={"Authorization": f"Bearer {self._key}"},
            timeout=self._timeout,
        )

    def _replay(self, event: dict[str, Any]) -> None:
        """The same event again: it must be answered `duplicate` and change nothing."""
        try:
            r = self._post(event)
        except requests.RequestException:
            return  # a replay that does not answer tests nothing
        if r.status_code == 200 and r.json().get("outcome") != "duplicate":
            log.warning("replayed %s for %s was applied again: %s", event["type"], event["shipment_id"], r.text)


class _Simulator:
    def __init__(self, name: str, settings: SimulatorSettings) -> None:
        self.settings = settings
        self.sent: dict[str, int] = {}
        self._stop = threading.Event()
        self._rng = random.Random()  # noqa: S311 - decides simulated failures, not secrets
        self._thread = threading.Thread(target=self._loop, name=f"sim-{name}", daemon=True)
        self._lock = threading.Lock()
        self._reader: _Api
        # set by the stack when the orders table's stream is read: an order is read again once it changed
        self.changes: OrderChanges | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # keep simulating, but say why
                log.exception("simulator poll failed")
                self._stop.wait(1)

    def poll(self) -> None:
        raise NotImplementedError

    def _order_when(self, order_id: str, ready: Callable[[dict[str, Any]], bool], patience_s: float) -> dict[str, Any]:
        """The order once `ready` holds for it (or as it is when patience runs out or the stack stops):
        seen again in each change the orders stream shows (read through the API when the stream has
        shown none, or none for a while), or read on a backing-off timer without the stream."""
        deadline, waits = time.monotonic() + patience_s, _polls()
        changed = True
        while True:
            seen = self.changes.version(order_id) if self.changes else 0
            streamed = self.changes.latest(order_id) if self.changes and changed else None
            order = streamed or self._reader.get(f"/v1/orders/{order_id}") or {}
            if ready(order) or self._stop.is_set() or time.monotonic() > deadline:
                return order
            if self.changes is not None:
                wait_s = min(CHANGE_FALLBACK_S, max(0.0, deadline - time.monotonic()))
                changed = self.changes.wait_past(order_id, seen, wait_s)
            else:
                self._stop.wait(next(waits))

    def _spawn(self, target: Any, *args: Any) -> None:
        threading.Thread(target=self._guarded, args=(target, *args), daemon=True).start()

    def _guarded(self, target: Any, *args: Any) -> None:
        try:
            target(*args)
        except Exception:
            log.exception("simulated step failed")

    def _pause(self) -> bool:
        """Waits one step; False when the stack is stopping."""
        return not self._stop.wait(self.settings.step_s * (0.5 + self._rng.random()))

    def _count(self, kind: str) -> None:
        with self._lock:
            self.sent[kind] = self.sent.get(kind, 0) + 1


def _shipment(order: dict[str, Any], shipment_id: str) -> dict[str, Any] | None:
    return next((s for s in order.get("shipments", []) if s["shipment_id"] == shipment_id), None)


# a shipment's statuses until its node hands the parcel over
_NOT_HANDED_OVER = frozenset({"REQUESTED", "ACCEPTED", "PICKED", "PACKED", "LABELLED"})

# the statuses a shipment is in until each warehouse event has been applied
_BEFORE = {
    "accepted": frozenset({"REQUESTED"}),
    "picked": frozenset({"REQUESTED", "ACCEPTED"}),
    "packed": frozenset({"REQUESTED", "ACCEPTED", "PICKED"}),
    "rejected": frozenset({"REQUESTED", "ACCEPTED", "PICKED"}),
}


class WarehouseSimulator(_Simulator):
    """One warehouse integration per node: each node's own queue is subscribed to the fulfilment topic
    with the filter policy {"node_id": [node]}, as a real integration would be, and read by its own
    thread. `watch` adds a node: the stack calls it when the API saves a node, before any order can
    be routed there."""

    def __init__(
        self,
        endpoint: str,
        region: str,
        topic_arn: str,
        events_url: str,
        api: str,
        keys: dict[str, Any],
        s: SimulatorSettings,
    ) -> None:
        super().__init__("warehouse", s)
        self._sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=region)
        self._sns = boto3.client("sns", endpoint_url=endpoint, region_name=region)
        self._topic_arn, self._events_url = topic_arn, events_url
        self._api = _Api(api, keys["admin"], self._stop, replay_rate=s.replay_rate)
        self._reader = _Api(api, keys["ops"], self._stop)
        self._nodes: dict[str, str] = {}  # node id -> its queue's URL
        self._nodes_lock = threading.Lock()
        self.labels: dict[str, dict[str, Any]] = {}  # shipment id -> the label message its node received

    def watch(self, node_id: str) -> None:
        with self._nodes_lock:
            if node_id in self._nodes:
                return
            url = self._sqs.create_queue(QueueName=f"waybill-wms-{node_id}")["QueueUrl"]
            arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self._sns.subscribe(
                TopicArn=self._topic_arn,
                Protocol="sqs",
                Endpoint=arn,
                Attributes={"FilterPolicy": json.dumps({"node_id": [node_id]}), "RawMessageDelivery": "true"},
            )
            self._nodes[node_id] = url
        threading.Thread(target=self._read, args=(node_id, url), name=f"sim-wms-{node_id}", daemon=True).start()

    def poll(self) -> None:
        self._stop.wait(1)  # each node's queue is read by its own thread (see watch)

    def _read(self, node_id: str, url: str) -> None:
        while not self._stop.is_set():
            try:
                # the longest poll SQS allows: an idle node costs a request every 20 s, not every second
                messages = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=20)
            except Exception:  # keep reading, but say why (unless the stack is stopping)
                if not self._stop.is_set():
                    log.exception("simulated warehouse %s could not read its queue", node_id)
                self._stop.wait(1)
                continue
            for m in messages.get("Messages", []):
                try:
                    self._sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    self._receive(node_id, json.loads(m["Body"]))
                except Exception:  # one message must not stop the node reading the next
                    log.exception("simulated warehouse %s could not handle a message", node_id)

    def _receive(self, node_id: str, body: dict[str, Any]) -> None:
        if body.get("node_id") != node_id:
            log.error("warehouse %s was sent node %s's %s", node_id, body.get("node_id"), body.get("type"))
            self._count("misdelivered")
        elif body.get("type") == "fulfilment_request":
            self._spawn(self._fulfil, body)
        elif body.get("type") == "label_ready":
            self.labels[body["shipment_id"]] = body
            self._count("label_ready")
        # fulfilment_cancelled and repack_requested: the shipment's next events are refused or not needed

    def _fulfil(self, request: dict[str, Any]) -> None:
        hint = (request.get("ship_to") or {}).get("line2") or ""
        node, shipment_id = request["node_id"], request["shipment_id"]
        if "sim:silent" in hint.split() or f"sim:silent@{node}" in hint.split():
            return
        base = {"shipment_id": shipment_id, "node_id": node}
        if not self._pause():
            return
        self._send({**base, "type": "accepted"})
        rejects = "sim:reject" in hint.split() or f"sim:reject@{node}" in hint.split()
        if rejects or self._rng.random() < self.settings.reject_rate:
            if self._pause():
                self._send({**base, "type": "rejected", "reason": "short on the shelf (simulated)"})
            return
        if not self._pause():
            return
        self._send({**base, "type": "picked"})
        if not self._pause():
            return
        units = sum(line["quantity"] for line in request["lines"])
        parcel = {
            "weight_grams": 250 + 350 * units,
            "length_cm": 30,
            "width_cm": 22,
            "height_cm": min(60, 4 + 4 * units),
        }
        self._send({**base, "type": "packed", "parcel": parcel})
        if request["method"] != "pickup" or "sim:no-show" in hint.split() or not self._pause():
            return
        # the customer turns up once the store has it ready (the API answers out_of_order until then)
        collected = {**base, "type": "collected", "event_id": f"{shipment_id}-collected", "occurred_at": _now()}
        if self._api.post_event(collected):
            self._count("collected")

    def _send(self, event: dict[str, Any]) -> None:
        event = {**event, "event_id": f"{event['shipment_id']}-{event['type']}", "occurred_at": _now()}
        self._sqs.send_message(QueueUrl=self._events_url, MessageBody=json.dumps(event))
        if self.settings.replay_rate and self._rng.random() < self.settings.replay_rate:
            # the same message twice, as SQS's at-least-once delivery may hand it over
            self._sqs.send_message(QueueUrl=self._events_url, MessageBody=json.dumps(event))
        self._count(event["type"])
        self._until_applied(event["shipment_id"], _BEFORE[event["type"]])

    def _until_applied(self, shipment_id: str, before: frozenset[str], patience_s: float = 15.0) -> None:
        """Like a warehouse system that sends its next update once the last was acknowledged: the
        queue's consumers run in parallel, so back-to-back events could otherwise arrive out of order
        and wait a visibility timeout for their redelivery."""

        def applied(order: dict[str, Any]) -> bool:
            shipment = _shipment(order, shipment_id)
            return shipment is not None and shipment["status"] not in before

        self._order_when(shipment_id.rpartition("-S")[0], applied, patience_s)


class CarrierSimulator(_Simulator):
    def __init__(
        self, endpoint: str, region: str, bucket: str, api: str, keys: dict[str, Any], s: SimulatorSettings
    ) -> None:
        super().__init__("carrier", s)
        self._s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)
        self._sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=region)
        self._bucket = bucket
        self._labels_url = ""  # the carrier's queue of the bucket's new labels (see start)
        self._api = _Api(api, keys["carrier"], self._stop, replay_rate=s.replay_rate)
        self._reader = _Api(api, keys["ops"], self._stop)
        # a returned parcel is handed to its warehouse, which reports what came back
        self._warehouse = _Api(api, keys["admin"], self._stop, replay_rate=s.replay_rate)
        self._seen: set[str] = set()

    def start(self) -> None:
        """Hears of each label from the bucket's event notifications (ObjectCreated under labels/,
        to a queue of its own): listing the bucket every half second read every label ever sold,
        a sixth of a busy stack's CPU after a few hundred orders, and more with every order."""
        url = self._sqs.create_queue(QueueName="waybill-carrier-labels")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        found = self._s3.get_bucket_notification_configuration(Bucket=self._bucket)
        config: dict[str, Any] = {k: v for k, v in found.items() if k != "ResponseMetadata"}
        labels = {
            "Id": LABELS_NOTIFICATION,
            "QueueArn": arn,
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "labels/"}]}},
        }
        others = [q for q in config.get("QueueConfigurations", []) if q.get("Id") != LABELS_NOTIFICATION]
        config["QueueConfigurations"] = [*others, labels]  # the bucket's other notifications are kept
        self._s3.put_bucket_notification_configuration(
            Bucket=self._bucket,
            NotificationConfiguration=config,  # type: ignore[arg-type]  # as read back, plus ours
        )
        self._labels_url = url
        threading.Thread(target=self._read, name="sim-carrier-labels", daemon=True).start()
        super().start()

    def poll(self) -> None:
        self._stop.wait(1)  # the labels' queue is read by its own thread (see start)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=self._labels_url, MaxNumberOfMessages=10, WaitTimeSeconds=20
                )
            except Exception:  # keep reading, but say why (unless the stack is stopping)
                if not self._stop.is_set():
                    log.exception("simulated carrier could not read its queue")
                self._stop.wait(1)
                continue
            for m in messages.get("Messages", []):
                try:
                    self._labelled(m)
                except Exception:  # one message must not stop the carrier hearing of the next
                    log.exception("simulated carrier could not read a label notification")

    def _labelled(self, message: Mapping[str, Any]) -> None:
        self._sqs.delete_message(QueueUrl=self._labels_url, ReceiptHandle=message["ReceiptHandle"])
        # S3 URL-encodes the key; its test event on configuration has no records
        for record in json.loads(message["Body"]).get("Records", []):
            key = unquote_plus(record["s3"]["object"]["key"])
            if key.startswith("labels/") and key not in self._seen:  # delivered at least once
                self._seen.add(key)
                self._spawn(self._deliver, key)

    def _deliver(self, key: str) -> None:
        meta = self._s3.head_object(Bucket=self._bucket, Key=key)["Metadata"]
        shipment_id = key.removeprefix("labels/").removesuffix(".pdf")
        if "-R" in shipment_id:
            self._bring_back(shipment_id)
            return
        order = self._handed_over(shipment_id)
        hint = (order.get("ship_to") or {}).get("line2") or ""
        steps = ["in_transit", "out_for_delivery", "delivered"]
        if "sim:delivery-exception" in hint or self._rng.random() < self.settings.exception_rate:
            steps = ["in_transit", "delivery_exception", "in_transit", "out_for_delivery", "delivered"]
        for i, step in enumerate(steps):
            if not self._pause():
                return
            event = {
                "event_id": f"{meta['tracking-number']}-{i}-{step}",
                "type": step,
                "shipment_id": shipment_id,
                "tracking_number": meta["tracking-number"],
                "occurred_at": _now(),
            }
            if step == "delivery_exception":
                event["detail"] = "address not found, will retry next business day (simulated)"
            if not self._api.post_event(event):
                return
            self._count(step)

    def _handed_over(self, shipment_id: str, patience_s: float = 30.0) -> dict[str, Any]:
        """The order once the parcel left the node: a carrier scans it only after the hand-over (the
        label is stored a moment before the shipment is SHIPPED, and the node is told in between)."""

        def left(order: dict[str, Any]) -> bool:
            # only a status past the hand-over: the stream's image of the order may be from before the label
            shipment = _shipment(order, shipment_id)
            return shipment is not None and shipment["status"] not in _NOT_HANDED_OVER

        return self._order_when(shipment_id.rpartition("-S")[0], left, patience_s)

    def _bring_back(self, rma_id: str) -> None:
        """A return label: the parcel reaches its warehouse, which reports what came back."""
        if not (self._pause() and self._pause()):
            return
        order = self._reader.get(f"/v1/orders/{rma_id.rpartition('-R')[0]}") or {}
        rma = next((r for r in order.get("returns", []) if r["rma_id"] == rma_id), None)
        if rma is None:
            return
        hint = (order.get("ship_to") or {}).get("line2") or ""
        condition = "damaged" if "sim:damaged" in hint else "resellable"
        asked = {line["line_id"]: line["quantity"] for line in rma["lines"]}
        parcels = [asked]
        if "sim:partial-return" in hint.split():
            first = {line_id: 1 for line_id in asked}
            parcels = [first, {line_id: qty - 1 for line_id, qty in asked.items() if qty > 1}]
        for n, units in enumerate(p for p in parcels if p):
            if n and not self._pause():
                return
            event = {
                "event_id": f"{rma_id}-received" + (f"-{n + 1}" if n else ""),
                "type": "return_received",
                "rma_id": rma_id,
                "node_id": rma["node_id"],
                "occurred_at": _now(),
                "lines": [
                    {"line_id": line_id, "quantity": qty, "condition": condition} for line_id, qty in units.items()
                ],
            }
            if self._warehouse.post_event(event):
                self._count("return_received")
