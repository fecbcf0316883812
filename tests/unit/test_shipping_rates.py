"""The sandbox rate sheet (zones, billable weight), rate shopping, and UPS tracking numbers."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.rates import billable_kg, estimate_rate
from shared.domain.shipping import (
    CarrierRejected,
    LabelRequest,
    NoServiceAvailable,
    Parcel,
    RateQuote,
    choose_rate,
    sandbox_quotes,
    sandbox_tracking_number,
)
from shared.domain.tracking import format_ups_tracking, is_valid_ups_tracking, ups_tracking_number
from shared.domain.values import Address, GeoPoint

NEW_YORK = GeoPoint(40.7128, -74.0060)
BROOKLYN = (40.6782, -73.9442)  # ~7 km: local
BOSTON = (42.3601, -71.0589)  # ~306 km: regional
CHICAGO = (41.8781, -87.6298)  # ~1,144 km: national
LOS_ANGELES = (34.0522, -118.2437)  # ~3,940 km: far


def request(to: tuple[float, float] | None = BOSTON, parcel: Parcel | None = None, level: str = "standard"):
    lat, lon = to if to else (None, None)
    address = Address("Ada Lovelace", "1 Main St", "City", "ST", "00000", "US", lat=lat, lon=lon)
    return LabelRequest(
        shipment_id="shp_1",
        order_id="ord_1",
        order_ref="WEB-1",
        node_id="dc-east",
        ship_from=Address("DC East", "1 Dock Rd", "New York", "NY", "10001", "US", lat=NEW_YORK.lat, lon=NEW_YORK.lon),
        ship_to=address,
        parcel=parcel or Parcel(1_000, 20, 15, 10),
        service_level=level,
    )


def by_service(req: LabelRequest) -> dict[str, RateQuote]:
    return {quote.service: quote for quote in sandbox_quotes(req)}


@pytest.mark.parametrize(
    ("to", "ground_cents", "ground_days"),
    [
        (BROOKLYN, 695 + 45, 1),
        (BOSTON, 895 + 85, 2),
        (CHICAGO, 1_195 + 140, 4),
        (LOS_ANGELES, 1_695 + 210, 5),
        (None, 1_695 + 210, 5),  # a destination we cannot place is priced as far
    ],
)
def test_ground_is_priced_and_timed_by_zone(to, ground_cents, ground_days):
    ground = by_service(request(to))["ground"]
    assert (ground.amount, ground.transit_days, ground.currency) == (ground_cents, ground_days, "USD")


def test_faster_services_cost_a_multiple_of_ground_and_take_fixed_days():
    quotes = by_service(request(CHICAGO))
    assert (quotes["2day"].amount, quotes["2day"].transit_days) == ((1_335 * 175 + 50) // 100, 2)
    assert (quotes["overnight"].amount, quotes["overnight"].transit_days) == (1_335 * 3, 1)


def test_every_started_kg_is_billed_and_at_least_one():
    assert billable_kg(0, 1, 1, 1) == 1
    assert billable_kg(1_000, 1, 1, 1) == 1
    assert billable_kg(1_001, 1, 1, 1) == 2
    assert billable_kg(29_999, 1, 1, 1) == 30


def test_a_bulky_light_parcel_is_billed_by_its_dimensional_weight():
    # 60 x 40 x 40 cm = 96,000 cm3 / 5000 = 19.2 kg, billed 20 kg, though it weighs 2 kg
    assert billable_kg(2_000, 60, 40, 40) == 20
    bulky = by_service(request(BOSTON, Parcel(2_000, 60, 40, 40)))["ground"]
    assert bulky.amount == 895 + 85 * 20
    # a dense parcel is billed by its actual weight
    assert billable_kg(12_500, 20, 20, 20) == 13


def test_parcels_beyond_the_carrier_limits_are_rejected():
    assert sandbox_quotes(request(parcel=Parcel(30_000, 20, 20, 20)))
    with pytest.raises(CarrierRejected) as heavy:
        sandbox_quotes(request(parcel=Parcel(30_001, 20, 20, 20)))
    assert heavy.value.code == "carrier_rejected"
    with pytest.raises(CarrierRejected):
        sandbox_quotes(request(parcel=Parcel(1_000, 151, 10, 10)))


def test_negative_parcels_do_not_exist():
    with pytest.raises(ValueError, match="negative"):
        Parcel(-1, 10, 10, 10)


def test_routing_estimates_are_unchanged():
    assert estimate_rate(None, 2.2, "standard") == 1_695 + 210 * 3
    assert estimate_rate(10.0, 0.5, "express") == ((695 + 45) * 175 + 50) // 100


def test_standard_takes_the_cheapest_service():
    assert choose_rate(sandbox_quotes(request(LOS_ANGELES)), "standard").service == "ground"


def test_express_takes_the_cheapest_service_arriving_within_two_days():
    assert choose_rate(sandbox_quotes(request(LOS_ANGELES)), "express").service == "2day"
    # close by, ground already arrives within two days and is cheapest
    assert choose_rate(sandbox_quotes(request(BOSTON)), "express").service == "ground"


def test_express_with_only_slow_services_has_no_service():
    slow = [RateQuote("sandbox", "ground", 500, "USD", 5)]
    with pytest.raises(NoServiceAvailable) as err:
        choose_rate(slow, "express")
    assert isinstance(err.value, CarrierRejected)
    with pytest.raises(NoServiceAvailable):
        choose_rate([], "standard")


def test_ties_are_broken_by_speed_then_names_whatever_the_order():
    a = RateQuote("beta", "ground", 900, "USD", 3)
    b = RateQuote("alpha", "ground", 900, "USD", 3)
    c = RateQuote("zeta", "saver", 900, "USD", 2)
    assert choose_rate([a, b, c], "standard") == c
    assert choose_rate([a, b], "standard") == choose_rate([b, a], "standard") == b


def test_unknown_service_level_is_a_bug():
    with pytest.raises(ValueError, match="service level"):
        choose_rate(sandbox_quotes(request()), "teleport")


def test_the_published_ups_example_validates():
    assert is_valid_ups_tracking("1Z999AA10123456784")
    assert ups_tracking_number("999AA1", "01", 2_345_678) == "1Z999AA10123456784"
    assert format_ups_tracking("1Z999AA10123456784") == "1Z 999 AA1 01 2345 6784"


@pytest.mark.parametrize("position", range(2, 17))
def test_changing_any_one_character_by_one_breaks_the_check(position):
    # The UPS check weighs every other character twice without Luhn's digit sum, so a change by 5 on a
    # doubled position goes unnoticed (a known weakness of the format); a change by one never does.
    good = "1Z999AA10123456784"
    char = good[position]
    bumped = str((int(char) + 1) % 10) if char.isdigit() else chr((ord(char) - ord("A") + 1) % 26 + ord("A"))
    assert not is_valid_ups_tracking(good[:position] + bumped + good[position + 1 :])


def test_any_other_check_digit_fails():
    for digit in "012356789":
        assert not is_valid_ups_tracking("1Z999AA1012345678" + digit)


def test_malformed_numbers_are_invalid():
    for number in ["", "1Z999AA1012345678", "1Z999AA101234567845", "2Z999AA10123456784", "1z999aa10123456784"]:
        assert not is_valid_ups_tracking(number)


@given(
    shipper=st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=6, max_size=6),
    service=st.integers(0, 99),
    reference=st.integers(0, 9_999_999),
)
def test_generated_numbers_always_validate(shipper, service, reference):
    number = ups_tracking_number(shipper, f"{service:02d}", reference)
    assert len(number) == 18
    assert is_valid_ups_tracking(number)


def test_bad_parts_are_refused():
    with pytest.raises(ValueError, match="shipper"):
        ups_tracking_number("abc", "01", 1)
    with pytest.raises(ValueError, match="reference"):
        ups_tracking_number("999AA1", "01", 10_000_000)


@given(shipment_id=st.text(min_size=1, max_size=40))
def test_sandbox_numbers_are_valid_and_the_same_for_the_same_shipment(shipment_id):
    first = sandbox_tracking_number(shipment_id, "ground")
    assert is_valid_ups_tracking(first)
    assert sandbox_tracking_number(shipment_id, "ground") == first
    assert first[8:10] == "03"
    assert sandbox_tracking_number(shipment_id, "overnight")[8:10] == "01"


def test_different_shipments_get_different_numbers():
    numbers = {sandbox_tracking_number(f"shp_{i}", "ground") for i in range(1_000)}
    assert len(numbers) == 1_000


def test_unknown_sandbox_service_is_rejected():
    with pytest.raises(CarrierRejected):
        sandbox_tracking_number("shp_1", "teleport")


def test_requests_are_values():
    assert dataclasses.replace(request(), service_level="express").service_level == "express"
