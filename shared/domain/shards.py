"""Sharded stock: a hot (sku, node) split over K items so its writes spread (docs/hot-sku.md). No I/O.

Shard 0 is the (sku, node)'s own stock item, so K = 1 is the unsharded layout; shards 1..K-1 are
items with the same counters. Every shard's `available >= q` condition guards it on its own, so no
shard, and hence no sum, can be promised twice. Shard 0 is the home shard: it carries the safety
stock and the settings, units given back by a release return to it, and units taken away (losses,
counts down) leave the other shards first. So only shard 0 can show a negative available, and only
while the whole (sku, node) is short of its safety stock; what any other shard shows may be promised.
"""

from __future__ import annotations

import zlib

from shared.domain.errors import DomainError
from shared.records import record

MAX_SHARDS = 32  # a reservation line touches at most this many items (a transaction takes 100)


class ShardsCannotShrink(DomainError):
    code = "shards_cannot_shrink"
    http_status = 409


@record
class Shard:
    """One shard's counters as stored. `available` is unreserved units, less the safety stock on shard 0."""

    index: int
    on_hand: int = 0
    reserved: int = 0
    available: int = 0

    @property
    def unreserved(self) -> int:
        return self.on_hand - self.reserved


def start_shard(order_id: str, sku: str, shards: int) -> int:
    """The shard an order tries first: a stable hash, so concurrent orders spread over the shards."""
    return zlib.crc32(f"{order_id}#{sku}".encode()) % shards


def take(shards: list[Shard], quantity: int, start: int) -> dict[int, int] | None:
    """Where a reservation of `quantity` takes its units: one shard holding them all if any (the first
    from `start` on), else several in turn; None when the shards together cannot promise that many."""
    ring = sorted(shards, key=lambda s: (s.index - start) % max(len(shards), 1))
    whole = next((s for s in ring if s.available >= quantity), None)
    if whole is not None:
        return {whole.index: quantity}
    plan: dict[int, int] = {}
    left = quantity
    for shard in ring:
        n = min(left, max(0, shard.available))
        if n:
            plan[shard.index] = n
            left -= n
    return plan if left == 0 else None


def spread(units: int, shards: int, start: int) -> list[int]:
    """`units` dealt round-robin over `shards` from `start`: each gets units // shards, the first
    units % shards one more."""
    each, extra = divmod(units, shards)
    return [each + (1 if (i - start) % shards < extra else 0) for i in range(shards)]


def placement(shards: list[Shard], count: int, on_hand_delta: int, safety_delta: int, start: int) -> dict[int, int]:
    """Units added to (or, negative, taken from) each shard's on hand for an adjustment of the pair.

    `shards`: the shard items read (a missing one holds nothing); `count`: the pair's shard count;
    `safety_delta`: how much the safety stock (on shard 0) rises. Added units first bring shard 0 back
    to covering its safety stock, the rest is dealt round-robin from `start`; taken units leave the
    other shards first. A raised safety stock that shard 0 cannot cover pulls units to it from the
    others. ValueError when fewer units are unreserved than are taken (the storage would refuse too).
    """
    by_index = {s.index: s for s in shards}
    home = by_index.get(0, Shard(0))
    moves: dict[int, int] = {}
    home_available = home.available - safety_delta
    if on_hand_delta > 0:
        to_home = min(on_hand_delta, max(0, -home_available))
        dealt = spread(on_hand_delta - to_home, count, start)
        for i, n in enumerate(dealt):
            moves[i] = moves.get(i, 0) + n
        moves[0] = moves.get(0, 0) + to_home
    elif on_hand_delta < 0:
        left = -on_hand_delta
        for shard in sorted((s for s in shards if s.index != 0), key=lambda s: -s.available):
            n = min(left, max(0, shard.available))
            if n:
                moves[shard.index] = -n
                left -= n
        if left > max(0, home.unreserved):
            raise ValueError(f"fewer than {-on_hand_delta} units are unreserved")
        if left:
            moves[0] = -left
    home_available += moves.get(0, 0)
    if home_available < 0:  # pull promisable units home to cover the safety stock
        for shard in sorted((s for s in shards if s.index != 0), key=lambda s: -s.available):
            room = shard.available + min(0, moves.get(shard.index, 0))
            n = min(-home_available, max(0, room))
            if n:
                moves[shard.index] = moves.get(shard.index, 0) - n
                moves[0] = moves.get(0, 0) + n
                home_available += n
    return {i: n for i, n in sorted(moves.items()) if n}


@record
class Move:
    """Units moved from one shard to another, as one two-item conditional transaction."""

    source: int
    target: int
    units: int


def rebalance(shards: list[Shard], count: int) -> list[Move]:
    """Moves that even out what the `count` shards may promise, shard 0 first brought back to covering
    its safety stock. Never changes the total: each move takes from one shard what it gives another."""
    available = {i: 0 for i in range(count)} | {s.index: s.available for s in shards}
    total = sum(available.values())
    targets = spread(max(0, total), count, 0)
    if total < 0:
        targets[0] = total  # short of the safety stock: everything promisable goes home
    surplus = [[i, available[i] - targets[i]] for i in range(count) if available[i] > targets[i]]
    wanting = [[i, targets[i] - available[i]] for i in range(count) if available[i] < targets[i]]
    moves: list[Move] = []
    while surplus and wanting:
        n = min(surplus[0][1], wanting[0][1])
        moves.append(Move(surplus[0][0], wanting[0][0], n))
        surplus[0][1] -= n
        wanting[0][1] -= n
        surplus = [x for x in surplus if x[1]]
        wanting = [x for x in wanting if x[1]]
    return moves
