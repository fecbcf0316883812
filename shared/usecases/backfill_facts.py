"""Rebuilding the facts from the orders and ledger tables: each order's facts (and its settled
refunds') are written per hour they happened, one object per order and hour, named after the order.
Running it again writes the same objects with the same fact ids: nothing is added twice."""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.facts import by_partition, order_facts, refund_facts
from shared.domain.order import Order
from shared.domain.refund_ledger import LedgerEntry
from shared.ports import FactFiles
from shared.records import record


@record
class BackfillReport:
    orders: int
    facts: int
    written: int  # objects written
    unchanged: int  # objects that were already there as they are


def backfill(orders: Iterable[Order], refunds: Iterable[LedgerEntry], files: FactFiles) -> BackfillReport:
    refunds_of: dict[str, list[LedgerEntry]] = {}
    for entry in refunds:
        refunds_of.setdefault(entry.order_id, []).append(entry)
    count = facts_total = written = unchanged = 0
    for order in orders:
        count += 1
        facts = order_facts(order)
        facts += [f for e in refunds_of.get(order.order_id, []) for f in refund_facts(None, e)]
        facts_total += len(facts)
        for partition, group in by_partition(facts).items():
            if files.write(partition, f"backfill-{order.order_id}", group):
                written += 1
            else:
                unchanged += 1
    return BackfillReport(count, facts_total, written, unchanged)
