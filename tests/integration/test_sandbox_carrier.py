"""The sandbox carrier against S3 (moto server): one label per shipment, ever, and its outage switches."""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pymupdf
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from devstack.stack import free_port
from shared.adapters.sandbox_carrier import SandboxCarrier
from shared.domain.shipping import CarrierRejected, CarrierUnavailable, LabelRequest, Parcel, choose_rate
from shared.domain.tracking import is_valid_ups_tracking
from shared.domain.values import Address

DC_EAST = Address("Waybill DC East", "500 Dock Rd", "Newark", "NJ", "07114", "US", lat=40.71, lon=-74.0)


def request(line2: str | None = None, grams: int = 1_500, level: str = "standard") -> LabelRequest:
    return LabelRequest(
        shipment_id=f"shp_{uuid.uuid4().hex[:12]}",
        order_id="ord_1",
        order_ref="WEB-7",
        node_id="dc-east",
        ship_from=DC_EAST,
        ship_to=Address("Ada Lovelace", "1 Main St", "Boston", "MA", "02108", "US", line2, 42.36, -71.06),
        parcel=Parcel(grams, 30, 20, 10),
        service_level=level,
    )


@pytest.fixture
def s3(aws):
    return aws("s3")


@pytest.fixture
def carrier(s3, resources):
    return SandboxCarrier(s3, resources.buckets["documents"])


def labels_of(s3, bucket: str, shipment_id: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="labels/")
    return [item["Key"] for item in listed.get("Contents", []) if shipment_id in item["Key"]]


def test_buying_twice_returns_the_first_label_and_stores_one_pdf(carrier, s3, resources):
    bucket = resources.buckets["documents"]
    req = request()
    quotes = carrier.quote(req)
    cheapest = choose_rate(quotes, req.service_level)
    first = carrier.buy(req, cheapest)
    overnight = next(q for q in quotes if q.service == "overnight")
    again = carrier.buy(req, overnight)  # a retry that shopped differently still gets the first label

    assert again == first
    assert (first.carrier, first.service, first.amount, first.currency) == ("sandbox", "ground", 1_065, "USD")
    assert is_valid_ups_tracking(first.tracking_number)
    assert first.tracking_number in first.tracking_url
    assert first.document_key == f"labels/{req.shipment_id}.pdf"
    assert labels_of(s3, bucket, req.shipment_id) == [first.document_key]

    stored = s3.get_object(Bucket=bucket, Key=first.document_key)
    pdf = stored["Body"].read()
    assert pdf.startswith(b"%PDF")
    assert stored["ContentType"] == "application/pdf"
    assert stored["Metadata"]["tracking-number"] == first.tracking_number
    assert first.tracking_number in pymupdf.open(stream=pdf, filetype="pdf")[0].get_text()


def test_concurrent_purchases_for_one_shipment_store_one_label(carrier, s3, resources):
    req = request()
    quote = choose_rate(carrier.quote(req), "standard")
    with ThreadPoolExecutor(8) as pool:
        labels = list(pool.map(lambda _: carrier.buy(req, quote), range(8)))
    assert len(set(labels)) == 1
    assert labels_of(s3, resources.buckets["documents"], req.shipment_id) == [labels[0].document_key]


def test_a_lost_label_is_bought_again_with_the_same_tracking_number(carrier, s3, resources):
    req = request()
    quote = choose_rate(carrier.quote(req), "express")
    first = carrier.buy(req, quote)
    s3.delete_object(Bucket=resources.buckets["documents"], Key=first.document_key)
    assert carrier.buy(req, quote).tracking_number == first.tracking_number


def test_carrier_down_instruction_fails_every_call_and_stores_nothing(carrier, s3, resources):
    req = request(line2="Apt 4 sim:carrier-down")
    with pytest.raises(CarrierUnavailable):
        carrier.quote(req)
    quote = choose_rate(carrier.quote(request()), "standard")
    for _ in range(3):
        with pytest.raises(CarrierUnavailable):
            carrier.buy(req, quote)
    assert labels_of(s3, resources.buckets["documents"], req.shipment_id) == []


def test_failure_rate_fails_that_share_of_calls(s3, resources):
    always = SandboxCarrier(s3, resources.buckets["documents"], failure_rate=1.0)
    with pytest.raises(CarrierUnavailable):
        always.quote(request())
    half = SandboxCarrier(s3, resources.buckets["documents"], failure_rate=0.5, rng=random.Random(7))
    outcomes = []
    for _ in range(200):
        try:
            half.quote(request())
            outcomes.append(True)
        except CarrierUnavailable:
            outcomes.append(False)
    assert 70 < outcomes.count(False) < 130


def test_an_overweight_parcel_is_rejected_and_nothing_is_bought(carrier, s3, resources):
    light = request()
    quote = choose_rate(carrier.quote(light), "standard")
    heavy = request(grams=31_000)
    with pytest.raises(CarrierRejected):
        carrier.quote(heavy)
    with pytest.raises(CarrierRejected):
        carrier.buy(heavy, quote)
    assert labels_of(s3, resources.buckets["documents"], heavy.shipment_id) == []


@pytest.mark.parametrize(("code", "status"), [("SlowDown", 503), ("InternalError", 500)])
def test_s3_throttling_and_5xx_are_the_carrier_being_unavailable(aws, code, status):
    s3 = aws("s3")
    carrier = SandboxCarrier(s3, "documents")
    req = request()
    quote = choose_rate(carrier.quote(req), "standard")
    with Stubber(s3) as stub:
        stub.add_client_error("head_object", service_error_code=code, http_status_code=status)
        with pytest.raises(CarrierUnavailable):
            carrier.buy(req, quote)


def test_s3_that_cannot_be_reached_is_the_carrier_being_unavailable():
    unreachable = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    carrier = SandboxCarrier(unreachable, "documents")
    req = request()
    with pytest.raises(CarrierUnavailable):
        carrier.buy(req, choose_rate(carrier.quote(req), "standard"))


def test_a_client_error_that_is_our_bug_is_not_hidden(aws):
    s3 = aws("s3")
    carrier = SandboxCarrier(s3, "no-such-bucket-for-labels")
    req = request()
    with pytest.raises(ClientError) as err:
        carrier.buy(req, choose_rate(carrier.quote(req), "standard"))
    assert err.value.response["Error"]["Code"] == "NoSuchBucket"
