"""Read models for program staff, built from the event log and rebuildable from zero.

A row is what the pathway's own domain fold (its registry entry's `fold`) makes of the
journey's events, so the read model and the journey never disagree on a stage or a stipend.

The projector keeps a checkpoint (the last global position it applied) and moves it in the
same transaction as the rows it changes, so a crash never applies an event twice or skips one.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from activities.periodic import every
from activities.person_keys import PersonKeys, boxed_persons, readable
from domain.catalog.explain import SENTENCES as CATALOG_SENTENCES
from domain.catalog.journey import ProgramJourneyState
from domain.catalog.journey import fold_into as program_fold
from domain.deliverables import DeliverableStatus
from domain.events import DomainEvent, load_event, load_event_json
from domain.teacher_leader.events import (
    ApplicantIdentified,
    ApplicationDecided,
    ApplicationLapsed,
    ApplicationSubmitted,
    JoinedInstructionalLeadershipTeam,
    JourneyEnded,
    JourneyWithdrawn,
    PaymentRequested,
    SeparationRecorded,
    StipendDecided,
    SubstituteReimbursementDecided,
    YearClosed,
)
from domain.teacher_leader.journey import Journey, reason_heading
from domain.teacher_leader.start import TEACHER_LEADER

log = structlog.get_logger(__name__)

PROJECTION = "teacher_leader_journeys"
PROJECTION_LOCK = 7_211_003
#: What the projection reads of each event, in this order.
_READ = "global_position, stream_id, event_id, event_type, schema_version, payload"
_COLUMNS = [
    "stream_id", "employee_id", "full_name", "role", "cohort", "school_id", "program_year",
    "stage", "decision", "stipend_paid", "stipend_cents", "withheld_reasons", "substitute_days",
    "reimbursement_cents", "stipend_reference", "reimbursement_reference", "end_reason", "ended",
    "last_position",
]  # fmt: skip

Row = dict[str, Any]

#: The pathway whose journeys this read model lists; its domain fold builds every row.
PATHWAY = TEACHER_LEADER
#: The events that change a row's columns: the projection reads these and folds them with the
#: pathway's own fold (any other event of the journey leaves the row as it is).
EVENT_TYPES = tuple(
    cls.event_type
    for cls in (
        ApplicationSubmitted, ApplicantIdentified, ApplicationDecided,
        JoinedInstructionalLeadershipTeam, ApplicationLapsed, YearClosed, JourneyWithdrawn,
        SeparationRecorded, StipendDecided, SubstituteReimbursementDecided, PaymentRequested,
        JourneyEnded,
    )
)  # fmt: skip


def _fold(state: Journey | None, event: DomainEvent) -> Journey:
    """The pathway's fold of one more event, in place: every state here is the projection's
    own working copy, so nothing is copied per event."""
    fold = PATHWAY.fold_into
    assert fold is not None  # the teacher leader fold needs no definition
    journey = fold(state, event)
    assert isinstance(journey, Journey)
    return journey


def row_of(stream_id: str, j: Journey, last_position: int) -> Row:
    """A journey's read-model row, from the journey as the domain's fold leaves it."""
    stipend, reimbursement = j.stipend, j.reimbursement
    return {
        "stream_id": stream_id,
        "employee_id": j.employee_id,
        "full_name": j.full_name,
        "role": j.role.value if j.role else None,
        "cohort": j.cohort.value if j.cohort else None,
        "school_id": j.school_id,
        "program_year": j.program_year,
        "stage": j.stage.value,
        "decision": j.decision.value if j.decision else None,
        "stipend_paid": stipend.paid if stipend else None,
        "stipend_cents": stipend.amount_cents if stipend else 0,
        "withheld_reasons": list(stipend.reasons) if stipend else [],
        "substitute_days": reimbursement.substitute_days if reimbursement else Decimal(0),
        "reimbursement_cents": reimbursement.amount_cents if reimbursement else 0,
        "stipend_reference": j.payments.get("stipend"),
        "reimbursement_reference": next(
            (ref for kind, ref in j.payments.items() if kind != "stipend"), None
        ),
        "end_reason": j.end_reason,
        "ended": j.ended,
        "last_position": last_position,
    }


@dataclass(frozen=True)
class Projection:
    """One read-model table: the events it reads, the domain fold that builds a row's journey,
    and the row a journey makes. Each has its own checkpoint and advisory lock."""

    table: str
    lock: int
    event_types: tuple[str, ...]
    columns: list[str]
    fold: Callable[[Any, DomainEvent], Any]
    row_of: Callable[[str, Any, int], Row]
    has_row: Callable[[Any], bool]
    array_types: dict[str, str]
    json_columns: frozenset[str] = frozenset()


class _Folds:
    """Each journey's state and the log position of its last projected event."""

    def __init__(
        self, projection: Projection, keys: Mapping[str, bytes | None] | None = None
    ) -> None:
        self.projection = projection
        self.journeys: dict[str, Any] = {}
        self.positions: dict[str, int] = {}
        self.keys = keys
        """The person keys that open sealed payloads (None: this process has none)."""

    def apply(
        self,
        position: int,
        stream_id: str,
        event_id: str | UUID,
        event_type: str,
        version: int,
        payload: Any,
    ) -> None:
        text = payload.encode() if isinstance(payload, str) else payload
        if isinstance(text, bytes) and b'"_personal"' not in text:
            # The stored JSON text, with nothing sealed: validated as it is parsed.
            event = load_event_json(event_type, version, event_id, text)
        else:
            stored = json.loads(text) if isinstance(text, bytes) else payload
            opened = readable(event_type, event_id, stored, self.keys, f"an event of {stream_id}")
            event = load_event(event_type, version, event_id, opened)
        self.journeys[stream_id] = self.projection.fold(self.journeys.get(stream_id), event)
        self.positions[stream_id] = position

    def rows(self) -> list[Row]:
        p = self.projection
        return [
            p.row_of(stream_id, j, self.positions[stream_id])
            for stream_id, j in self.journeys.items()
            if p.has_row(j)
        ]


