"""Shipping: what a label request is, carriers' quotes and labels, rate shopping, and the built-in
sandbox carrier's published rate sheet. Pure: no I/O, the adapters do that."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from shared.domain.errors import DomainError
from shared.domain.rates import GROUND_TRANSIT_DAYS, billable_kg, haversine_km, zone_for, zone_price
from shared.domain.tracking import REFERENCE_LIMIT, ups_tracking_number
from shared.domain.values import Address, GeoPoint
from shared.records import record

SERVICE_LEVELS = ("standard", "express")
EXPRESS_MAX_TRANSIT_DAYS = 2


@record
class Parcel:
    weight_grams: int
    length_cm: int
    width_cm: int
    height_cm: int

    def __post_init__(self) -> None:
        if min(self.weight_grams, self.length_cm, self.width_cm, self.height_cm) < 0:
            raise ValueError(f"a parcel's weight and dimensions cannot be negative: {self}")

    @property
    def billable_kg(self) -> int:
        return billable_kg(self.weight_grams, self.length_cm, self.width_cm, self.height_cm)


@record
class LabelRequest:
    shipment_id: str  # also the idempotency key: one label per shipment, ever
    order_id: str
    order_ref: str  # the channel's external id, printed on the label
    node_id: str  # the node that sends the parcel (a shipment) or receives it (a return)
    ship_from: Address  # the node for a shipment; the customer for a return
    ship_to: Address  # the customer for a shipment; the receiving node for a return
    parcel: Parcel
    service_level: str  # "standard" | "express"

    @property
    def distance_km(self) -> float | None:
        a, b = self.ship_from, self.ship_to
        if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
            return None
        return haversine_km(GeoPoint(a.lat, a.lon), GeoPoint(b.lat, b.lon))


@record
class RateQuote:
    carrier: str
    service: str
    amount: int  # minor units
    currency: str
    transit_days: int


@record
class Label:
    carrier: str
    service: str
    tracking_number: str
    tracking_url: str
    amount: int
    currency: str
    document_key: str  # where the label PDF is, in the documents bucket


class CarrierUnavailable(Exception):
    """The carrier could not be reached or failed transiently: retry later, nothing was bought."""


class CarrierRejected(DomainError):
    """The carrier will never accept this request as it is (too heavy, no service there)."""

    code = "carrier_rejected"


class NoServiceAvailable(CarrierRejected):
    """No quoted service meets the order's service level."""


class ParcelRejected(CarrierRejected):
    """The carrier refused the parcel as packed (weight, size): the node can re-pack it."""


class ParcelOverLimit(DomainError):
    """A packed parcel the carrier will not take (too heavy, too long): refused at the event."""

    code = "parcel_over_limit"
    # 422, not 409: the parcel as described can never be carried; re-packed, it can
    http_status = 422


def meets(quote: RateQuote, service_level: str) -> bool:
    if service_level not in SERVICE_LEVELS:
        raise ValueError(f"unknown service level {service_level!r}")
    return service_level == "standard" or quote.transit_days <= EXPRESS_MAX_TRANSIT_DAYS


def choose_rate(quotes: Sequence[RateQuote], service_level: str) -> RateQuote:
    """Rate shopping: the cheapest quote that meets the service level.

    Ties go to the faster service, then by carrier and service name, so a retry picks the same one."""
    eligible = [quote for quote in quotes if meets(quote, service_level)]
    if not eligible:
        raise NoServiceAvailable(f"no quoted service meets service level {service_level!r}")
    return min(eligible, key=lambda q: (q.amount, q.transit_days, q.carrier, q.service))


# --- The sandbox carrier's rate sheet -------------------------------------------------------------


@record
class SandboxService:
    name: str
    ups_code: str  # the service code inside the tracking number
    percent: int  # of the ground price on the rate card
    transit_days: int | None  # None: by zone (GROUND_TRANSIT_DAYS)


SANDBOX_SERVICES: tuple[SandboxService, ...] = (
    SandboxService("ground", "03", percent=100, transit_days=None),
    SandboxService("2day", "02", percent=175, transit_days=2),
    SandboxService("overnight", "01", percent=300, transit_days=1),
)
SANDBOX_CURRENCY = "USD"
SANDBOX_SHIPPER = "9WB0X1"  # the "shipper number" inside every sandbox tracking number
# The carrier's parcel limits, checked when a parcel is reported packed and again at purchase.
MAX_PARCEL_GRAMS = 30_000
MAX_SIDE_CM = 150


def parcel_over_limit(parcel: Parcel) -> str | None:
    """Why the carrier would refuse this parcel, with the limit; None when it is within them."""
    if parcel.weight_grams > MAX_PARCEL_GRAMS:
        return f"the parcel weighs {parcel.weight_grams} g, above the carrier's {MAX_PARCEL_GRAMS} g limit"
    longest = max(parcel.length_cm, parcel.width_cm, parcel.height_cm)
    if longest > MAX_SIDE_CM:
        return f"a side of the parcel is {longest} cm, longer than the carrier's {MAX_SIDE_CM} cm limit"
    return None


def sandbox_quotes(request: LabelRequest, carrier: str = "sandbox") -> list[RateQuote]:
    """Every sandbox service for this parcel and distance; CarrierRejected for a parcel it will not carry."""
    parcel = request.parcel
    problem = parcel_over_limit(parcel)
    if problem:
        raise ParcelRejected(problem)
    zone = zone_for(request.distance_km)
    kg = parcel.billable_kg
    return [
        RateQuote(
            carrier=carrier,
            service=service.name,
            amount=zone_price(zone, kg, service.percent),
            currency=SANDBOX_CURRENCY,
            transit_days=service.transit_days or GROUND_TRANSIT_DAYS[zone.name],
        )
        for service in SANDBOX_SERVICES
    ]


def sandbox_service(name: str) -> SandboxService:
    for service in SANDBOX_SERVICES:
        if service.name == name:
            return service
    raise CarrierRejected(f"the sandbox carrier has no service {name!r}")


def sandbox_tracking_number(shipment_id: str, service: str) -> str:
    """Derived from the shipment id, so buying again after a lost answer prints the same number."""
    digest = hashlib.sha256(shipment_id.encode()).digest()
    reference = int.from_bytes(digest[:8], "big") % REFERENCE_LIMIT
    return ups_tracking_number(SANDBOX_SHIPPER, sandbox_service(service).ups_code, reference)
