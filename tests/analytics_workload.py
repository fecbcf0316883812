"""A seeded workload with known times: five orders from three channels over two nodes, with a split,
a backorder, a cancellation by ops, three returns (two received), one delivery exception and three
refunds, driven through the real order domain with an injected clock.

Every change is kept as (old image, new image), as the orders table's stream delivers it, so tests
can derive facts the way the stream function does and compare them with a backfill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shared.domain import order as order_domain
from shared.domain.facts import Fact, new_facts, order_facts, refund_facts
from shared.domain.order import Customer, Delivery, Order, place
from shared.domain.refund_ledger import LedgerEntry, RefundReason, RefundStatus
from shared.domain.routing import Allocation, RoutingDecision
from shared.domain.shipment import EventType, ShipmentEvent
from shared.domain.shipping import Label, Parcel
from shared.domain.values import Address

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PARCEL = Parcel(900, 30, 20, 10)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@dataclass
class Workload:
    orders: dict[str, Order] = field(default_factory=dict)
    # (old, new) per change, in the order they happened
    changes: list[tuple[Order | None, Order]] = field(default_factory=list)
    refunds: list[LedgerEntry] = field(default_factory=list)

    def _saved(self, order: Order, old: Order | None) -> None:
        self.changes.append((old, order_domain.copy(order)))

    def new(
        self, order_id: str, channel: str, lines: list[tuple[str, int, int]], shipping: int, t: int, **kw: str
    ) -> Order:
        order = place(
            order_id=order_id,
            channel=channel,
            external_id=f"X-{order_id}",
            currency="USD",
            customer=Customer("someone@example.com", "Some One"),
            ship_to=Address("Some One", "1 Main St", "Austin", "TX", "73301", "US"),
            lines=lines,
            shipping_amount=shipping,
            tax_amount=0,
            payment_intent=f"pi_{order_id}",
            delivery=Delivery("ship", kw.get("service_level", "standard")),
            at=at(t),
        )
        self.orders[order_id] = order
        self._saved(order, None)
        return order

    def step(self, order: Order, change: object) -> None:
        """Applies `change` (a callable on the order) and records the images before and after."""
        old = order_domain.copy(order)
        assert callable(change)
        change(order)
        self._saved(order, old)

    def reserve(self, order: Order, t: int, *allocations: tuple[str, str, str, int]) -> None:
        decision = RoutingDecision("allocated", tuple(Allocation(*a) for a in allocations), (), (), 2, "seeded")
        self.step(order, lambda o: o.apply_routing(decision, 100, at(t)))

    def ship(self, order: Order, sid: str, packed: int, label: tuple[int, int], shipped: int) -> None:
        for kind in ("accepted", "picked", "packed"):
            event = ShipmentEvent(f"{sid}-{kind}", EventType(kind), at(packed), PARCEL if kind == "packed" else None)
            self.step(order, lambda o, e=event: o.shipment_event(sid, e, at(packed)))
        label_at, amount = label
        bought = Label("sandbox", "ground", f"TRK{sid}", "https://t.example/x", amount, "USD", f"labels/{sid}.pdf")

        def labelled(o: Order) -> None:
            o.shipment(sid).labelled(bought)
            o.shipment_labelled(sid, at(label_at))

        self.step(order, labelled)
        self.step(order, lambda o: o.hand_over(sid, at(shipped)))

    def carrier(self, order: Order, sid: str, kind: str, t: int) -> None:
        event = ShipmentEvent(f"{sid}-{kind}-{t}", EventType(kind), at(t), detail="seeded")
        self.step(order, lambda o: o.shipment_event(sid, event, at(t)))

    def refund(self, order_id: str, reason: RefundReason, amount: int, t: int) -> None:
        self.refunds.append(
            LedgerEntry(
                refund_id=f"re_{order_id}_{reason.value}",
                order_id=order_id,
                payment_intent=f"pi_{order_id}",
                amount=amount,
                currency="USD",
                reason=reason,
                cause_id=f"cause-{order_id}",
                idempotency_key=f"key-{order_id}-{reason.value}",
                status=RefundStatus.SUCCEEDED,
                stripe_refund_id=f"re_stripe_{order_id}",
                failure_reason=None,
                created_at=at(t - 5),
                settled_at=at(t),
            )
        )

    def stream_facts(self) -> list[Fact]:
        """What the stream function emits: each change's new facts, then each refund once settled."""
        facts = [f for old, new in self.changes for f in new_facts(old, new)]
        for entry in self.refunds:
            pending = LedgerEntry(**{**vars(entry), "status": RefundStatus.PENDING, "settled_at": None})
            facts += refund_facts(None, pending) + refund_facts(pending, entry)
        return facts

    def backfill_facts(self) -> list[Fact]:
        facts = [f for o in self.orders.values() for f in order_facts(o)]
        return facts + [f for e in self.refunds for f in refund_facts(None, e)]


