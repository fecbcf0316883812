"""One moto server per test session (the embedded stack's, DynamoDB serialized) with Waybill's
resources provisioned from the topology, and one localstripe."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from devstack import plan
from devstack.localstripe_process import LocalStripe
from devstack.moto_server import EmbeddedMotoServer
from devstack.provision import Resources, provision
from devstack.stack import free_port

REGION = "us-east-1"
SENDER = "orders@waybill.test"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per emulated AWS call
    server = EmbeddedMotoServer(free_port())
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def resources(moto_endpoint: str) -> Resources:
    return provision(plan.build(), moto_endpoint, REGION, SENDER, "sk_test_integration", "http://127.0.0.1:4000")


@pytest.fixture(scope="session")
def aws(moto_endpoint: str):
    def client(service: str):
        return boto3.client(service, endpoint_url=moto_endpoint, region_name=REGION)  # type: ignore[call-overload]

    return client


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    server = LocalStripe(free_port(), Path(tmp_path_factory.mktemp("stripe")) / "localstripe.log")
    server.start()
    yield server
    server.stop()