@dataclass(frozen=True)
class SchoolReimbursement:
    school_id: str
    teacher_leaders: int
    substitute_days: Decimal
    amount_cents: int


class ReadModel:
    def __init__(
        self,
        pool: asyncpg.Pool,
        page_size: int = 20_000,
        projection: Projection | None = None,
        people: PersonKeys | None = None,
    ) -> None:
        self._pool = pool
        self._page_size = page_size
        self.projection = projection or TEACHER_LEADERS
        self.people = people

    async def _keys(
        self, conn: asyncpg.Connection, payloads: Sequence[Any] | None
    ) -> dict[str, bytes | None] | None:
        """The person keys that open these payloads (None: every person's, for a rebuild's
        raw text); None without person keys."""
        if self.people is None:
            return None
        if payloads is None:
            everyone = await conn.fetch("SELECT person_id FROM person_keys")
            persons = {r["person_id"] for r in everyone}
        else:
            persons = boxed_persons(payloads)
        return await self.people.for_reading(conn, persons) if persons else {}

    async def refold(self, stream_ids: Sequence[str]) -> int:
        """Fold these journeys again from their first event (after an erasure changed what
        their events say) and replace their rows; returns the rows written."""
        p = self.projection
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", p.lock)
            records = await conn.fetch(
                f"SELECT {_READ} FROM events WHERE stream_id = ANY($1::text[]) "
                "AND event_type = ANY($2::text[]) ORDER BY global_position",
                list(stream_ids),
                list(p.event_types),
            )
            folds = _Folds(p, await self._keys(conn, [r["payload"] for r in records]))
            for r in records:
                folds.apply(*r)
            rows = folds.rows()
            await _upsert(conn, p, rows)
        return len(rows)

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
        p = self.projection
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            await conn.execute("SELECT pg_advisory_xact_lock($1)", p.lock)
            last = int(await conn.fetchval("SELECT coalesce(max(global_position), 0) FROM events"))
            fold = _CopyFold(p, await self._keys(conn, None))
            await conn.copy_from_query(
                f"SELECT {_READ} FROM events "
                "WHERE global_position <= $1 AND event_type = ANY($2::text[]) "
                "ORDER BY global_position",
                last,
                list(p.event_types),
                output=fold.feed,
                format="text",
            )
            fold.finish()
            await conn.execute(f"DELETE FROM {p.table}")
            rows = fold.folds.rows()
            if rows:
                await conn.copy_records_to_table(
                    p.table, records=[_record(p, r) for r in rows], columns=p.columns
                )
            await _save_checkpoint(conn, p.table, last)
        return fold.applied

    async def follow(self, stop: asyncio.Event, every_seconds: float = 2.0) -> None:
        """Keep the read model current until `stop` is set."""

        async def round() -> None:
            applied = await self.catch_up()
            if applied:
                log.info("read model caught up", projection=self.projection.table, applied=applied)

        await every(every_seconds, stop, round, log=log, failed="read model could not catch up")

    async def _apply_page(self) -> int:
        # One snapshot for the page and the log's end, so that a page shorter than the page
        # size can move the checkpoint past events this projection does not read.
        p = self.projection
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            await conn.execute("SELECT pg_advisory_xact_lock($1)", p.lock)
            position = await conn.fetchval(
                "SELECT position FROM projection_checkpoints WHERE name = $1", p.table
            )
            position = int(position or 0)
            records = await conn.fetch(
                "SELECT global_position, stream_id FROM events "
                "WHERE global_position > $1 AND event_type = ANY($3::text[]) "
                "ORDER BY global_position LIMIT $2",
                position,
                self._page_size,
                list(p.event_types),
            )
            if len(records) < self._page_size:
                last = await conn.fetchval(
                    "SELECT coalesce(max(global_position), $1) FROM events", position
                )
            else:
                last = records[-1]["global_position"]
            if not records:
                if last > position:
                    await _save_checkpoint(conn, p.table, last)
                return 0
            # A row is its journey's fold, so each journey the page touches is folded again
            # from its first event up to the page's end.
            touched = await conn.fetch(
                f"SELECT {_READ} FROM events WHERE stream_id = ANY($1::text[]) "
                "AND event_type = ANY($2::text[]) AND global_position <= $3 "
                "ORDER BY global_position",
                list({r["stream_id"] for r in records}),
                list(p.event_types),
                records[-1]["global_position"],
            )
            folds = _Folds(p, await self._keys(conn, [r["payload"] for r in touched]))
            for r in touched:
                folds.apply(*r)
            await _upsert(conn, p, folds.rows())
            await _save_checkpoint(conn, p.table, last)
            return len(records)

    async def rows(self, order_by: str, **equal: str | None) -> list[Row]:
        """The projection's rows whose columns equal the values given (None: any)."""
        p = self.projection
        wanted = {c: v for c, v in equal.items() if v is not None}
        assert set(wanted) <= set(p.columns) and order_by in p.columns
        where = " AND ".join(f"{c} = ${i}" for i, c in enumerate(wanted, start=1)) or "true"
        async with self._pool.acquire() as conn:
            records = await conn.fetch(
                f"SELECT {', '.join(p.columns)} FROM {p.table} WHERE {where} ORDER BY {order_by}",
                *wanted.values(),
            )
        return [dict(r) for r in records]

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


