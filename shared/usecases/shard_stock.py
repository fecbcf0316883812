"""Split a hot (sku, node)'s stock over more items, and even its shards out (docs/hot-sku.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.domain.shards import MAX_SHARDS, Move, Shard, ShardsCannotShrink, rebalance

if TYPE_CHECKING:
    from shared.domain.inventory import StockLevel
    from shared.ports import StockShards

# A move loses its race when an order takes the source's units meanwhile: plan again, this often.
REBALANCE_ROUNDS = 3


@dataclass(frozen=True)
class ShardedLevel:
    level: StockLevel
    shards: list[Shard]


@dataclass(frozen=True)
class Rebalanced(ShardedLevel):
    moves: list[Move]

    @property
    def moved(self) -> int:
        return sum(m.units for m in self.moves)


def set_shard_count(sku: str, node_id: str, count: int, *, shards: StockShards) -> ShardedLevel:
    """Raises the (sku, node)'s shard count; the same count again changes nothing. Units stay where
    they are until they are received, released or rebalanced onto the new shards."""
    if not 1 <= count <= MAX_SHARDS:
        raise ValueError(f"a shard count is 1..{MAX_SHARDS}, not {count}")  # the API validates first
    if not shards.set_shards(sku, node_id, count):
        now = shards.shards_of(sku, node_id)[0].shards
        raise ShardsCannotShrink(f"{sku} at {node_id} has {now} shards; the count can only rise")
    level, parts = shards.shards_of(sku, node_id)
    return ShardedLevel(level, parts)


def rebalance_shards(sku: str, node_id: str, *, shards: StockShards) -> Rebalanced:
    """Evens out what the shards may promise with two-item conditional moves; never changes the total.
    Moves that lose a race with an order are planned again from a fresh read, a few rounds at most."""
    done: list[Move] = []
    for _ in range(REBALANCE_ROUNDS):
        level, parts = shards.shards_of(sku, node_id)
        planned = rebalance(parts, level.shards)
        if not planned:
            break
        moved = [m for m in planned if shards.move_units(sku, node_id, m)]
        done += moved
        if len(moved) == len(planned):
            break
    level, parts = shards.shards_of(sku, node_id)
    return Rebalanced(level, parts, done)
