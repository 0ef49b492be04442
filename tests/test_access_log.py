"""The access log: who read what, append-only, listed by whose record and by reader."""

from __future__ import annotations

import asyncpg
import pytest

from activities.access_log import AccessLog
from domain.access import Door, Read


async def test_readings_are_listed_newest_first_and_cannot_be_changed(pool: asyncpg.Pool) -> None:
    log = AccessLog(pool)
    await log.record("office:ana", Door.WEB, Read.JOURNEY, "teacher-leader/x/e-1", "e-1")
    await log.record("api:hr", Door.API, Read.CAREER, "e-1", "e-1")
    await log.record("office:ana", Door.WEB, Read.REPORT, "attendance 2026-27")

    mine = await log.entries(employee_id="e-1")
    assert [(e.reader, e.door, e.what) for e in mine] == [
        ("api:hr", Door.API, Read.CAREER),
        ("office:ana", Door.WEB, Read.JOURNEY),
    ]
    assert mine[1].line() == "office:ana read journey teacher-leader/x/e-1 (e-1) through web"
    assert len(await log.entries(reader="office:ana")) == 2
    assert len(await log.entries(limit=1)) == 1

    for statement in ("UPDATE access_log SET reader = 'nobody'", "DELETE FROM access_log"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await pool.execute(statement)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await pool.execute("TRUNCATE access_log")
