"""The demo's catalog programs: a few leaders through programs run from definition files.

A department head earns the Teacher Leader Certificate and its stipend; a teacher leaves it
unfinished; an assistant principal fails an evaluation area twice, takes its review training
and certifies; a vice principal becomes a teacher and no longer needs certification; a
principal hired in year two of the role finishes Induction's third year; a parent completes
Parent College. Each leader is a line of `LEADERS`; what they do is a line of `SCRIPTS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import asyncpg
from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.enrollment import start_journey
from activities.local_systems import LocalHris
from domain.attendance import AttendanceStatus
from domain.calendar import local_date, local_moment
from domain.catalog import journey as pj
from domain.catalog.definition import CATALOG, Course, ProgramDefinition, load_program
from domain.catalog.start import PROGRAM, CommunityMember, ProgramEnrollment, ProgramInput
from domain.councils import StakeholderGroup
from domain.external import Employee
from domain.hr import HrChange
from domain.money import dollars
from pathways.demo_cohort import advance_to
from workflows.program import ProgramJourney

TZ = "America/Los_Angeles"
OFFICE = "office:ana"
Handle = WorkflowHandle[Any, Any]


@dataclass(frozen=True)
class Leader:
    employee_id: str
    name: str
    role: str
    program: str
    year: int = 1


LEADERS = [
    Leader("cat-dh", "Grace Lin", "department_head", "teacher_leader_certificate"),
    Leader("cat-t", "Omar Haddad", "teacher", "teacher_leader_certificate"),
    Leader("cat-ap", "Ruth Mendez", "assistant_principal", "evaluation_certification"),
    Leader("cat-vp", "Sam Okoye", "vice_principal", "evaluation_certification"),
    Leader("cat-p", "Dana Brooks", "principal", "induction", year=3),
    Leader("cat-g", "Luz Garcia", "parent", "parent_leadership"),
]


def sessions(d: ProgramDefinition, part_id: str) -> list[Any]:
    part = d.part(part_id)
    assert isinstance(part, Course)
    return list(part.sessions)


def attend_all(d: ProgramDefinition, part_id: str, count: int | None = None) -> list[Any]:
    return [
        (ProgramJourney.record_attendance, pj.MarkSession(
            part_id=part_id, session_id=s.id, status=AttendanceStatus.PRESENT, recorded_by=OFFICE,
        ))
        for s in sessions(d, part_id)[:count]
    ]  # fmt: skip


def certificate(d: ProgramDefinition, leader: Leader) -> list[Any]:
    if leader.role == "teacher":  # one course of three
        return attend_all(d, "facilitating-meetings")
    steps = [
        u for p in d.parts_for(leader.role, 1) if p.kind == "course" for u in attend_all(d, p.id)
    ]
    return steps + [
        (ProgramJourney.log_entry, pj.RecordLogEntry(
            part_id="walkthroughs", on=d.starts + timedelta(days=40 + 7 * n),
            logged_by=leader.employee_id, note="grade 8 science",
        ))
        for n in range(3)
    ]  # fmt: skip


def evaluation(d: ProgramDefinition, leader: Leader) -> list[Any]:
    if leader.role == "vice_principal":  # becomes a teacher before certifying
        first = d.starts + timedelta(days=20)
        return [
            (ProgramJourney.record_score, pj.ScoreAssessment(
                part_id="standards", taken_on=first, score=70, recorded_by=OFFICE)),
            (ProgramJourney.hear_hr, pj.HearHr(
                change=HrChange.ROLE_CHANGE, effective_on=first + timedelta(days=30),
                role="teacher")),
        ]  # fmt: skip
    first = d.starts + timedelta(days=10)
    review = sessions(d, "review-writing")[-1]
    scores = [("standards", first, 72), ("observation", first, 66), ("conferencing", first, 81),
              ("improvement", first, 64), ("writing", first, 41),
              ("writing", first + timedelta(days=14), 57)]  # fmt: skip
    return [
        *[(ProgramJourney.record_score, pj.ScoreAssessment(
            part_id=part, taken_on=on, score=points, recorded_by=OFFICE))
          for part, on, points in scores],
        *attend_all(d, "review-writing")[-1:],
        (ProgramJourney.record_score, pj.ScoreAssessment(
            part_id="writing", taken_on=review.on, score=68, recorded_by=OFFICE)),
    ]  # fmt: skip


def induction(d: ProgramDefinition, leader: Leader) -> list[Any]:
    goals = [("goal_set", "raise EL reclassification 5%"), ("mid_year_review", "on track: +3%"),
             ("end_of_year_result", "met: +6%")]  # fmt: skip
    visits = [d.starts + timedelta(days=30 * n + 5) for n in range(4)]
    return [
        *[(ProgramJourney.record_step, pj.TakeStep(
            part_id="coaching-goals", step=step, note=note, recorded_by="coach:lee"))
          for step, note in goals],
        *[(ProgramJourney.log_entry, pj.RecordLogEntry(
            part_id="support-visits", on=on, logged_by="coach:lee")) for on in visits],
        *attend_all(d, "aligned-pd", 3),
        *attend_all(d, "budget-alignment"),
        (ProgramJourney.submit_work, pj.SubmitWork(
            deliverable_id="achievement-plan", submitted_by=leader.employee_id)),
        (ProgramJourney.review_work, pj.ReviewWork(
            deliverable_id="achievement-plan", accepted=True, reviewed_by=OFFICE)),
        *[(ProgramJourney.log_entry, pj.RecordLogEntry(
            part_id="school-team-training", on=on, logged_by=leader.employee_id,
            attendees=["e-1001", "e-1002"])) for on in visits[:2]],
    ]  # fmt: skip


def parents(d: ProgramDefinition, leader: Leader) -> list[Any]:
    return attend_all(d, "parent-college", 3)


SCRIPTS: dict[str, Callable[[ProgramDefinition, Leader], list[Any]]] = {
    "teacher_leader_certificate": certificate,
    "evaluation_certification": evaluation,
    "induction": induction,
    "parent_leadership": parents,
}


async def run_catalog(
    env: WorkflowEnvironment, client: Client, pool: asyncpg.Pool, task_queue: str, console: Console
) -> list[pj.ProgramStatus]:
    """Run `LEADERS` through their programs' year (all moved to begin today) and print what
    each completed; returns the final statuses."""
    today = local_date(await env.get_current_time(), TZ)
    programs = {
        key: (d := load_program(CATALOG / f"{key}.toml")).shifted((today - d.starts).days)
        for key in {leader.program for leader in LEADERS}
    }
    hris = LocalHris(pool)
    handles: list[tuple[Leader, Handle]] = []
    for leader in LEADERS:
        d = programs[leader.program]
        person = None
        if d.participants == "community":
            person = CommunityMember(
                full_name=leader.name, email=f"{leader.employee_id}@families.example",
                group=StakeholderGroup(leader.role), school_id="carver-ms",
            )  # fmt: skip
        else:
            await hris.upsert_employee(
                Employee(
                    employee_id=leader.employee_id, full_name=leader.name,
                    email=f"{leader.employee_id}@district.example", role=leader.role,
                    school_id="carver-ms",
                )
            )  # fmt: skip
        enrollment = ProgramEnrollment(
            employee_id=leader.employee_id, enrolled_by=OFFICE, year_in_program=leader.year,
            person=person,
        )  # fmt: skip
        started = await start_journey(
            client, hris, PROGRAM, ProgramInput(program=d, enrollment=enrollment), task_queue
        )
        handles.append((leader, client.get_workflow_handle(started.workflow_id)))
    # Late in the year (before the first program's year closes), every session is over: the
    # office records what happened.
    late = min(d.ends for d in programs.values()) - timedelta(days=3)
    await advance_to(env, local_moment(late, time(18), TZ))
    for leader, handle in handles:
        for update, command in SCRIPTS[leader.program](programs[leader.program], leader):
            await handle.execute_update(update, command)
    end = max(d.ends for d in programs.values()) + timedelta(days=2)
    await advance_to(env, local_moment(end, time(9), TZ))
    # A query, not the result: a certification is held for years after this one.
    finals = [await handle.query(ProgramJourney.status) for _, handle in handles]
    console.print(_table(finals, programs, await _paid(pool)))
    return finals


async def _paid(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch(
        "SELECT payee_id, sum(amount_cents) AS cents FROM payroll_requests "
        "WHERE workflow_id LIKE 'program/%' GROUP BY payee_id"
    )
    return {r["payee_id"]: int(r["cents"]) for r in rows}


def _table(
    finals: list[pj.ProgramStatus], programs: dict[str, ProgramDefinition], paid: dict[str, int]
) -> Table:
    table = Table(title="The catalog: what each leader completed", title_justify="left")
    for column in ("leader", "program", "outcome", "hours", "award", "stipend", "missing"):
        table.add_column(column)
    for s in finals:
        d = programs[s.program_key]
        award = "-"
        if s.stage in (pj.Stage.COMPLETED, pj.Stage.CERTIFIED) and d.award:
            award = d.award.title + (f", until {s.certified_until}" if s.certified_until else "")
        missing = [f"{p.title}: {p.progress}" for p in s.parts if p.required and not p.complete]
        if s.stage is pj.Stage.WITHDRAWN:
            missing = [s.end_reason]
        table.add_row(
            s.full_name, f"{s.program_title} (year {s.year_in_program})", s.stage.value,
            str(s.hours), award, dollars(paid.get(s.employee_id, 0)),
            "; ".join(missing) if s.stage in (pj.Stage.INCOMPLETE, pj.Stage.WITHDRAWN) else "-",
        )  # fmt: skip
    return table


__all__ = ["LEADERS", "run_catalog"]
