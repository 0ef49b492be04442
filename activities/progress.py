"""Reading the teacher leaders' progress (`readmodel.TEACHER_LEADER_PROGRESS`) for the web app:
a page of a program year's roster, a session's people, the review queues and the figures of the
reports. Every list is paginated or bounded by a program year; none reads Temporal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from activities.person_keys import PersonKeys
from domain.catalog.events import ProgramEnrolled, SessionMadeUp, SessionMarked
from domain.catalog.journey import OPEN as CATALOG_OPEN
from domain.catalog.journey import Stage as CatalogStage
from domain.fellowship.journey import (
    ApplicationIneligible,
    FellowIdentified,
    FellowshipApplied,
    FellowshipEnded,
    SelectionDecided,
)
from domain.fellowship.start import FELLOWSHIP
from domain.teacher_leader.events import Signer
from domain.teacher_leader.journey import Journey

_OPEN_CATALOG = sorted(s.value for s in CATALOG_OPEN)
#: The stages in which a catalog journey's participant is expected at the year's sessions.
_AT_SESSIONS = [CatalogStage.ENROLLED.value, CatalogStage.ACTIVE.value]

PAGE_SIZE = 50


@dataclass(frozen=True)
class Scope:
    """Whose journeys a reader may list (all None: everyone's): one employee's own; with a
    school or principal, also that school's and the people whose principal the reader is."""

    employee_id: str | None = None
    school_id: str | None = None
    principal_id: str | None = None


EVERYONE = Scope()


@dataclass(frozen=True)
class ProgressRow:
    journey_id: str
    journey: Journey


@dataclass(frozen=True)
class RosterPage:
    rows: list[ProgressRow]
    total: int
    offset: int
    limit: int


def _scope_sql(scope: Scope, params: list[Any], *, principals: bool = True) -> str:
    """The scope as SQL (`principals`: the table records each journey's principal; where it
    does not, a principal's scope is their school and their own journeys)."""
    wide = scope.school_id is not None or scope.principal_id is not None
    if not wide:
        if scope.employee_id is None:
            return "true"
        params.append(scope.employee_id)
        return f"employee_id = ${len(params)}"
    params += [scope.school_id, scope.employee_id]
    found = [f"school_id = ${len(params) - 1}", f"employee_id = ${len(params)}"]
    if principals:
        params.append(scope.principal_id)
        found.append(f"principal_id = ${len(params)}")
    return f"({' OR '.join(found)})"


def _like(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filters(
    where: list[str], params: list[Any], equal: dict[str, str | None], search: str | None
) -> str:
    """`where` with a column = value clause for each value given and the name-or-id search."""
    for column, value in equal.items():
        if value:
            params.append(value)
            where.append(f"{column} = ${len(params)}")
    if search:
        params.append(_like(search))
        where.append(f"(full_name ILIKE ${len(params)} OR employee_id ILIKE ${len(params)})")
    return " AND ".join(where)


async def _page(
    pool: asyncpg.Pool, table: str, columns: str, clause: str, order: str, params: list[Any],
    offset: int, limit: int,
) -> tuple[int, list[asyncpg.Record]]:  # fmt: skip
    """How many rows match, and the page of them from `offset`."""
    async with pool.acquire() as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {clause}", *params)
        records = await conn.fetch(
            f"SELECT {columns} FROM {table} WHERE {clause} ORDER BY {order} "
            f"OFFSET ${len(params) + 1} LIMIT ${len(params) + 2}",
            *params, offset, limit,
        )  # fmt: skip
    return int(total), records


def _rows(records: list[asyncpg.Record]) -> list[ProgressRow]:
    return [ProgressRow(r["stream_id"], Journey.model_validate_json(r["state"])) for r in records]


class Progress:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def program_years(self, scope: Scope = EVERYONE) -> list[tuple[str, int]]:
        params: list[Any] = []
        where = _scope_sql(scope, params)
        records = await self._pool.fetch(
            f"SELECT program_year, count(*) AS n FROM teacher_leader_progress WHERE {where} "
            "GROUP BY program_year ORDER BY program_year DESC",
            *params,
        )
        return [(r["program_year"], r["n"]) for r in records]

    async def roster(
        self,
        program_year: str,
        scope: Scope = EVERYONE,
        *,
        school_id: str | None = None,
        stage: str | None = None,
        role: str | None = None,
        search: str | None = None,
        offset: int = 0,
        limit: int = PAGE_SIZE,
    ) -> RosterPage:
        """One page of the year's journeys, by school and name, with the filters given."""
        params: list[Any] = [program_year]
        equal = {"school_id": school_id, "stage": stage, "role": role}
        clause = _filters(["program_year = $1", _scope_sql(scope, params)], params, equal, search)
        total, records = await _page(
            self._pool, "teacher_leader_progress", "stream_id, state::text AS state", clause,
            "school_id, full_name, stream_id", params, offset, limit,
        )  # fmt: skip
        return RosterPage(_rows(records), total, offset, limit)

    async def active(self, program_year: str, scope: Scope = EVERYONE) -> list[ProgressRow]:
        """The year's active teacher leaders: the people of its attendance sheets."""
        params: list[Any] = [program_year]
        where = _scope_sql(scope, params)
        records = await self._pool.fetch(
            "SELECT stream_id, state::text AS state FROM teacher_leader_progress "
            f"WHERE program_year = $1 AND stage = 'active' AND {where} "
            "ORDER BY school_id, full_name, stream_id",
            *params,
        )
        return _rows(records)

    async def waiting(self, scope: Scope = EVERYONE, limit: int = 500) -> list[ProgressRow]:
        """Journeys something waits on: an application to decide, signatures, or a submitted
        deliverable to review (at most `limit`, the oldest changes first)."""
        params: list[Any] = []
        where = _scope_sql(scope, params)
        params.append(limit)
        records = await self._pool.fetch(
            "SELECT stream_id, state::text AS state FROM teacher_leader_progress "
            "WHERE (stage IN ('applied', 'waitlisted', 'commitment_pending') "
            "OR jsonb_path_exists(state, '$.deliverables.* ? (@.status == \"submitted\")')) "
            f"AND {where} ORDER BY last_position LIMIT ${len(params)}",
            *params,
        )
        return _rows(records)

    async def of_employee(self, employee_id: str) -> list[ProgressRow]:
        records = await self._pool.fetch(
            "SELECT stream_id, state::text AS state FROM teacher_leader_progress "
            "WHERE employee_id = $1 ORDER BY program_year DESC",
            employee_id,
        )
        return _rows(records)

    async def attendance_counts(self, program_year: str) -> dict[str, dict[str, int]]:
        """Per session id: how many were marked present, absent, and absent but made up."""
        records = await self._pool.fetch(
            "SELECT mark.key AS session_id, mark.value->>'status' AS status, "
            "(mark.value->>'made_up_on') IS NOT NULL AS made_up, count(*) AS n "
            "FROM teacher_leader_progress, jsonb_each(state->'attendance') AS mark "
            "WHERE program_year = $1 GROUP BY 1, 2, 3",
            program_year,
        )
        counts: dict[str, dict[str, int]] = {}
        for r in records:
            kind = "made_up" if r["made_up"] else r["status"]
            per = counts.setdefault(r["session_id"], {})
            per[kind] = per.get(kind, 0) + r["n"]
        return counts

    async def expected_by_role(self, program_year: str) -> dict[str, int]:
        """How many teacher leaders of each role were (or are) in the year's sessions: those
        active or closed, and those who withdrew or left after both signed the commitment (not
        an applicant who withdrew before)."""
        records = await self._pool.fetch(
            "SELECT role, count(*) AS n FROM teacher_leader_progress WHERE program_year = $1 "
            "AND role IS NOT NULL AND (stage IN ('active', 'closed') OR (stage IN "
            "('withdrawn', 'separated') AND coalesce(state->'signed', '{}'::jsonb) ?& $2)) "
            "GROUP BY role",
            program_year,
            [s.value for s in Signer],
        )
        return {r["role"]: r["n"] for r in records}


@dataclass(frozen=True)
class CatalogPage:
    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int


async def catalog_years(pool: asyncpg.Pool, scope: Scope = EVERYONE) -> list[tuple[str, str, int]]:
    """Each catalog program's school years with journeys the reader may list, and how many."""
    params: list[Any] = []
    where = _scope_sql(scope, params, principals=False)
    records = await pool.fetch(
        f"SELECT program_key, school_year, count(*) AS n FROM program_journeys WHERE {where} "
        "GROUP BY program_key, school_year ORDER BY program_key, school_year DESC",
        *params,
    )
    return [(r["program_key"], r["school_year"], r["n"]) for r in records]


async def catalog_roster(
    pool: asyncpg.Pool,
    program_key: str,
    school_year: str,
    scope: Scope = EVERYONE,
    *,
    stage: str | None = None,
    search: str | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> CatalogPage:
    """One page of a catalog program's journeys in a school year, by school and name."""
    params: list[Any] = [program_key, school_year]
    where = ["program_key = $1", "school_year = $2", _scope_sql(scope, params, principals=False)]
    clause = _filters(where, params, {"stage": stage}, search)
    total, records = await _page(
        pool, "program_journeys",
        "stream_id, employee_id, full_name, role, school_id, year_in_program, cycle, stage, "
        "parts_completed, hours_earned, completed_on, certified_until, stipend_cents, end_reason",
        clause, "school_id NULLS FIRST, full_name, stream_id", params, offset, limit,
    )  # fmt: skip
    rows = []
    for r in records:
        row = dict(r)
        parts = row["parts_completed"]
        row["parts_completed"] = json.loads(parts) if isinstance(parts, str) else list(parts)
        rows.append(row)
    return CatalogPage(rows, total, offset, limit)


async def catalog_awaiting_review(
    pool: asyncpg.Pool, scope: Scope = EVERYONE, limit: int = 500
) -> list[dict[str, Any]]:
    """Catalog journeys with submitted work waiting for review (at most `limit`, the oldest
    changes first), each with the parts that wait."""
    params: list[Any] = [_OPEN_CATALOG]
    where = _scope_sql(scope, params, principals=False)
    params.append(limit)
    records = await pool.fetch(
        "SELECT stream_id, employee_id, full_name, school_id, program_key, school_year, "
        "awaiting_review::text AS awaiting_review FROM program_journeys "
        "WHERE stage = ANY($1::text[]) AND awaiting_review <> '[]'::jsonb "
        f"AND {where} ORDER BY last_position LIMIT ${len(params)}",
        *params,
    )
    return [{**r, "awaiting_review": json.loads(r["awaiting_review"])} for r in records]


async def fellowship_applications(
    pool: asyncpg.Pool, limit: int = 500, people: PersonKeys | None = None
) -> list[dict[str, Any]]:
    """Fellowship applications that wait for a selection decision: the journey identified its
    applicant and nothing has decided or ended it since (at most `limit`, oldest first). The
    applicant's name is opened with `people` where it is sealed (without: their id)."""
    records = await pool.fetch(
        "SELECT i.stream_id, a.payload->>'employee_id' AS employee_id, i.event_id, "
        "i.payload AS identified, coalesce(i.payload->>'school_id', '') AS school_id, "
        "a.payload->>'program_id' AS program_id FROM events i "
        "JOIN events a ON a.stream_id = i.stream_id AND a.event_type = $2 "
        "WHERE i.event_type = $1 AND i.stream_id LIKE $4 AND NOT EXISTS (SELECT 1 FROM events d "
        "WHERE d.stream_id = i.stream_id AND d.event_type = ANY($3::text[])) "
        "ORDER BY i.global_position LIMIT $5",
        FellowIdentified.event_type,
        FellowshipApplied.event_type,
        [k.event_type for k in (SelectionDecided, ApplicationIneligible, FellowshipEnded)],
        FELLOWSHIP.id_prefix.replace("_", "\\_") + "%",
        limit,
    )
    rows = [(FellowIdentified.event_type, r["event_id"], r["identified"]) for r in records]
    opened = (
        await people.open_all(pool, rows)
        if people is not None
        else [(payload, False) for _, _, payload in rows]
    )
    found = []
    for r, (identified, _) in zip(records, opened, strict=True):
        row = {k: r[k] for k in ("stream_id", "employee_id", "school_id", "program_id")}
        name = identified.get("full_name")
        found.append({**row, "full_name": name if isinstance(name, str) else r["employee_id"]})
    return found


async def catalog_sheet_rows(
    pool: asyncpg.Pool, program_key: str, school_year: str, scope: Scope = EVERYONE
) -> list[dict[str, Any]]:
    """The catalog journeys of a program's year whose participants the year's sessions expect
    (enrolled or active), by name."""
    params: list[Any] = [program_key, school_year, _AT_SESSIONS]
    where = _scope_sql(scope, params, principals=False)
    records = await pool.fetch(
        "SELECT stream_id, employee_id, full_name, coalesce(school_id, '') AS school_id, role, "
        "year_in_program, certified_until FROM program_journeys WHERE program_key = $1 "
        f"AND school_year = $2 AND stage = ANY($3::text[]) AND {where} "
        "ORDER BY full_name, employee_id",
        *params,
    )
    return [dict(r) for r in records]


async def session_marks(
    pool: asyncpg.Pool, stream_ids: list[str], part_id: str, session_id: str
) -> dict[str, tuple[str | None, str | None]]:
    """Per catalog journey: the session's latest mark and its make-up date in the journey's
    current year, from the event log (None where nothing is recorded). A multi-year program
    keeps its session ids from year to year, so only events after the run's `ProgramEnrolled`
    count."""
    records = await pool.fetch(
        "SELECT DISTINCT ON (stream_id, event_type) stream_id, event_type, "
        "payload->>'status' AS status, payload->>'made_up_on' AS made_up_on FROM events e "
        "WHERE stream_id = ANY($1::text[]) AND event_type = ANY($2::text[]) "
        "AND payload->>'part_id' = $3 AND payload->>'session_id' = $4 "
        "AND global_position > coalesce((SELECT max(r.global_position) FROM events r "
        "WHERE r.stream_id = e.stream_id AND r.event_type = $5), 0) "
        "ORDER BY stream_id, event_type, global_position DESC",
        stream_ids,
        [SessionMarked.event_type, SessionMadeUp.event_type],
        part_id,
        session_id,
        ProgramEnrolled.event_type,
    )
    found: dict[str, tuple[str | None, str | None]] = {}
    for r in records:
        status, made_up = found.get(r["stream_id"], (None, None))
        if r["event_type"] == SessionMarked.event_type:
            status = r["status"]
        else:
            made_up = r["made_up_on"]
        found[r["stream_id"]] = (status, made_up)
    return found
