"""Carrier rate estimates and great-circle distance. Pure arithmetic, good enough to rank nodes;
the price a customer pays comes from the carrier, not from here."""

from __future__ import annotations

import math

from shared.domain.values import GeoPoint
from shared.records import record

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


@record
class Zone:
    name: str
    below_km: float  # the zone covers distances below this and at or above the previous zone's
    base: int  # USD cents per parcel
    per_kg: int  # USD cents per billable kg


# A plain published parcel rate card. Unknown distance is priced as "far": ranking a node we cannot
# place as if it were next door would pick it over every node we can.
RATE_CARD: tuple[Zone, ...] = (
    Zone("local", 50.0, base=695, per_kg=45),
    Zone("regional", 500.0, base=895, per_kg=85),
    Zone("national", 2_000.0, base=1_195, per_kg=140),
    Zone("far", math.inf, base=1_695, per_kg=210),
)
SERVICE_PERCENT: dict[str, int] = {"standard": 100, "express": 175}


def haversine_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance between two points, in km."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def zone_for(distance_km: float | None) -> Zone:
    if distance_km is None:
        return RATE_CARD[-1]
    return next(zone for zone in RATE_CARD if distance_km < zone.below_km)


def estimate_rate(distance_km: float | None, weight_kg: float, service_level: str) -> int:
    """Estimated carrier charge in minor units. Carriers bill each started kg, at least one."""
    if service_level not in SERVICE_PERCENT:
        raise ValueError(f"unknown service level {service_level!r}")
    zone = zone_for(distance_km)
    billable_kg = max(1, math.ceil(weight_kg))
    standard = zone.base + zone.per_kg * billable_kg
    return (standard * SERVICE_PERCENT[service_level] + 50) // 100


# What a carrier bills, beyond the estimate above: the larger of actual and dimensional weight.
DIM_DIVISOR_CM3_PER_KG = 5_000  # the common international divisor: L x W x H in cm / 5000 = kg
GROUND_TRANSIT_DAYS: dict[str, int] = {"local": 1, "regional": 2, "national": 4, "far": 5}


def billable_kg(weight_grams: int, length_cm: int, width_cm: int, height_cm: int) -> int:
    """Whole kg billed for a parcel: actual or dimensional weight, whichever is larger, each started kg, at least one.

    A light but bulky box takes the truck space of a heavy one, so carriers charge it as one."""
    actual = -(-weight_grams // 1_000)
    dimensional = -(-(length_cm * width_cm * height_cm) // DIM_DIVISOR_CM3_PER_KG)
    return max(1, actual, dimensional)


def zone_price(zone: Zone, kg: int, percent: int) -> int:
    """The rate card's price for `kg` billable kg in `zone`, scaled by a service's percent (rounded half up)."""
    return ((zone.base + zone.per_kg * kg) * percent + 50) // 100
