"""Synthesizes once per session: bundling and cdk-nag make each synth take seconds."""

from __future__ import annotations

import os

# Node 20 runs aws-cdk-lib 2.275 fine but jsii warns at every start; set before any test loads jsii.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest

from tests.infra.synth import Synthesized, synthesize
from tests.infra.variants import every_kind_spec


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The Waybill app, from shared/topology.py."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def variant_synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The app from a topology using every trigger and grant kind (see variants.py)."""
    return synthesize(tmp_path_factory.mktemp("cdk.variant.out"), every_kind_spec())
