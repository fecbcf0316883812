"""The wiring read back from the synthesized template is the wiring shared/topology.py declares."""

from __future__ import annotations

import dataclasses

import pytest

from shared import topology
from tests.infra.synth import Synthesized
from tests.infra.template_wiring import wiring_from_template
from tests.infra.topology_wiring import declared_wiring
from tests.infra.variants import every_kind_spec
from tests.infra.wiring import Wiring


def _assert_same(actual: Wiring, expected: Wiring) -> None:
    # Field by field, so a failure names what differs.
    for field in dataclasses.fields(Wiring):
        assert getattr(actual, field.name) == getattr(expected, field.name), field.name


def test_template_wiring_matches_topology(synth: Synthesized) -> None:
    _assert_same(wiring_from_template(synth.template), declared_wiring(topology.FUNCTIONS))


def test_template_wiring_matches_a_topology_with_every_trigger_and_grant(variant_synth: Synthesized) -> None:
    expected = declared_wiring(every_kind_spec().functions)
    assert expected.schedules
    assert expected.queue_triggers
    assert len(expected.authorized_routes) < len(expected.routes)
    _assert_same(wiring_from_template(variant_synth.template), expected)


def test_wiring_from_template_sees_a_missing_route(synth: Synthesized) -> None:
    """The reader really reads the template: drop one method and its route disappears."""
    template = dict(synth.template, Resources=dict(synth.template["Resources"]))
    method = next(lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::ApiGateway::Method")
    http_method = template["Resources"].pop(method)["Properties"]["HttpMethod"]
    missing = declared_wiring(topology.FUNCTIONS).routes - wiring_from_template(template).routes
    assert len(missing) == 1
    assert next(iter(missing))[0] == http_method


@pytest.mark.parametrize("name", [fn.name for fn in topology.FUNCTIONS])
def test_environment_names_per_function(synth: Synthesized, name: str) -> None:
    wiring = wiring_from_template(synth.template)
    assert wiring.environment[name] == declared_wiring(topology.FUNCTIONS).environment[name]