def seeded() -> Workload:
    w = Workload()
    verify = lambda t: lambda o: o.verify_payment(at(t), o.totals.grand_total)  # noqa: E731

    # O1 web: one node, a delivery exception that clears, a return received
    o1 = w.new("O1", "web", [("A", 2, 1000)], 500, 0)
    w.step(o1, verify(1))
    w.reserve(o1, 5, ("dc-east", "L1", "A", 2))
    w.step(o1, lambda o: o.release(at(10)))
    w.ship(o1, "O1-S1", packed=60, label=(65, 700), shipped=70)
    w.carrier(o1, "O1-S1", "delivery_exception", 800)
    w.carrier(o1, "O1-S1", "in_transit", 900)
    w.carrier(o1, "O1-S1", "delivered", 1510)
    w.step(o1, lambda o: o.open_return({"L1": 1}, "damaged", at(2000)))
    w.step(o1, lambda o: o.receive_return("O1-R1", "rr-1", {"L1": (0, 1)}, "dc-east", at(2500)))
    w.refund("O1", RefundReason.RETURN, 1000, 2600)

    # O2 web: split over both nodes, a return received
    o2 = w.new("O2", "web", [("A", 1, 1000), ("B", 1, 2000)], 600, 1)
    w.step(o2, verify(2))
    w.reserve(o2, 5, ("dc-east", "L1", "A", 1), ("dc-west", "L2", "B", 1))
    w.step(o2, lambda o: o.release(at(10)))
    w.ship(o2, "O2-S1", packed=40, label=(45, 400), shipped=50)
    w.carrier(o2, "O2-S1", "delivered", 490)
    w.ship(o2, "O2-S2", packed=100, label=(120, 500), shipped=130)
    w.carrier(o2, "O2-S2", "delivered", 730)
    w.step(o2, lambda o: o.open_return({"L2": 1}, "wrong_size", at(1000)))
    w.step(o2, lambda o: o.receive_return("O2-R1", "rr-2", {"L2": (1, 0)}, "dc-west", at(1200)))
    w.refund("O2", RefundReason.RETURN, 2000, 1300)

    # O3 pos: backordered, reserved once stock arrived, shipped late (25 h after release), a return on its way
    o3 = w.new("O3", "pos", [("B", 3, 2000)], 0, 2)
    w.step(o3, verify(3))
    backorder = RoutingDecision("backorder", (), (("L1", 3),), (), 2, "no node holds 3 B")
    w.step(o3, lambda o: o.apply_routing(backorder, 100, at(5)))
    w.reserve(o3, 125, ("dc-west", "L1", "B", 3))
    w.step(o3, lambda o: o.release(at(130)))
    w.ship(o3, "O3-S1", packed=1600, label=(1620, 800), shipped=1630)
    w.carrier(o3, "O3-S1", "delivered", 2500)
    w.step(o3, lambda o: o.open_return({"L1": 1}, "damaged", at(3000)))

    # O4 marketplace: cancelled by ops before it left, refunded
    o4 = w.new("O4", "marketplace", [("C", 1, 500)], 300, 3)
    w.step(o4, verify(4))
    w.reserve(o4, 5, ("dc-east", "L1", "C", 1))
    w.step(o4, lambda o: o.release(at(10)))
    w.step(o4, lambda o: o.cancel("customer request", "ops:olga", at(20)))
    w.refund("O4", RefundReason.CANCELLATION, 800, 30)

    # O5 marketplace, express: quick
    o5 = w.new("O5", "marketplace", [("C", 2, 500)], 400, 4, service_level="express")
    w.step(o5, verify(5))
    w.reserve(o5, 6, ("dc-east", "L1", "C", 2))
    w.step(o5, lambda o: o.release(at(10)))
    w.ship(o5, "O5-S1", packed=30, label=(40, 300), shipped=45)
    w.carrier(o5, "O5-S1", "delivered", 1500)
    return w
