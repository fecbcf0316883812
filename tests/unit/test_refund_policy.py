"""The refund policy: line value, tax pro rata by line value (exact in whole minor units), shipping
only when every line ends up refunded; the ledger entry's own rules and the idempotency key."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.refund_ledger import InvalidRefundRequest, LedgerEntry, RefundReason, RefundStatus, refund_key
from shared.domain.refund_policy import LineValue, refund_for_lines, tax_shares

PROPERTY = settings(max_examples=400, deadline=None, derandomize=True)
LINES = (LineValue("l1", 3800), LineValue("l2", 1200), LineValue("l3", 1000))  # 6000 of goods


def test_one_line_gets_its_value_and_its_share_of_tax_but_no_shipping():
    amount = refund_for_lines(LINES, 600, 500, ["l2"], all_lines_now_refunded=False)
    assert (amount.lines, amount.tax, amount.shipping, amount.total) == (1200, 120, 0, 1320)


def test_cancelling_everything_gives_back_the_whole_order():
    amount = refund_for_lines(LINES, 600, 500, ["l1", "l2", "l3"], all_lines_now_refunded=True)
    assert (amount.lines, amount.tax, amount.shipping, amount.total) == (6000, 600, 500, 7100)


def test_the_refund_that_completes_the_order_carries_the_shipping():
    first = refund_for_lines(LINES, 600, 500, ["l1"], all_lines_now_refunded=False)
    last = refund_for_lines(LINES, 600, 500, ["l2", "l3"], all_lines_now_refunded=True)
    assert (first.shipping, last.shipping) == (0, 500)
    assert first.total + last.total == 6000 + 600 + 500


def test_tax_that_does_not_divide_evenly_goes_to_the_largest_remainders():
    lines = (LineValue("a", 100), LineValue("b", 100), LineValue("c", 100))
    # 100 / 3 = 33.33 each: one unit left over, to the first of the tied lines
    assert tax_shares(lines, 100) == {"a": 34, "b": 33, "c": 33}
    two = (LineValue("a", 1), LineValue("b", 2))
    # 5 x 1/3 = 1.67, 5 x 2/3 = 3.33: b has the larger share, a the larger remainder
    assert tax_shares(two, 5) == {"a": 2, "b": 3}


def test_tax_on_free_lines_is_split_evenly():
    assert tax_shares((LineValue("a", 0), LineValue("b", 0)), 3) == {"a": 2, "b": 1}


@pytest.mark.parametrize(
    ("lines_to_refund", "message"),
    [(["nope"], "not lines of the order: nope"), (["l1", "l1"], "only once")],
)
def test_unknown_or_repeated_lines_are_refused(lines_to_refund, message):
    with pytest.raises(InvalidRefundRequest, match=message):
        refund_for_lines(LINES, 600, 500, lines_to_refund, all_lines_now_refunded=False)


def test_refund_key_is_deterministic_per_order_and_cause():
    assert refund_key("ord_1", "cancel_1") == refund_key("ord_1", "cancel_1")
    assert refund_key("ord_1", "cancel_1") != refund_key("ord_1", "rma_1")
    assert refund_key("ord_1", "x") != refund_key("ord_2", "x")
    # no ambiguity from joining the parts
    assert refund_key("ord_1", "2x") != refund_key("ord_12", "x")


def test_a_ledger_entry_refunds_a_positive_amount():
    with pytest.raises(InvalidRefundRequest):
        LedgerEntry(
            "rf_1", "ord_1", "pi_1", 0, "USD", RefundReason.GOODWILL, "t1", "k", RefundStatus.PENDING,
            None, None, datetime(2026, 1, 1, tzinfo=UTC), None,
        )  # fmt: skip


@st.composite
def orders_split_into_refunds(draw):
    amounts = draw(st.lists(st.integers(0, 100_000), min_size=1, max_size=12))
    lines = tuple(LineValue(f"l{i}", a) for i, a in enumerate(amounts))
    tax = draw(st.integers(0, 50_000))
    shipping = draw(st.integers(0, 5_000))
    order = draw(st.permutations([line.line_id for line in lines]))
    cuts = sorted(draw(st.sets(st.integers(1, len(order)), max_size=len(order))) | {len(order)})
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(order[start:cut])
        start = cut
    return lines, tax, shipping, pieces


@PROPERTY
@given(orders_split_into_refunds())
def test_refunding_every_line_in_pieces_gives_back_exactly_what_was_paid(case):
    lines, tax, shipping, pieces = case
    refunded = [
        refund_for_lines(lines, tax, shipping, piece, all_lines_now_refunded=i == len(pieces) - 1)
        for i, piece in enumerate(pieces)
    ]
    assert sum(r.tax for r in refunded) == tax
    assert sum(r.lines for r in refunded) == sum(line.amount for line in lines)
    assert sum(r.total for r in refunded) == sum(line.amount for line in lines) + tax + shipping


@PROPERTY
@given(orders_split_into_refunds())
def test_a_partial_refund_never_gives_back_more_than_was_paid_for_its_lines(case):
    lines, tax, shipping, pieces = case
    paid_for = {line.line_id: line.amount for line in lines}
    goods = sum(paid_for.values())
    for piece in pieces[:-1]:  # never the last: some lines are kept
        amount = refund_for_lines(lines, tax, shipping, piece, all_lines_now_refunded=False)
        value = sum(paid_for[line_id] for line_id in piece)
        assert amount.shipping == 0
        assert 0 <= amount.tax <= tax
        if goods:  # pro rata, off by less than one unit per line
            assert abs(amount.tax * goods - tax * value) < goods * len(piece)
        assert amount.total <= goods + tax + shipping


def test_units_of_a_line_give_back_their_share_of_its_tax_never_more():
    from shared.domain.refund_policy import refund_for_units

    lines = [("L1", 2, 2000), ("L2", 1, 1000)]  # 4000 + 1000; tax 500 -> 400 and 100
    one = refund_for_units(lines, 500, 600, {"L1": 1}, all_lines_now_refunded=False)
    assert (one.lines, one.tax, one.shipping) == (2000, 200, 0)
    everything = refund_for_units(lines, 500, 600, {"L1": 2, "L2": 1}, all_lines_now_refunded=True)
    assert everything.total == 5000 + 500 + 600
    with pytest.raises(InvalidRefundRequest):
        refund_for_units(lines, 500, 600, {"L1": 3}, all_lines_now_refunded=False)


def test_single_unit_returns_of_a_line_give_back_its_whole_tax_share():
    """Issue 11, case 6: three one-unit returns of a line whose tax share is 10 refunded 9."""
    from shared.domain.refund_policy import refund_for_units

    lines = [("L1", 3, 1000)]
    pieces = [
        refund_for_units(lines, 10, 0, {"L1": 1}, all_lines_now_refunded=False, already={"L1": done})
        for done in range(3)
    ]
    assert [p.tax for p in pieces] == [3, 3, 4]
    assert sum(p.tax for p in pieces) == 10
    with pytest.raises(InvalidRefundRequest):  # more units than are left to refund
        refund_for_units(lines, 10, 0, {"L1": 2}, all_lines_now_refunded=False, already={"L1": 2})


@st.composite
def unit_lines_split_into_refunds(draw):
    """Order lines (id, quantity, unit amount) and every unit of them refunded in random pieces."""
    lines = [(f"L{i}", draw(st.integers(1, 12)), draw(st.integers(0, 50_000))) for i in range(draw(st.integers(1, 6)))]
    tax = draw(st.integers(0, 20_000))
    units = [line_id for line_id, qty, _ in lines for _ in range(qty)]
    units = draw(st.permutations(units))
    cuts = sorted(draw(st.sets(st.integers(1, len(units)), max_size=len(units))) | {len(units)})
    pieces, start = [], 0
    for cut in cuts:
        piece: dict[str, int] = {}
        for line_id in units[start:cut]:
            piece[line_id] = piece.get(line_id, 0) + 1
        pieces.append(piece)
        start = cut
    return lines, tax, pieces


@PROPERTY
@given(unit_lines_split_into_refunds())
def test_refunding_units_in_any_pieces_gives_back_exactly_the_tax_never_more(case):
    """The function production calls (cancellations and returns) adds up to the whole."""
    from shared.domain.refund_policy import refund_for_units

    lines, tax, pieces = case
    quantities = {line_id: qty for line_id, qty, _ in lines}
    shares = tax_shares([LineValue(i, q * u) for i, q, u in lines], tax)
    before: dict[str, int] = {}
    refunded_tax = 0
    for n, piece in enumerate(pieces):
        amount = refund_for_units(lines, tax, 0, piece, all_lines_now_refunded=n == len(pieces) - 1, already=before)
        refunded_tax += amount.tax
        for line_id, qty in piece.items():
            before[line_id] = before.get(line_id, 0) + qty
        # never ahead of the units refunded so far, pro rata per line
        assert refunded_tax <= sum(shares[i] * before.get(i, 0) / quantities[i] for i in quantities) + 1e-9
    assert refunded_tax == tax
