"""The outside world as the use cases see it. Adapters in shared/adapters implement these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from shared.records import record

# Only annotations name these: a handler importing its ports does not load every domain module.
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from shared.analytics.result import ReportResult
    from shared.domain.audit import Stamp
    from shared.domain.facts import Fact
    from shared.domain.inventory import (
        AdjustmentType,
        AppliedAdjustment,
        ReorderSuggestion,
        Reservation,
        StockChange,
        StockLevel,
    )
    from shared.domain.order import Order
    from shared.domain.payment import PaymentIntent
    from shared.domain.principal import Principal
    from shared.domain.refund_ledger import LedgerEntry, Owed, RefundStatus, StripeRefund
    from shared.domain.routing import Node, Policy
    from shared.domain.shards import Move, Shard
    from shared.domain.shipping import Label, LabelRequest, RateQuote


T = TypeVar("T")


@record
class Page(Generic[T]):
    """One page of a listing, in its order, and where the next one starts (None: nothing follows)."""

    items: list[T]
    after: str | None


@record
class CaptureRecord:
    """What (channel, external_id) was first captured as: the body's hash and the order as answered."""

    order_id: str
    body_hash: str
    snapshot: Order


class DuplicateCapture(Exception):
    """(channel, external_id) is already taken; carries what took it."""

    def __init__(self, record: CaptureRecord) -> None:
        super().__init__(record.order_id)
        self.record = record


class AdjustmentReplay(Exception):
    def __init__(self, body_hash: str) -> None:
        super().__init__(body_hash)
        self.body_hash = body_hash


class StockChanged(Exception):
    """A condition on the stock failed: not enough units, or it changed since it was read."""


class OrderRepository(Protocol):
    def add(self, order: Order, body_hash: str) -> None:
        """Stores a new order and its capture record atomically; DuplicateCapture if taken."""

    def get(self, order_id: str) -> Order | None: ...

    def find_capture(self, channel: str, external_id: str) -> CaptureRecord | None: ...

    def save(self, order: Order) -> None:
        """Stores changes if nobody saved since it was read (order.version), else ConcurrentUpdate."""


class Workflow(Protocol):
    def execution_arn(self, name: str) -> str: ...

    def start(self, name: str, payload: dict[str, Any]) -> None:
        """Starts the execution named `name`; starting it again is a no-op."""

    def stop(self, execution_arn: str, cause: str) -> bool:
        """Stops a running execution; False when it had already ended."""

    def running(self, name: str) -> bool:
        """Whether the execution named `name` exists and is still running."""


class PaymentGateway(Protocol):
    def get_intent(self, intent_id: str) -> PaymentIntent | None:
        """None when Stripe says it does not exist; PaymentProviderUnavailable when Stripe is down."""

    def capture(self, intent_id: str, amount: int) -> PaymentIntent:
        """Captures an authorized (requires_capture) intent; an intent already captured is answered as it is."""

    def void(self, intent_id: str) -> None:
        """Releases an authorization never captured (cancels the intent); harmless if it is gone already."""


class PaymentClaims(Protocol):
    def claim(self, payment_intent: str, order_id: str) -> str:
        """Claims the PaymentIntent for the order with a conditional write; returns the order that
        holds it (this one, also when claimed before, or the one that claimed it first)."""


class Mailer(Protocol):
    def send(self, template: str, to: str, data: dict[str, Any]) -> str:
        """Sends a templated email; returns the provider's message id."""


@record
class KeyRecord:
    """An API key as stored (never the key itself): whose it is, who created it and who revoked it."""

    key_id: str  # the start of the key's hash: tells a principal's keys apart
    principal: Principal
    created: Stamp | None  # None for keys created before the audit trail
    revoked: Stamp | None


class KeyStore(Protocol):
    def put(self, key_hash: str, principal: Principal, created: Stamp | None = None) -> None: ...

    def get(self, key_hash: str) -> Principal | None: ...

    def revoke(self, principal_id: str, by: Stamp | None = None) -> int:
        """Revokes every key of the principal, recording who did it; returns how many were revoked."""

    def records(self) -> list[KeyRecord]:
        """Every key, revoked ones too."""


class Clock(Protocol):
    def now(self) -> datetime: ...


# --- inventory, by role: the DynamoDB adapter implements them all; a use case names what it uses ----


class StockLevels(Protocol):
    def stock_of(self, sku: str) -> list[StockLevel]: ...

    def stock_for(self, skus: Iterable[str], consistent: bool = True) -> dict[tuple[str, str], StockLevel]:
        """Every node's stock of these skus; `consistent=False` may miss the last second's writes."""

    def levels_at(self, node_id: str, skus: Iterable[str]) -> dict[str, StockLevel]:
        """Stock of these skus at one node (zero where none was ever received)."""


