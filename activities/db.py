"""PostgreSQL connections and schema migrations.

`DATABASE_URL` points at a real server. Without it, the embedded PostgreSQL from `pgserver`
that `make up` runs in the data folder is joined by the worker and the command line; it keeps
its data across restarts.
"""

from __future__ import annotations

import asyncio
import json
import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg

# pgserver asks platformdirs for a runtime folder, which warns on machines without a session.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", category=UserWarning)

MIGRATION_LOCK = 7_211_001  # advisory lock id: one migrator at a time
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached; the message says where and what to check."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    folder = resources.files("activities") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration versions must be 1..n without gaps, found {versions}")
    return found


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply the migrations this database has not seen; returns the names applied."""
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for migration in migrations():
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
            applied.append(migration.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied


def embedded_folder(data_dir: Path) -> Path:
    """Where `make up` keeps the embedded PostgreSQL: `data_dir/postgres`."""
    return (data_dir / "postgres").resolve()


def embedded_database_url(data_dir: Path) -> str:
    """Join the embedded PostgreSQL that `make up` runs in `data_dir/postgres`; its URL.

    Only `make up` starts it (and stops it on the way out): a command that started it would
    leave a server running that no process owns after `make down`.
    """
    import pgserver  # heavy import, only when there is no DATABASE_URL

    folder = embedded_folder(data_dir)
    if not (folder / "postmaster.pid").exists():
        raise DatabaseUnavailable(
            f"the embedded PostgreSQL in {folder} is not running: start it with `make up`, "
            "or set DATABASE_URL"
        )
    # cleanup_mode=None: joining must not stop it; `make up` and `make down` do that.
    server = pgserver.get_server(folder, cleanup_mode=None)
    return str(server.get_uri())


def resolve_database_url(database_url: str | None, data_dir: Path) -> str:
    return database_url or embedded_database_url(data_dir)


def _where(dsn: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", dsn)


async def connect_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, connect_timeout: float = 15.0
) -> asyncpg.Pool:
    """Open a pool within `connect_timeout` seconds (the entry point's
    `DATABASE_CONNECT_TIMEOUT`); an unreachable server or a wrong DSN becomes one clear line."""
    try:
        pool = await asyncio.wait_for(
            asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init_connection),
            timeout=connect_timeout,
        )
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        detail = str(error) or type(error).__name__
        raise DatabaseUnavailable(
            f"cannot connect to PostgreSQL at {_where(dsn)}: {detail}. "
            "Check DATABASE_URL (or unset it to use the embedded server)."
        ) from None
    assert pool is not None
    return pool


async def _init_connection(conn: asyncpg.Connection) -> None:
    # Binary format, so `jsonb` columns also work in binary COPY (the event store appends with
    # one): on the wire a jsonb value is a format version byte (1) and the JSON text.
    await conn.set_type_codec(
        "jsonb", encoder=_jsonb_send, decoder=_jsonb_recv, schema="pg_catalog", format="binary"
    )


def _jsonb_send(value: Any) -> bytes:
    # Callers pass canonical JSON they have already hashed, as text or as UTF-8 bytes; anything
    # else is dumped here.
    if isinstance(value, bytes):
        return b"\x01" + value
    text = value if isinstance(value, str) else json.dumps(value)
    return b"\x01" + text.encode("utf-8")


def _jsonb_recv(data: bytes) -> Any:
    if data[:1] != b"\x01":
        raise ValueError(f"unknown jsonb wire format version {data[:1]!r}")
    return json.loads(data[1:])


async def open_database(dsn: str, **pool_args: Any) -> asyncpg.Pool:
    """Connect and bring the schema up to date."""
    pool = await connect_pool(dsn, **pool_args)
    async with pool.acquire() as conn:
        await migrate(conn)
    return pool
