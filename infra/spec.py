"""What the stack is built from: shared/topology.py's declarations, gathered into one value.

Tests build variants of it (a schedule, a bucket grant, ...) to prove the stack handles every kind of
trigger and grant before the topology uses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared import topology
from shared.topology import Bucket, EmailTemplate, FactStore, Function, Queue, Secret, StateMachine, Table, Topic

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SENDER_EMAIL = "orders@example.com"


@dataclass(frozen=True)
class Spec:
    functions: tuple[Function, ...]
    tables: tuple[Table, ...]
    queues: tuple[Queue, ...]
    buckets: tuple[Bucket, ...]
    secrets: tuple[Secret, ...]
    email_templates: tuple[EmailTemplate, ...]
    state_machines: tuple[StateMachine, ...]
    fact_stores: tuple[FactStore, ...] = ()
    topics: tuple[Topic, ...] = ()

    @classmethod
    def from_topology(cls) -> Spec:
        return cls(
            functions=topology.FUNCTIONS,
            tables=topology.TABLES,
            queues=topology.QUEUES,
            buckets=topology.BUCKETS,
            secrets=topology.SECRETS,
            email_templates=topology.EMAIL_TEMPLATES,
            state_machines=topology.STATE_MACHINES,
            fact_stores=topology.FACT_STORES,
            topics=topology.TOPICS,
        )
