"""Read models for program staff, built from the event log and rebuildable from zero.

The projector keeps a checkpoint (the last global position it applied) and moves it in the
same transaction as the rows it changes, so a crash never applies an event twice or skips one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger(__name__)

PROJECTION = "teacher_leader_journeys"
PROJECTION_LOCK = 7_211_003
_COLUMNS = [
    "stream_id", "employee_id", "full_name", "role", "cohort", "school_id", "program_year",
    "stage", "decision", "stipend_paid", "stipend_cents", "withheld_reasons", "substitute_days",
    "reimbursement_cents", "stipend_reference", "reimbursement_reference", "end_reason", "ended",
    "last_position",
]  # fmt: skip

_DECIDED_STAGE = {"accepted": "commitment_pending", "waitlisted": "waitlisted"}
Row = dict[str, Any]


def _submitted(row: Row, p: dict[str, Any]) -> None:
    row.update(
        employee_id=p["employee_id"], full_name="", role=p["role"],
        cohort=p.get("cohort"), school_id=p["school_id"], program_year=p["program_year"],
        stage="applied",
    )  # fmt: skip


def _identified(row: Row, p: dict[str, Any]) -> None:
    row["full_name"] = p["full_name"]


def _decided(row: Row, p: dict[str, Any]) -> None:
    row["decision"] = p["outcome"]
    row["stage"] = _DECIDED_STAGE.get(p["outcome"], p["outcome"])


def _stipend(row: Row, p: dict[str, Any]) -> None:
    row.update(
        stipend_paid=p["paid"], stipend_cents=p["amount_cents"], withheld_reasons=p["reasons"]
    )


def _reimbursement(row: Row, p: dict[str, Any]) -> None:
    row.update(substitute_days=Decimal(p["substitute_days"]), reimbursement_cents=p["amount_cents"])


def _payment(row: Row, p: dict[str, Any]) -> None:
    column = "stipend_reference" if p["kind"] == "stipend" else "reimbursement_reference"
    row[column] = p["payroll_reference"]


def _stage(stage: str, reason: bool = False) -> Callable[[Row, dict[str, Any]], None]:
    def apply(row: Row, p: dict[str, Any]) -> None:
        row["stage"] = stage
        if reason:
            row["end_reason"] = p["reason"]

    return apply


def _ended(row: Row, p: dict[str, Any]) -> None:
    row["ended"] = True


HANDLERS: dict[str, Callable[[Row, dict[str, Any]], None]] = {
    "teacher_leader.ApplicationSubmitted": _submitted,
    "teacher_leader.ApplicantIdentified": _identified,
    "teacher_leader.ApplicationDecided": _decided,
    "teacher_leader.JoinedInstructionalLeadershipTeam": _stage("active"),
    "teacher_leader.ApplicationLapsed": _stage("lapsed", reason=True),
    "teacher_leader.YearClosed": _stage("closed"),
    "teacher_leader.JourneyWithdrawn": _stage("withdrawn", reason=True),
    "teacher_leader.SeparationRecorded": _stage("separated", reason=True),
    "teacher_leader.StipendDecided": _stipend,
    "teacher_leader.SubstituteReimbursementDecided": _reimbursement,
    "teacher_leader.PaymentRequested": _payment,
    "teacher_leader.JourneyEnded": _ended,
}


@dataclass(frozen=True)
class SchoolReimbursement:
    school_id: str
    teacher_leaders: int
    substitute_days: Decimal
    amount_cents: int


class ReadModel:
    def __init__(self, pool: asyncpg.Pool, page_size: int = 20_000) -> None:
        self._pool = pool
        self._page_size = page_size

    async def catch_up(self) -> int:
        """Apply every event after the checkpoint; returns how many were applied."""
        applied = 0
        while True:
            count = await self._apply_page()
            applied += count
            if count < self._page_size:
                return applied

    async def rebuild(self) -> int:
        """Rebuild from zero in one pass and one transaction: COPY out every event this
        projection applies (one snapshot of the log), fold them in memory as they arrive, and
        COPY the finished rows in. Returns the number of events applied."""
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            await conn.execute("SELECT pg_advisory_xact_lock($1)", PROJECTION_LOCK)
            last = int(await conn.fetchval("SELECT coalesce(max(global_position), 0) FROM events"))
            fold = _CopyFold()
            await conn.copy_from_query(
                "SELECT global_position, stream_id, event_type, payload FROM events "
                "WHERE global_position <= $1 AND event_type = ANY($2::text[]) "
                "ORDER BY global_position",
                last,
                list(HANDLERS),
                output=fold.feed,
                format="text",
            )
            fold.finish()
            await conn.execute("DELETE FROM teacher_leader_journeys")
            rows = [r for r in fold.rows.values() if r.get("employee_id")]
            if rows:
                await conn.copy_records_to_table(
                    PROJECTION, records=[tuple(r[c] for c in _COLUMNS) for r in rows],
                    columns=_COLUMNS,
                )  # fmt: skip
            await _save_checkpoint(conn, last)
        return fold.applied

    async def follow(self, stop: asyncio.Event, every_seconds: float = 2.0) -> None:
        """Keep the read model current until `stop` is set."""
        while not stop.is_set():
            try:
                applied = await self.catch_up()
                if applied:
                    log.info("read model caught up", projection=PROJECTION, applied=applied)
            except (asyncpg.PostgresError, OSError) as error:
                log.warning("read model could not catch up", error=str(error))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_seconds)

    async def _apply_page(self) -> int:
        # One snapshot for the page and the log's end, so that a page shorter than the page
        # size can move the checkpoint past events this projection does not read.
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            await conn.execute("SELECT pg_advisory_xact_lock($1)", PROJECTION_LOCK)
            position = await conn.fetchval(
                "SELECT position FROM projection_checkpoints WHERE name = $1", PROJECTION
            )
            position = int(position or 0)
            records = await conn.fetch(
                "SELECT global_position, stream_id, event_type, payload FROM events "
                "WHERE global_position > $1 AND event_type = ANY($3::text[]) "
                "ORDER BY global_position LIMIT $2",
                position,
                self._page_size,
                list(HANDLERS),
            )
            if len(records) < self._page_size:
                last = await conn.fetchval(
                    "SELECT coalesce(max(global_position), $1) FROM events", position
                )
            else:
                last = records[-1]["global_position"]
            if not records:
                if last > position:
                    await _save_checkpoint(conn, last)
                return 0
            streams = list({r["stream_id"] for r in records})
            rows: dict[str, Row] = {
                r["stream_id"]: dict(r)
                for r in await conn.fetch(
                    f"SELECT {', '.join(_COLUMNS)} FROM teacher_leader_journeys "
                    "WHERE stream_id = ANY($1::text[])",
                    streams,
                )
            }
            for r in records:
                _apply(rows, r["global_position"], r["stream_id"], r["event_type"], r["payload"])
            await _upsert(conn, [r for r in rows.values() if r.get("employee_id")])
            await _save_checkpoint(conn, last)
            return len(records)

    async def journeys(self, program_year: str | None = None) -> list[Row]:
        async with self._pool.acquire() as conn:
            records = await conn.fetch(
                f"SELECT {', '.join(_COLUMNS)} FROM teacher_leader_journeys "
                "WHERE $1::text IS NULL OR program_year = $1 ORDER BY school_id, full_name",
                program_year,
            )
        return [dict(r) for r in records]

    async def reimbursements_by_school(
        self, program_year: str | None = None
    ) -> list[SchoolReimbursement]:
        async with self._pool.acquire() as conn:
            records = await conn.fetch(
                "SELECT school_id, count(*) AS teacher_leaders, "
                "sum(substitute_days) AS days, sum(reimbursement_cents) AS cents "
                "FROM teacher_leader_journeys "
                "WHERE ($1::text IS NULL OR program_year = $1) AND reimbursement_cents > 0 "
                "GROUP BY school_id ORDER BY school_id",
                program_year,
            )
        return [
            SchoolReimbursement(r["school_id"], r["teacher_leaders"], r["days"], int(r["cents"]))
            for r in records
        ]


async def _save_checkpoint(conn: asyncpg.Connection, position: int) -> None:
    await conn.execute(
        "INSERT INTO projection_checkpoints (name, position) VALUES ($1, $2) "
        "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
        PROJECTION,
        position,
    )


def _apply(
    rows: dict[str, Row], position: int, stream_id: str, event_type: str, payload: dict[str, Any]
) -> None:
    """Fold one event into its journey's row (a new row for a journey's first event)."""
    row = rows.get(stream_id)
    if row is None:
        row = rows[stream_id] = _new_row(stream_id)
    HANDLERS[event_type](row, payload)
    row["last_position"] = position


class _CopyFold:
    """Folds the rows of a text-format COPY of (global_position, stream_id, event_type,
    payload) as they arrive, so PostgreSQL sends the next rows while these are folded.

    In that format a row ends at a newline and a field at a tab; a newline, tab or backslash
    inside a field arrives escaped, and COPY writes no other escapes.
    """

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.applied = 0
        self._rest = b""

    async def feed(self, data: bytes) -> None:
        data = self._rest + data
        cut = data.rfind(b"\n")
        if cut < 0:
            self._rest = data
            return
        self._rest = data[cut + 1 :]
        for line in data[:cut].split(b"\n"):
            position, stream_id, event_type, payload = line.split(b"\t")
            _apply(
                self.rows, int(position), _text(stream_id).decode(), _text(event_type).decode(),
                json.loads(_text(payload)),
            )  # fmt: skip
            self.applied += 1

    def finish(self) -> None:
        if self._rest:
            raise ValueError(f"COPY ended inside a row: {self._rest[:80]!r}")


_COPY_ESCAPE = re.compile(rb"\\(.)")
_COPY_ESCAPES = {
    b"\\": b"\\", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v",
}  # fmt: skip


def _text(field: bytes) -> bytes:
    """A field of text-format COPY output, unescaped."""
    if b"\\" not in field:
        return field
    return _COPY_ESCAPE.sub(lambda m: _COPY_ESCAPES[m.group(1)], field)


def _new_row(stream_id: str) -> Row:
    row: Row = dict.fromkeys(_COLUMNS)
    row.update(
        stream_id=stream_id, stipend_cents=0, withheld_reasons=[], substitute_days=Decimal(0),
        reimbursement_cents=0, ended=False,
    )  # fmt: skip
    return row


# The array type each column travels in when a page of rows is upserted in one statement.
_ARRAY_TYPES = {
    "stipend_paid": "boolean[]", "stipend_cents": "bigint[]", "withheld_reasons": "text[]",
    "substitute_days": "numeric[]", "reimbursement_cents": "bigint[]", "ended": "boolean[]",
    "last_position": "bigint[]",
}  # fmt: skip


async def _upsert(conn: asyncpg.Connection, rows: list[Row]) -> None:
    """Upsert a page of rows in one statement (one array per column)."""
    if not rows:
        return
    arrays = ", ".join(
        f"${i}::{_ARRAY_TYPES.get(c, 'text[]')}" for i, c in enumerate(_COLUMNS, start=1)
    )
    select = ", ".join(f"{c}::jsonb" if c == "withheld_reasons" else c for c in _COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "stream_id")
    await conn.execute(
        f"INSERT INTO teacher_leader_journeys ({', '.join(_COLUMNS)}) "
        f"SELECT {select} FROM unnest({arrays}) AS page ({', '.join(_COLUMNS)}) "
        f"ON CONFLICT (stream_id) DO UPDATE SET {updates}",
        *[
            [json.dumps(r[c]) for r in rows] if c == "withheld_reasons" else [r[c] for r in rows]
            for c in _COLUMNS
        ],
    )
