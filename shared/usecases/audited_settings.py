"""Nodes and routing policies saved with who changed them, when (the audit trail of settings)."""

from __future__ import annotations

from dataclasses import replace

from shared.domain.audit import Actor, Stamp
from shared.domain.routing import Node, Policy
from shared.ports import Clock, Nodes, Policies


def save_node(node: Node, by: Actor, *, nodes: Nodes, clock: Clock) -> tuple[Node, bool]:
    """The node as saved, and whether it is new."""
    stamped = replace(node, updated=Stamp(by, clock.now()))
    return stamped, nodes.put(stamped)


def save_policy(channel: str, policy: Policy, by: Actor, *, policies: Policies, clock: Clock) -> Policy:
    policies.put(channel, replace(policy, updated=Stamp(by, clock.now())))
    return policies.get(channel)
