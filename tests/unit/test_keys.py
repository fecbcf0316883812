import pytest

from shared.domain.principal import Principal
from shared.topology import Kind
from shared.usecases.keys import create_key, hash_key, principal_id, resolve_key
from tests.unit.fakes import InMemoryKeys


def test_key_is_stored_only_as_its_hash_and_resolves_to_its_principal():
    keys = InMemoryKeys()
    key, principal = create_key(keys, Kind.CHANNEL, "web")
    assert key not in keys.items
    assert list(keys.items) == [hash_key(key)]
    assert resolve_key(keys, key) == principal
    assert principal.principal_id == principal_id(Kind.CHANNEL, "web")


def test_unknown_malformed_and_revoked_keys_resolve_to_nobody():
    keys = InMemoryKeys()
    key, _ = create_key(keys, Kind.OPS, "ops")
    assert resolve_key(keys, "wb_ops_nope") is None
    assert resolve_key(keys, "") is None
    assert resolve_key(keys, "x" * 500) is None
    assert keys.revoke("ops:ops") == 1
    assert resolve_key(keys, key) is None


def test_warehouse_keys_are_bound_to_nodes():
    keys = InMemoryKeys()
    with pytest.raises(ValueError, match="node"):
        create_key(keys, Kind.WAREHOUSE, "w")
    _key, principal = create_key(keys, Kind.WAREHOUSE, "w", ("dc-2", "dc-1"))
    assert principal.nodes == ("dc-1", "dc-2")


def test_channels_see_only_their_orders():
    web = Principal("channel:web", Kind.CHANNEL, "web")
    ops = Principal("ops:ops", Kind.OPS, "ops")
    assert web.sees_order_of("web")
    assert not web.sees_order_of("pos")
    assert ops.sees_order_of("pos")
