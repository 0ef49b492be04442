"""The district-wide figures the web app's reports read: who takes part in each program, the
administrators' certification, and the figures of the success-factor placement.

HR's side is the local HR tables (`hris_employees`), which the OneRoster import and
`pathways load-hr` keep current; the programs' side is the read models and the event log.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg

from domain import registry
from domain.aspiring_principals.journey import AspiringIneligible
from domain.career.events import CareerNominationAnswered
from domain.catalog.journey import OPEN, Stage
from domain.fellowship.journey import SeatGranted

CERTIFICATION = "evaluation_certification"
INDUCTION = "induction"
NEW_IN_ROLE = timedelta(days=3 * 365)
_OPEN = [s.value for s in OPEN]
#: Catalog journeys of people who never took part: refused at the start, or never seated.
NEVER_TOOK_PART = [s.value for s in (Stage.INELIGIBLE, Stage.NOT_SEATED, Stage.WAITLISTED)]


async def catalog_participants(pool: asyncpg.Pool) -> dict[str, int]:
    """Per catalog program: the people who took part in it (any year; not those found
    ineligible or never seated)."""
    records = await pool.fetch(
        "SELECT program_key, count(DISTINCT employee_id) AS n FROM program_journeys "
        "WHERE stage <> ALL($1::text[]) GROUP BY program_key",
        NEVER_TOOK_PART,
    )
    return {r["program_key"]: r["n"] for r in records}


async def pathway_participants(pool: asyncpg.Pool) -> dict[str, int]:
    """Per pathway that is not a catalog program: the people who took part (teacher leaders
    who became active, fellows given a seat, aspiring principals not found ineligible)."""
    teacher_leaders = await pool.fetchval(
        "SELECT count(DISTINCT employee_id) FROM teacher_leader_journeys "
        "WHERE stage IN ('active', 'closed')"
    )
    fellows = await pool.fetchval(
        "SELECT count(DISTINCT stream_id) FROM events WHERE event_type = $1",
        SeatGranted.event_type,
    )
    aspiring = await pool.fetchval(
        "SELECT count(DISTINCT stream_id) FROM events WHERE stream_id LIKE $1 AND NOT EXISTS "
        "(SELECT 1 FROM events i WHERE i.stream_id = events.stream_id AND i.event_type = $2)",
        registry.by_key("aspiring_principal").id_prefix + "%",
        AspiringIneligible.event_type,
    )
    return {
        "teacher_leader": int(teacher_leaders),
        "fellowship": int(fellows),
        "aspiring_principal": int(aspiring),
    }


@dataclass(frozen=True)
class AdministratorCertification:
    employee_id: str
    full_name: str
    role: str
    school_id: str | None
    certified_until: date | None

    def standing(self, today: date, within_days: int = 90) -> str:
        if self.certified_until is None:
            return "not certified"
        if self.certified_until < today:
            return "expired"
        if self.certified_until <= today + timedelta(days=within_days):
            return "expiring"
        return "current"


async def certification_of(
    pool: asyncpg.Pool, titles: Collection[str]
) -> list[AdministratorCertification]:
    """Every active employee HR lists with one of `titles`, and the latest date their
    Evaluation Certification holds until (None: never certified)."""
    records = await pool.fetch(
        "SELECT e.employee_id, e.full_name, e.role, e.school_id, "
        "max(p.certified_until) AS certified_until FROM hris_employees e "
        "LEFT JOIN program_journeys p ON p.employee_id = e.employee_id AND p.program_key = $2 "
        "WHERE e.status <> 'separated' AND e.role = ANY($1::text[]) "
        "GROUP BY e.employee_id, e.full_name, e.role, e.school_id "
        "ORDER BY e.school_id, e.full_name",
        sorted(titles),
        CERTIFICATION,
    )
    return [AdministratorCertification(**dict(r)) for r in records]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


async def success_figures(
    pool: asyncpg.Pool,
    administrator_titles: Collection[str],
    induction_titles: Collection[str],
    today: date,
    program_year: str | None = None,
) -> dict[str, float | None]:
    """The figures `domain.success_factors.FIGURES` names, from HR and the pathways' data.
    `administrator_titles` are whom Evaluation Certification is required of and
    `induction_titles` whom Induction is for, as the district's enrollment rules say; the
    teacher leader share is of `program_year` (None: the latest)."""
    admins = await certification_of(pool, administrator_titles)
    certified = sum(1 for a in admins if a.certified_until and a.certified_until >= today)
    new = await pool.fetch(
        "SELECT e.employee_id, EXISTS (SELECT 1 FROM program_journeys p WHERE "
        "p.employee_id = e.employee_id AND p.program_key = $3 AND p.stage <> ALL($4::text[])) "
        "AS inducted "
        "FROM hris_employees e WHERE e.status <> 'separated' AND e.role = ANY($1::text[]) "
        "AND e.role_since IS NOT NULL AND e.role_since > $2",
        sorted(induction_titles),
        today - NEW_IN_ROLE,
        INDUCTION,
        NEVER_TOOK_PART,
    )
    teachers = await pool.fetchval(
        "SELECT count(*) FROM hris_employees WHERE status <> 'separated' AND role = 'teacher'"
    )
    latest = program_year or await pool.fetchval(
        "SELECT max(program_year) FROM teacher_leader_journeys"
    )
    leaders = await pool.fetchval(
        "SELECT count(DISTINCT employee_id) FROM teacher_leader_journeys "
        "WHERE program_year = $1 AND stage IN ('active', 'closed')",
        latest,
    )
    pathways = await pathway_participants(pool)
    aspiring = pathways["fellowship"] + pathways["aspiring_principal"]
    accepted = await pool.fetchval(
        "SELECT count(*) FROM events WHERE event_type = $1 AND payload->>'accepted' = 'true'",
        CareerNominationAnswered.event_type,
    )
    marks = await pool.fetchrow(
        "SELECT count(*) AS marks, count(*) FILTER (WHERE mark.value->>'status' = 'present' "
        "OR mark.value->>'made_up_on' IS NOT NULL) AS kept "
        "FROM teacher_leader_progress, jsonb_each(state->'attendance') AS mark"
    )
    ended = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE completed_on IS NOT NULL) AS completed, "
        "count(*) FILTER (WHERE completed_on IS NOT NULL OR stage <> ALL($1::text[])) AS ended "
        "FROM program_journeys",
        _OPEN,
    )
    return {
        "administrators_certified_share": _share(certified, len(admins)),
        "new_administrators_in_induction_share": _share(
            sum(1 for r in new if r["inducted"]), len(new)
        ),
        "teacher_leader_share": _share(int(leaders), int(teachers)),
        "aspiring_per_100_administrators": (100 * aspiring / len(admins) if admins else None),
        "accepted_nominations": float(accepted),
        "pd_attendance_share": _share(int(marks["kept"]), int(marks["marks"])),
        "program_completion_share": _share(int(ended["completed"]), int(ended["ended"])),
    }
