"""The access log in PostgreSQL (migration 0013): append-only rows of who read what.

Interfaces record a reading before they answer it; if the row cannot be written the reading
fails with the database, as the page itself would, so nothing is read unrecorded.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.access import Access, Door, Read


class AccessLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(
        self, reader: str, door: Door, what: Read, subject: str, employee_id: str | None = None
    ) -> None:
        await self._pool.execute(
            "INSERT INTO access_log (reader, door, what, subject, employee_id) "
            "VALUES ($1, $2, $3, $4, $5)",
            reader, door.value, what.value, subject, employee_id,
        )  # fmt: skip

    async def entries(
        self,
        *,
        employee_id: str | None = None,
        reader: str | None = None,
        since: datetime | None = None,
        limit: int = 500,
    ) -> list[Access]:
        """The newest entries first, filtered by whose record, who read, and from when."""
        records = await self._pool.fetch(
            "SELECT at, reader, door, what, subject, employee_id FROM access_log "
            "WHERE ($1::text IS NULL OR employee_id = $1) AND ($2::text IS NULL OR reader = $2) "
            "AND ($3::timestamptz IS NULL OR at >= $3) ORDER BY id DESC LIMIT $4",
            employee_id, reader, since, limit,
        )  # fmt: skip
        return [Access.model_validate(dict(r)) for r in records]