class StockAdjustments(Protocol):
    def adjust(
        self,
        reference: str,
        body_hash: str,
        node_id: str,
        changes: list[StockChange],
        at: datetime,
        stamp: Stamp | None = None,
        kind: AdjustmentType | None = None,
    ) -> None:
        """All changes or none; AdjustmentReplay if the reference was used, StockChanged if a condition failed.
        `stamp` and `kind` are kept with the reference: who made the adjustment, why, and of what type."""

    def adjustment_hash(self, reference: str) -> str | None: ...


class StockShards(Protocol):
    """A hot (sku, node)'s stock split over several items (docs/hot-sku.md)."""

    def shards_of(self, sku: str, node_id: str) -> tuple[StockLevel, list[Shard]]:
        """The (sku, node)'s level (the sums) and each shard's counters, read consistently."""

    def set_shards(self, sku: str, node_id: str, count: int) -> bool:
        """Sets the shard count; False (nothing changed) when it has more already: it only rises."""

    def move_units(self, sku: str, node_id: str, move: Move) -> bool:
        """Moves units between two shards if the source can still promise them; False when it cannot."""


class AdjustmentLog(Protocol):
    def adjustment(self, reference: str) -> AppliedAdjustment | None: ...


class HeldReservations(Protocol):
    """What compensation settles: an order's reservations, released or consumed."""

    def reservations(self, order_id: str) -> list[Reservation]: ...

    def release(self, reservation: Reservation) -> bool:
        """Gives the units (and the day's shipment) back; False if already released or consumed."""

    def consume(self, reservation: Reservation) -> bool:
        """The units left the building; False if already released or consumed."""


class Reservations(HeldReservations, Protocol):
    def reserve(self, order_id: str, node_id: str, quantities: dict[str, int], day: str, capacity: int | None) -> bool:
        """Atomically at one node; False (nothing written) when stock or capacity ran out."""


class Capacity(Protocol):
    def capacity_used(self, node_ids: Iterable[str], day: str) -> dict[str, int]: ...


class Reorders(Protocol):
    def suggest_reorder(self, suggestion: ReorderSuggestion, at: datetime) -> bool:
        """Records an open suggestion unless one is already open for the (sku, node)."""

    def close_reorder(self, sku: str, node_id: str) -> None: ...

    def reorder_suggestions(self, limit: int, after: str | None = None) -> Page[dict[str, Any]]:
        """Up to `limit` open suggestions by (sku, node), after the position "<sku>#<node>" `after`."""


class Backorders(Protocol):
    def add_backorder(self, order_id: str, skus: Iterable[str], priority: int, created_at: datetime) -> None: ...

    def remove_backorder(self, order_id: str, skus: Iterable[str], priority: int, created_at: datetime) -> None: ...

    def backorders(self, sku: str) -> list[str]:
        """Backordered order ids for the sku, in allocation order: priority, then oldest first."""


class RoutingLease(Protocol):
    def claim(self, order_id: str, owner: str, now: float, lease_s: int) -> bool:
        """The order's routing lease: one attempt at a time routes and reserves an order. The holder
        may claim again to extend it; False while another attempt holds an unexpired one."""

    def unclaim(self, order_id: str, owner: str) -> None: ...


class Routing(StockLevels, Reservations, Capacity, Reorders, RoutingLease, Protocol):
    """What routing and reserving an order reads and writes."""


class Allocation(Routing, Backorders, Protocol):
    """Routing plus the backorder queue: reserving an order, and offering arrived stock to backorders."""


class StockKeeping(StockLevels, StockAdjustments, Reorders, Protocol):
    """What receiving and adjusting stock reads and writes."""


class Inventory(Allocation, StockAdjustments, AdjustmentLog, StockShards, Protocol):
    """Every inventory role at once, as the DynamoDB adapter implements them."""


class Nodes(Protocol):
    def put(self, node: Node) -> bool: ...

    def get(self, node_id: str) -> Node | None: ...

    def all(self, *, fresh: bool = False) -> list[Node]:
        """Every node; `fresh` asks past any copy kept in this environment."""
        ...


class NodeRegistry(Nodes, Protocol):
    """The node directory as the API keeps it: also listed a page at a time."""

    def page(self, limit: int, after: str | None = None) -> Page[Node]:
        """Up to `limit` nodes by id, after the node id `after`."""


class Policies(Protocol):
    def get(self, channel: str) -> Policy: ...

    def put(self, channel: str, policy: Policy) -> None: ...


class RestockNotifier(Protocol):
    def stock_arrived(self, skus: Iterable[str]) -> None:
        """Asks for the backorders of these skus to be re-evaluated (asynchronously)."""


