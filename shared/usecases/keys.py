"""API keys: create (shown once), resolve (by hash), revoke; each creation and revocation is
recorded on the key with who did it and when (the audit trail of keys)."""

from __future__ import annotations

import hashlib
import secrets

from shared.domain.audit import Stamp
from shared.domain.principal import Kind, Principal
from shared.ports import KeyStore

KEY_PREFIX = "wb_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def principal_id(kind: Kind, name: str) -> str:
    return f"{kind.value}:{name}"


def create_key(
    keys: KeyStore, kind: Kind, name: str, nodes: tuple[str, ...] = (), by: Stamp | None = None
) -> tuple[str, Principal]:
    """Returns the new key (the only time it exists in clear) and its principal. `by`: who creates it."""
    if kind == Kind.WAREHOUSE and not nodes:
        raise ValueError("a warehouse key must be bound to at least one node id")
    key = f"{KEY_PREFIX}{kind.value}_{secrets.token_urlsafe(32)}"
    principal = Principal(principal_id(kind, name), kind, name, tuple(sorted(nodes)))
    keys.put(hash_key(key), principal, by)
    return key, principal


def revoke_keys(keys: KeyStore, kind: Kind, name: str, by: Stamp) -> int:
    """Revokes every key of the principal, recording who revoked them; how many were."""
    return keys.revoke(principal_id(kind, name), by)


def resolve_key(keys: KeyStore, key: str) -> Principal | None:
    """The principal of a live key, or None for a missing, malformed, unknown or revoked key."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    principal = keys.get(hash_key(key))
    if principal is None or principal.revoked:
        return None
    return principal


def bearer_token(headers: dict[str, str] | None) -> str:
    """The key in an `Authorization: Bearer <key>` header (any case), or ""."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "authorization"), "") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
