"""A person's records, exported for inspection in one file (Labor Code 1198.5: an employee may
inspect their personnel records within 30 days of asking).

The export is a zip: what HR lists for the person, every journey of theirs (each event as the
log holds it, with its hashes, and the timeline in words), their career as it answers now, and
every reading of their records in the access log. Making it is itself recorded there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from activities.access_log import AccessLog
from activities.eventstore import EventStore, StoredEvent
from domain.explain import explain
from domain.external import Employee
from pathways.audit import event_json, write_archive

EXPORT_FORMAT = "pathways-personal-records/1"


async def streams_of(pool: asyncpg.Pool, employee_id: str) -> list[str]:
    """The journeys (and the career) whose records are the person's: every stream id ends with
    the employee's id, and its events name them (a journey's participant, a commitment's
    fellow) or it is their career."""
    escaped = employee_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    records = await pool.fetch(
        "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE $1 AND (stream_id = $2 "
        "OR payload->>'employee_id' = $3 OR payload->>'fellow_id' = $3) ORDER BY stream_id",
        f"%/{escaped}",
        f"career/{employee_id}",
        employee_id,
    )
    return [r["stream_id"] for r in records]


@dataclass(frozen=True)
class Exported:
    path: Path
    journeys: int
    events: int
    readings: int


async def export_person(
    pool: asyncpg.Pool,
    employee: Employee | None,
    employee_id: str,
    career: dict[str, Any] | None,
    by: str,
    dest: Path,
) -> Exported:
    """Write the person's records to `dest` (a zip with a manifest of every file's SHA-256)."""
    store = EventStore(pool)
    files: dict[str, bytes] = {}
    files["person.json"] = json.dumps(
        employee.model_dump(mode="json") if employee else {"employee_id": employee_id,
                                                           "hr": "HR has no record"},
        indent=2,
    ).encode()  # fmt: skip
    total = 0
    streams = await streams_of(pool, employee_id)
    for stream in streams:
        stored: list[StoredEvent] = await store.read_stream(stream)
        total += len(stored)
        name = stream.replace("/", "_")
        files[f"journeys/{name}.jsonl"] = "".join(
            json.dumps(event_json(e), sort_keys=True) + "\n" for e in stored
        ).encode()
        lines = explain((e.to_domain(), str(e.metadata.get("actor", "?"))) for e in stored)
        files[f"journeys/{name}.txt"] = "".join(
            f"{line.when}\t{line.actor}\t{line.what}\n" for line in lines
        ).encode()
    if career is not None:
        files["career.json"] = json.dumps(career, indent=2).encode()
    readings = await AccessLog(pool).entries(employee_id=employee_id, limit=1_000_000)
    files["access_log.jsonl"] = "".join(r.model_dump_json() + "\n" for r in readings).encode()
    about = {"format": EXPORT_FORMAT, "employee_id": employee_id, "exported_by": by}
    write_archive(dest, files, {**about, "journeys": streams, "events": total})
    return Exported(dest, len(streams), total, len(readings))