async def _save_checkpoint(conn: asyncpg.Connection, name: str, position: int) -> None:
    await conn.execute(
        "INSERT INTO projection_checkpoints (name, position) VALUES ($1, $2) "
        "ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
        name,
        position,
    )


class _CopyFold:
    """Folds the rows of a text-format COPY of the columns `_READ` names as they arrive, so
    PostgreSQL sends the next rows while these are folded.

    In that format a row ends at a newline and a field at a tab; a newline, tab or backslash
    inside a field arrives escaped, and COPY writes no other escapes.
    """

    def __init__(
        self, projection: Projection, keys: Mapping[str, bytes | None] | None = None
    ) -> None:
        self.folds = _Folds(projection, keys)
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
            position, stream_id, event_id, event_type, version, payload = line.split(b"\t")
            self.folds.apply(
                int(position), _text(stream_id).decode(), event_id.decode(),
                _text(event_type).decode(), int(version), _text(payload),
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


def _record(p: Projection, row: Row) -> tuple[Any, ...]:
    """A row as COPY takes it (JSON columns as text)."""
    return tuple(json.dumps(row[c]) if c in p.json_columns else row[c] for c in p.columns)


async def _upsert(conn: asyncpg.Connection, p: Projection, rows: list[Row]) -> None:
    """Upsert a page of rows in one statement (one array per column)."""
    if not rows:
        return
    arrays = ", ".join(
        f"${i}::{p.array_types.get(c, 'text[]')}" for i, c in enumerate(p.columns, start=1)
    )
    select = ", ".join(f"{c}::jsonb" if c in p.json_columns else c for c in p.columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in p.columns if c != "stream_id")
    await conn.execute(
        f"INSERT INTO {p.table} ({', '.join(p.columns)}) "
        f"SELECT {select} FROM unnest({arrays}) AS page ({', '.join(p.columns)}) "
        f"ON CONFLICT (stream_id) DO UPDATE SET {updates}",
        *[
            [json.dumps(r[c]) for r in rows] if c in p.json_columns else [r[c] for r in rows]
            for c in p.columns
        ],
    )


TEACHER_LEADERS = Projection(
    table=PROJECTION,
    lock=PROJECTION_LOCK,
    event_types=EVENT_TYPES,
    columns=_COLUMNS,
    fold=_fold,
    row_of=row_of,
    has_row=lambda j: bool(j.employee_id),  # a journey whose application is not logged yet
    array_types={
        "stipend_paid": "boolean[]",
        "stipend_cents": "bigint[]",
        "withheld_reasons": "text[]",
        "substitute_days": "numeric[]",
        "reimbursement_cents": "bigint[]",
        "ended": "boolean[]",
        "last_position": "bigint[]",
    },
    json_columns=frozenset({"withheld_reasons"}),
)


def _program_row(stream_id: str, j: ProgramJourneyState, last_position: int) -> Row:
    return {
        "stream_id": stream_id,
        "employee_id": j.employee_id,
        "full_name": j.full_name,
        "role": j.role,
        "school_id": j.school_id,
        "program_key": j.program_key,
        "school_year": j.school_year,
        "year_in_program": j.year_in_program,
        "cycle": j.cycle,
        "stage": j.stage.value,
        "parts_completed": sorted(j.completed),
        "hours_earned": j.hours_earned,
        "completed_on": j.program_completed_on,
        "certified_until": j.expires_on or j.certified_until,
        "stipend_cents": j.paid_cents,
        "end_reason": j.end_reason or j.paused_reason,
        "awaiting_review": sorted(
            part for part, work in j.work.items() if work.status is DeliverableStatus.SUBMITTED
        ),
        "last_position": last_position,
    }


#: The catalog programs' journeys, folded by the catalog's fold (every `program.` event).
PROGRAM_JOURNEYS = Projection(
    table="program_journeys",
    lock=7_211_008,
    event_types=tuple(sorted(kind.event_type for kind in CATALOG_SENTENCES)),
    columns=[
        "stream_id",
        "employee_id",
        "full_name",
        "role",
        "school_id",
        "program_key",
        "school_year",
        "year_in_program",
        "cycle",
        "stage",
        "parts_completed",
        "hours_earned",
        "completed_on",
        "certified_until",
        "stipend_cents",
        "end_reason",
        "awaiting_review",
        "last_position",
    ],
    fold=program_fold,
    row_of=_program_row,
    has_row=lambda j: bool(j.employee_id),
    array_types={
        "year_in_program": "integer[]",
        "cycle": "integer[]",
        "parts_completed": "text[]",
        "awaiting_review": "text[]",
        "hours_earned": "numeric[]",
        "completed_on": "date[]",
        "certified_until": "date[]",
        "stipend_cents": "bigint[]",
        "last_position": "bigint[]",
    },
    json_columns=frozenset({"parts_completed", "awaiting_review"}),
)


def _progress_row(stream_id: str, j: Journey, last_position: int) -> Row:
    return {
        "stream_id": stream_id,
        "employee_id": j.employee_id,
        "full_name": j.full_name,
        "role": j.role.value if j.role else None,
        "school_id": j.school_id,
        "principal_id": j.principal_id,
        "program_year": j.program_year,
        "stage": j.stage.value,
        "state": j.model_dump(mode="json"),
        "last_position": last_position,
    }


#: The teacher leader journeys with their whole state, folded from every event of the pathway:
#: what the web app's roster, attendance sheets and review queues read.
TEACHER_LEADER_PROGRESS = Projection(
    table="teacher_leader_progress",
    lock=7_211_011,
    event_types=tuple(sorted(kind.event_type for kind in TEACHER_LEADER.explain)),
    columns=[
        "stream_id",
        "employee_id",
        "full_name",
        "role",
        "school_id",
        "principal_id",
        "program_year",
        "stage",
        "state",
        "last_position",
    ],
    fold=_fold,
    row_of=_progress_row,
    has_row=lambda j: bool(j.employee_id),
    array_types={"state": "text[]", "last_position": "bigint[]"},
    json_columns=frozenset({"state"}),
)


@dataclass(frozen=True)
class StipendOutcomes:
    """A program year's stipend decisions: how many paid and withheld, and why withheld."""

    paid: int
    paid_cents: int
    withheld: int
    undecided: int
    reasons: list[tuple[str, int]]


async def stipend_outcomes(pool: asyncpg.Pool, program_year: str) -> StipendOutcomes:
    """From the teacher leader read model: every decided stipend of the year, and the count of
    each reason a stipend was withheld (without what people wrote into it), the most frequent
    first."""
    async with pool.acquire() as conn:
        totals = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE stipend_paid) AS paid, "
            "coalesce(sum(stipend_cents) FILTER (WHERE stipend_paid), 0) AS cents, "
            "count(*) FILTER (WHERE stipend_paid = false) AS withheld, "
            "count(*) FILTER (WHERE stipend_paid IS NULL AND stage IN ('active', 'closed')) "
            "AS undecided FROM teacher_leader_journeys WHERE program_year = $1",
            program_year,
        )
        reasons = await conn.fetch(
            "SELECT reason, count(*) AS n FROM teacher_leader_journeys, "
            "jsonb_array_elements_text(withheld_reasons) AS reason "
            "WHERE program_year = $1 AND stipend_paid = false "
            "GROUP BY reason ORDER BY n DESC, reason",
            program_year,
        )
    counted: Counter[str] = Counter()
    for r in reasons:
        counted[reason_heading(r["reason"])] += r["n"]
    return StipendOutcomes(
        paid=totals["paid"], paid_cents=int(totals["cents"]), withheld=totals["withheld"],
        undecided=totals["undecided"],
        reasons=sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])),
    )  # fmt: skip