class Carrier(Protocol):
    name: str

    def quote(self, request: LabelRequest) -> list[RateQuote]:
        """Every service the carrier offers for this parcel; CarrierRejected if none, CarrierUnavailable if down."""

    def buy(self, request: LabelRequest, quote: RateQuote) -> Label:
        """Buys the label and stores its PDF; buying again for the same shipment returns the first label."""


class TaskSignals(Protocol):
    """Answers a state machine waiting on a task token. False when nobody waits on it any more."""

    def succeed(self, token: str, output: dict[str, Any]) -> bool: ...

    def fail(self, token: str, error: str, cause: str) -> bool: ...

    def heartbeat(self, token: str) -> bool: ...


class FulfilmentRequests(Protocol):
    def send(self, node_id: str, request: dict[str, Any]) -> None:
        """Puts a fulfilment request on the queue the node's warehouse system reads."""


# The longest a SigV4 presigned link may be valid (and in AWS no longer than the signing session).
PRESIGN_MAX_S = 7 * 24 * 3600


class DocumentStore(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def url(self, key: str, expires_s: int = 3600) -> str:
        """A time-limited download link (presigned)."""


# --- refunds ---------------------------------------------------------------------------------------


@record
class LedgerQuery:
    """Entries created in [since, until), by status and order: an order, a start time or status
    PENDING names the partitions a listing reads (without `until`, up to now)."""

    status: RefundStatus | None = None
    order_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class RefundLedger(Protocol):
    def open(self, entry: LedgerEntry, captured: int) -> LedgerEntry:
        """Records a PENDING refund and counts it against `captured`, atomically; returns the entry
        first recorded under its idempotency key (a replay adds nothing); RefundExceedsCaptured if the
        PaymentIntent's total refunded would exceed `captured`."""

    def settle(
        self,
        refund_id: str,
        status: RefundStatus,
        stripe_refund_id: str | None,
        failure_reason: str | None,
        at: datetime,
    ) -> LedgerEntry:
        """PENDING -> SUCCEEDED/FAILED; the same outcome again is a no-op; FAILED frees its amount."""

    def find(self, idempotency_key: str) -> LedgerEntry | None: ...

    def get(self, refund_id: str) -> LedgerEntry | None: ...

    def by_stripe_refund(self, stripe_refund_id: str) -> LedgerEntry | None: ...

    def list(
        self,
        status: RefundStatus | None = None,
        order_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LedgerEntry]:
        """Every entry the query matches, oldest first (for a bounded range: an order, a period)."""

    def page(self, query: LedgerQuery, limit: int, after: str | None = None) -> Page[LedgerEntry]:
        """Up to `limit` entries oldest first, after the position `after` (a sort key, or the day a
        partition starts), from a bounded number of Queries: a page may hold fewer than `limit` while
        `after` is set. ValueError when the query names no partition (an order, a start, PENDING)."""

    def totals(self, payment_intent: str) -> tuple[int, int]:
        """(captured, refunded) on the PaymentIntent."""

    def owe(self, order_id: str, cause_id: str, at: datetime) -> None:
        """Records that (order, cause) owes a refund not opened yet; again keeps the first record.
        Opening the cause's entry discharges it in the same transaction."""

    def discharge(self, order_id: str, cause_id: str) -> None:
        """Nothing turned out owed (or the entry exists): the record goes."""

    def owed(self) -> Sequence[Owed]:
        """Every refund owed and not opened yet, oldest first."""


class RefundGateway(Protocol):
    def refund(self, entry: LedgerEntry) -> StripeRefund:
        """The provider's refund for this entry, created at most once; PaymentProviderUnavailable on
        an outage, RefundRejected when refused for good."""

    def list_refunds(self, created_gte: datetime, created_lt: datetime) -> list[StripeRefund]: ...


class ReportStore(Protocol):
    """Where reports (reconciliations) are kept: objects by key, downloaded through presigned links."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such key."""

    def url(self, key: str, expires_s: int = 3600) -> str:
        """A time-limited download link (presigned)."""


class FactSink(Protocol):
    """Where new analytics facts go (the Firehose delivery stream in AWS and on the embedded stack)."""

    def put(self, facts: Sequence[Fact]) -> None: ...


class FactFiles(Protocol):
    """Fact objects in the store, written directly (a backfill writes each order's facts per hour)."""

    def write(self, partition: str, name: str, facts: Sequence[Fact]) -> bool:
        """Writes facts/<partition>/<name>.json; False when the same object was already there."""


class ReportEngine(Protocol):
    """Runs one report's SQL (Athena/Trino dialect) over the facts in scope."""

    def run(self, sql: str) -> ReportResult: ...
