"""API keys of the systems that call the HTTP API, stored hashed (`api_keys`).

A key reads `pw_<prefix>_<secret>`: the prefix finds the row, the secret (32 random bytes) is
checked against its SHA-256 in constant time. A key this random needs no slow hash: there is
nothing to guess. Each key has scopes; a revoked key is refused like a wrong one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import asyncpg


class Scope(StrEnum):
    HR_WRITE = "hr:write"
    """Send HR events."""
    CAREERS_READ = "careers:read"
    JOURNEYS_READ = "journeys:read"
    JOURNEYS_WRITE = "journeys:write"
    """Start journeys through the engine's start path."""


KNOWN = {s.value for s in Scope}


class ApiKeyError(ValueError):
    """A key that cannot be made or changed as asked (a name taken, no such key)."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    prefix: str
    scopes: frozenset[Scope]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _key(row: asyncpg.Record) -> ApiKey:
    return ApiKey(
        name=row["name"],
        prefix=row["prefix"],
        scopes=frozenset(Scope(s) for s in row["scopes"] if s in KNOWN),
        created_by=row["created_by"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


class ApiKeys:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, name: str, scopes: set[Scope], created_by: str) -> str:
        """Make a key; returns the key itself, which is not stored and not shown again."""
        if not scopes:
            raise ApiKeyError("a key needs at least one scope")
        prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
        try:
            await self.pool.execute(
                "INSERT INTO api_keys (name, prefix, key_hash, scopes, created_by) "
                "VALUES ($1, $2, $3, $4, $5)",
                name, prefix, _hash(secret), sorted(s.value for s in scopes), created_by,
            )  # fmt: skip
        except asyncpg.UniqueViolationError:
            raise ApiKeyError(f"there is already a key named {name!r}") from None
        return f"pw_{prefix}_{secret}"

    async def revoke(self, name: str, revoked_by: str) -> None:
        done = await self.pool.execute(
            "UPDATE api_keys SET revoked_at = now(), revoked_by = $2 "
            "WHERE name = $1 AND revoked_at IS NULL",
            name, revoked_by,
        )  # fmt: skip
        if done.endswith(" 0"):
            raise ApiKeyError(f"no key named {name!r} is in use")

    async def list(self) -> list[ApiKey]:
        rows = await self.pool.fetch("SELECT * FROM api_keys ORDER BY name")
        return [_key(r) for r in rows]

    async def check(self, presented: str) -> ApiKey | None:
        """The key's record if `presented` is a key in use; None otherwise."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != "pw" or not parts[1] or not parts[2]:
            return None
        row = await self.pool.fetchrow(
            "SELECT * FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL", parts[1]
        )
        if row is None or not hmac.compare_digest(bytes(row["key_hash"]), _hash(parts[2])):
            return None
        await self.pool.execute(  # at most once a minute a key
            "UPDATE api_keys SET last_used_at = now() WHERE name = $1 AND "
            "(last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
            row["name"],
        )
        return _key(row)
