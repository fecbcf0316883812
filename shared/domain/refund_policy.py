"""The refund policy: how much of an order a refund gives back (its lines, their share of the tax,
and shipping when nothing of the order is kept). Pure: no I/O; money in integer minor units.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from shared.domain.refund_ledger import InvalidRefundRequest
from shared.records import record


@record
class LineValue:
    """An order line as the refund policy sees it: its id and its value (quantity x unit amount)."""

    line_id: str
    amount: int


@record
class RefundAmount:
    lines: int
    tax: int
    shipping: int

    @property
    def total(self) -> int:
        return self.lines + self.tax + self.shipping


def tax_shares(order_lines: Sequence[LineValue], order_tax: int) -> dict[str, int]:
    """The order's tax split over its lines pro rata by line value, in whole minor units, by the
    largest-remainder method: every share is floor(tax x value / total value), and the units left
    over go one each to the lines with the largest remainders (ties: the earlier line). The shares
    sum exactly to `order_tax` and depend only on the order, never on what was refunded before.
    When every line is worth 0, the tax is split evenly by line."""
    if order_tax < 0:
        raise InvalidRefundRequest(f"order tax must be >= 0, got {order_tax}")
    if not order_lines:
        return {}
    weights = [line.amount for line in order_lines]
    if any(w < 0 for w in weights):
        raise InvalidRefundRequest("line amounts must be >= 0")
    if sum(weights) == 0:
        weights = [1] * len(order_lines)
    total = sum(weights)
    shares = [order_tax * w // total for w in weights]
    left = order_tax - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(order_tax * weights[i] % total), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return {line.line_id: share for line, share in zip(order_lines, shares, strict=True)}


def refund_for_lines(
    order_lines: Sequence[LineValue],
    order_tax: int,
    order_shipping: int,
    lines_to_refund: Collection[str],
    *,
    all_lines_now_refunded: bool,
) -> RefundAmount:
    """How much a refund of whole order lines gives back. The policy:

    - Lines: the full value of each refunded line.
    - Tax: each line carries a fixed share of the order's tax (`tax_shares`: pro rata by line value,
      largest remainder), and a refund gives back the shares of its lines. However the lines are
      refunded, in one go or in pieces, the tax refunded over all of them is exactly the order's tax,
      and never more.
    - Shipping: refunded in full, once, with the refund after which every line of the order is
      refunded (`all_lines_now_refunded`): the whole order was cancelled before it shipped, or all of
      it came back. While any line is kept, the customer keeps the shipping they paid for.

    A line is refunded at most once: the caller passes only lines not refunded before (the ledger's
    cap on the PaymentIntent guards the money regardless). Part of a line's units: `refund_for_units`.
    """
    if order_shipping < 0:
        raise InvalidRefundRequest(f"order shipping must be >= 0, got {order_shipping}")
    by_id = {line.line_id: line for line in order_lines}
    if len(by_id) != len(order_lines):
        raise InvalidRefundRequest("order line ids must be unique")
    wanted = list(lines_to_refund)
    if len(set(wanted)) != len(wanted):
        raise InvalidRefundRequest("a line can be refunded only once")
    unknown = sorted(set(wanted) - by_id.keys())
    if unknown:
        raise InvalidRefundRequest(f"not lines of the order: {', '.join(unknown)}")
    shares = tax_shares(order_lines, order_tax)
    return RefundAmount(
        lines=sum(by_id[line_id].amount for line_id in wanted),
        tax=sum(shares[line_id] for line_id in wanted),
        shipping=order_shipping if all_lines_now_refunded else 0,
    )


def refund_for_units(
    order_lines: Sequence[tuple[str, int, int]],
    order_tax: int,
    order_shipping: int,
    units: Mapping[str, int],
    *,
    all_lines_now_refunded: bool,
    already: Mapping[str, int] | None = None,
) -> RefundAmount:
    """`refund_for_lines` for part of a line's units (cancellations, returns): order lines as
    (line_id, quantity, unit_amount), units as {line_id: quantity}, `already` the units of each
    line refunded before this one.

    A line's tax share is given back by cumulative rounding: after k of its n units are refunded,
    floor(share x k / n) of it has been, so a piece gives back floor(share x (before + units) / n)
    - floor(share x before / n). The pieces of a line never sum above its share, and once all its
    units are back they sum to exactly the share, however the units were split."""
    values = [LineValue(line_id, qty * unit) for line_id, qty, unit in order_lines]
    shares = tax_shares(values, order_tax)
    by_id = {line_id: (qty, unit) for line_id, qty, unit in order_lines}
    before = dict(already or {})
    unknown = sorted((set(units) | set(before)) - by_id.keys())
    if unknown:
        raise InvalidRefundRequest(f"not lines of the order: {', '.join(unknown)}")
    for line_id, qty in units.items():
        left = by_id[line_id][0] - before.get(line_id, 0)
        if not 0 < qty <= left:
            raise InvalidRefundRequest(f"line {line_id}: {qty} units is not between 1 and {left}")

    def tax_of(line_id: str, qty: int) -> int:
        total, earlier = by_id[line_id][0], before.get(line_id, 0)
        share = shares[line_id]
        return share * (earlier + qty) // total - share * earlier // total

    return RefundAmount(
        lines=sum(by_id[i][1] * q for i, q in units.items()),
        tax=sum(tax_of(i, q) for i, q in units.items()),
        shipping=order_shipping if all_lines_now_refunded else 0,
    )
