"""The cold-start benchmark can start every function: each gets its whole topology environment and a
first event its trigger would deliver (found: the full run stopped at the first function granted a
dead-letter queue, and at the stream consumer, so only `--quick` ever completed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.cold_start import Tree, environment, event_for
from shared import topology as t
from shared.bootstrap import declared_environment

TREE = Tree(*(Path(f"/tree/{part}") for part in ("code", "base", "labels", "sdk", "reference")))


@pytest.mark.parametrize("fn", t.FUNCTIONS, ids=lambda fn: fn.name)
def test_every_function_gets_its_environment_and_a_first_event(fn: t.Function) -> None:
    env = environment(fn, TREE)
    assert declared_environment(fn) <= set(env)
    assert all(env[name] for name in declared_environment(fn))
    assert event_for(fn)
    assert (str(TREE.labels) in env["PYTHONPATH"]) == fn.draws_labels
