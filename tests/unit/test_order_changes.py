"""The simulators' wait on the orders stream: a change seen after the version was taken ends the wait."""

from __future__ import annotations

import threading
import time

from devstack.order_changes import OrderChanges


def _record(pk: str) -> dict[str, object]:
    return {"dynamodb": {"Keys": {"pk": {"S": pk}, "sk": {"S": "ORDER"}}}}


def test_a_change_after_the_version_was_taken_ends_the_wait() -> None:
    changes = OrderChanges()
    seen = changes.version("o-1")
    threading.Timer(0.05, changes.saw, args=([_record("ORDER#o-1")],)).start()
    began = time.monotonic()
    assert changes.wait_past("o-1", seen, fallback_s=30)
    assert time.monotonic() - began < 15  # woken by the change, not by the fallback
    assert changes.version("o-1") == seen + 1


def test_a_change_of_another_order_or_item_does_not_end_it() -> None:
    changes = OrderChanges()
    seen = changes.version("o-1")
    changes.saw([_record("ORDER#o-2"), _record("CAPTURE#web#o-1")])
    assert not changes.wait_past("o-1", seen, fallback_s=0.05)


def test_a_change_seen_before_the_wait_began_is_not_missed() -> None:
    changes = OrderChanges()
    seen = changes.version("o-1")
    changes.saw([_record("ORDER#o-1")])  # between the read of the order and the wait
    assert changes.wait_past("o-1", seen, fallback_s=0)
