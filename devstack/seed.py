"""Demo principals for the embedded stack: an admin, three channels, a warehouse, ops, finance and a carrier."""

from __future__ import annotations

from typing import Any

from devstack.provision import Resources
from shared.adapters.dynamodb_keys import DynamoDBKeys
from shared.adapters.system import SystemClock
from shared.domain.audit import Actor, Stamp
from shared.topology import API_KEYS, Kind
from shared.usecases.keys import create_key

CHANNELS = ("web", "pos", "marketplace")
WAREHOUSE_NODES = ("dc-east", "dc-west")


def seed_keys(dynamodb: Any, res: Resources) -> dict[str, Any]:
    keys = DynamoDBKeys(dynamodb, res.tables[API_KEYS.name])
    by = Stamp(Actor("admin", "waybill dev (seed)"), SystemClock().now())
    seeded: dict[str, Any] = {
        "admin": create_key(keys, Kind.ADMIN, "admin", by=by)[0],
        "channels": {name: create_key(keys, Kind.CHANNEL, name, by=by)[0] for name in CHANNELS},
        "warehouse": create_key(keys, Kind.WAREHOUSE, "warehouse-east", WAREHOUSE_NODES, by)[0],
        "ops": create_key(keys, Kind.OPS, "ops", by=by)[0],
        "finance": create_key(keys, Kind.FINANCE, "finance", by=by)[0],
        "carrier": create_key(keys, Kind.CARRIER, "sandbox-carrier", by=by)[0],
    }
    return seeded
