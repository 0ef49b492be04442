"""The demo's university fellowship cohort and LBUSD aspiring principals.

Fellowship (capacity 4): two fellows graduate and start their service commitments; one gives
up her seat before enrolling and the first on the waitlist takes it; one leaves after two terms
and repays what was disbursed; one leaves after a term and the office waives it; one applicant
is ineligible, one is declined, and the last on the waitlist never gets a seat.

Aspiring principals: a vice principal completes the Summer Institute, a shadowing fellowship,
training and coaching; a teacher shadows too little; a principal is not eligible.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.local_systems import LocalHris
from domain.aspiring_principals import journey as ap
from domain.aspiring_principals.program import SAMPLE_ASPIRING, load_aspiring_year
from domain.calendar import local_date
from domain.external import Employee
from domain.fellowship import journey as fs
from domain.fellowship.program import (
    SAMPLE_FELLOWSHIP,
    FellowshipProgram,
    Milestone,
    load_fellowship,
)
from domain.money import dollars
from domain.pathway import StartRefused
from domain.teacher_leader.events import AttendanceStatus, SelectionScores
from pathways.journeys import start_aspiring, start_fellowship
from workflows.aspiring_principal import AspiringPrincipalJourney
from workflows.fellowship import FellowshipJourney

SCHOOL = "carver-ms"
MENTOR = "p-5100"
STRONG = SelectionScores(time=4, mindset=4, skillset=4, experience=3)
WEAK = SelectionScores(time=2, mindset=3, skillset=2, experience=1)
FellowHandle = WorkflowHandle[FellowshipJourney, fs.FellowshipStatus]


@dataclass
class Applicant:
    employee_id: str
    name: str
    role: str
    story: str
    handle: FellowHandle | None = None
    refused: str | None = None  # why the start path refused the application


APPLICANTS = [
    Applicant("f-4001", "Maria Lopez", "teacher", "graduates"),
    Applicant("f-4002", "James Park", "counselor", "graduates"),
    Applicant("f-4003", "Aisha Brown", "coordinator", "gives up her seat before enrolling"),
    Applicant("f-4004", "Carlos Diaz", "coach", "leaves after two terms"),
    Applicant("f-4005", "Nina Patel", "teacher", "waitlisted, gets a seat, leaves; waived"),
    Applicant("f-4006", "Omar Said", "assistant_principal", "not eligible"),
    Applicant("f-4007", "Rosa Vega", "teacher", "not selected"),
    Applicant("f-4008", "Ben Hall", "teacher", "waitlisted; no seat came free"),
]


async def advance_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def _closed(handle: WorkflowHandle[Any, Any]) -> None:
    """Poll rather than wait on a result, which would let the time-skipping clock run on."""
    for _ in range(2000):
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"{handle.id} did not finish")


async def _status(handle: FellowHandle) -> fs.FellowshipStatus:
    return await handle.query(FellowshipJourney.status)


async def _wait_for(handle: FellowHandle, stage: fs.Stage | None = None, paid: int = 0) -> None:
    for _ in range(2000):
        s = await _status(handle)
        if (stage is None or s.stage is stage) and len(s.terms_paid) >= paid:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"{handle.id}: {stage} / {paid} terms")


def demo_fellowship(now: datetime) -> FellowshipProgram:
    sample = load_fellowship(SAMPLE_FELLOWSHIP)
    days = ((now + timedelta(days=14)).date() - sample.selection_closes_at.date()).days
    moved = sample.shifted(days, program_id="plf-demo-cohort")
    return FellowshipProgram.model_validate({**moved.model_dump(), "cohort_capacity": 4})


async def run_fellowship_cohort(
    env: WorkflowEnvironment, client: Client, pool: asyncpg.Pool, task_queue: str, console: Console
) -> None:
    program = demo_fellowship(await env.get_current_time())
    hris = LocalHris(pool)
    for a in APPLICANTS:
        await hris.upsert_employee(
            Employee(
                employee_id=a.employee_id,
                full_name=a.name,
                email=f"{a.employee_id}@district.example",
                role=a.role,
                school_id=SCHOOL,
            )
        )
    console.print(
        f"[bold]{program.title}[/bold]: {len(APPLICANTS)} applicants for "
        f"{program.cohort_capacity} seats, {dollars(program.assistance_cents)} assistance "
        f"over {len(program.terms)} terms"
    )
    now = await env.get_current_time()
    for a in APPLICANTS:
        application = fs.FellowshipApplication(employee_id=a.employee_id)
        try:
            a.handle, _ = await start_fellowship(
                client, hris, program, application, task_queue, now=now
            )
        except StartRefused as refused:
            a.refused = refused.message
    started = [a for a in APPLICANTS if a.refused is None]
    by = {a.employee_id: a for a in started}

    def h(employee_id: str) -> FellowHandle:
        handle = by[employee_id].handle
        assert handle is not None
        return handle

    for a in started:
        for _ in range(500):
            if (await _status(h(a.employee_id))).full_name:
                break
            await asyncio.sleep(0.02)
    for employee_id in ["f-4001", "f-4002", "f-4003", "f-4004", "f-4005", "f-4007", "f-4008"]:
        await h(employee_id).execute_update(
            FellowshipJourney.decide,
            fs.DecideSelection(
                selected=employee_id != "f-4007",
                scores=WEAK if employee_id == "f-4007" else STRONG,
                decided_by="office:plf",
            ),
        )
    today = local_date(await env.get_current_time(), program.time_zone)
    await h("f-4003").execute_update(
        FellowshipJourney.leave,
        fs.LeaveFellowship(
            effective_on=today,
            reason="accepted a position in another district",
            recorded_by="f-4003",
        ),
    )
    await _wait_for(h("f-4005"), fs.Stage.ADMITTED)
    for n, employee_id in enumerate(["f-4001", "f-4002", "f-4004", "f-4005"], start=1):
        await h(employee_id).execute_update(
            FellowshipJourney.enroll,
            fs.RecordEnrollment(university_student_id=f"UCLA-27{n:03d}", enrolled_on=today),
        )
    first, second = program.terms[0], program.terms[1]
    await advance_to(env, first.disburse_at + timedelta(hours=2))
    await _wait_for(h("f-4005"), paid=1)
    left_on = local_date(await env.get_current_time(), program.time_zone)
    await h("f-4005").execute_update(
        FellowshipJourney.leave,
        fs.LeaveFellowship(effective_on=left_on, reason="family emergency", recorded_by="hris"),
    )
    await _wait_for(h("f-4005"), fs.Stage.LEFT)
    for _ in range(500):
        if (await _status(h("f-4005"))).owed_cents > 0:
            break
        await asyncio.sleep(0.02)
    await h("f-4005").execute_update(
        FellowshipJourney.waive,
        fs.WaiveEarlyExit(
            decided_by="director:plf", reason="documented family emergency, board approved"
        ),
    )
    await advance_to(env, second.disburse_at + timedelta(hours=2))
    await _wait_for(h("f-4004"), paid=2)
    await h("f-4004").execute_update(
        FellowshipJourney.leave,
        fs.LeaveFellowship(
            kind=fs.LeaveKind.SEPARATED,
            effective_on=local_date(await env.get_current_time(), program.time_zone),
            reason="resigned from the district",
            recorded_by="hris",
        ),
    )
    for session in program.supplemental_pd:
        await advance_to(env, datetime.combine(session.on, time(18), program.graduate_by.tzinfo))
        for employee_id in ["f-4001", "f-4002"]:
            await h(employee_id).execute_update(
                FellowshipJourney.record_pd,
                fs.RecordSupplementalPD(
                    session_id=session.session_id,
                    status=AttendanceStatus.PRESENT,
                    recorded_by="office:plf",
                ),
            )
    await advance_to(env, program.terms[-1].disburse_at + timedelta(hours=2))
    for employee_id in ["f-4001", "f-4002"]:
        await _wait_for(h(employee_id), paid=len(program.terms))
    conferred = program.terms[-1].ends_on + timedelta(days=5)
    await advance_to(env, datetime.combine(conferred, time(18), program.graduate_by.tzinfo))
    for employee_id in ["f-4001", "f-4002"]:
        for milestone in Milestone:
            await h(employee_id).execute_update(
                FellowshipJourney.report_milestone,
                fs.ReportMilestone(
                    milestone=milestone,
                    achieved_on=conferred,
                    reported_by="university" if milestone is Milestone.MED_CONFERRED else "hris",
                ),
            )
    for a in started:
        await _closed(h(a.employee_id))
    table = Table(title="Fellowship cohort: seats, money and outcomes")
    for column in ("fellow", "role", "story", "outcome", "seat", "paid", "owed", "why"):
        table.add_column(column)
    for a in APPLICANTS:
        if a.refused is not None:
            table.add_row(a.name, a.role, a.story, "not started", "-", "-", "-", a.refused)
            continue
        s = await _status(h(a.employee_id))
        why = s.end_reason or ""
        if s.commitment_workflow_id:
            why = f"graduated {s.graduated_on}; service commitment {s.commitment_workflow_id}"
        table.add_row(
            a.name,
            a.role,
            a.story,
            s.outcome or s.stage.value,
            str(s.seat or "-"),
            dollars(s.disbursed_cents),
            dollars(s.owed_cents),
            why,
        )
    console.print(table)


async def run_aspiring(
    env: WorkflowEnvironment, client: Client, pool: asyncpg.Pool, task_queue: str, console: Console
) -> None:
    sample = load_aspiring_year(SAMPLE_ASPIRING)
    now = await env.get_current_time()
    year = sample.shifted(((now + timedelta(days=3)).date() - sample.summer_institute[0].on).days)
    hris = LocalHris(pool)
    people = [
        ("a-5001", "Monique Harris", "vice_principal"),
        ("a-5002", "Peter Nguyen", "teacher"),
        ("a-5003", "Linda Cole", "principal"),
        (MENTOR, "Dr. Alvarez", "principal"),
    ]
    for employee_id, name, role in people:
        await hris.upsert_employee(
            Employee(
                employee_id=employee_id,
                full_name=name,
                email=f"{employee_id}@lbusd.example",
                role=role,
                school_id="lbusd-wilson-hs",
            )
        )
    handles: dict[str, WorkflowHandle[AspiringPrincipalJourney, ap.AspiringStatus]] = {}
    refused: dict[str, str] = {}
    for employee_id, _name, _role in people[:3]:
        nomination = ap.AspiringNomination(
            employee_id=employee_id, tier1_credential_on=date(2026, 6, 1)
        )
        try:
            handles[employee_id], _ = await start_aspiring(
                client, hris, year, nomination, task_queue, now=now
            )
        except StartRefused as refusal:
            refused[employee_id] = refusal.message
    console.print(
        f"[bold]LBUSD Aspiring Principals {year.program_year}[/bold]: "
        f"{len(handles)} participants, mentor principal {people[3][1]}"
    )
    await advance_to(
        env, datetime.combine(year.summer_institute[-1].on, time(18), year.closes_at.tzinfo)
    )
    vp, teacher = handles["a-5001"], handles["a-5002"]
    for day in year.summer_institute:
        for who in (vp, teacher):
            await who.execute_update(
                AspiringPrincipalJourney.record_institute_day,
                ap.RecordInstituteDay(
                    session_id=day.session_id,
                    status=AttendanceStatus.PRESENT,
                    recorded_by="office:lbusd",
                ),
            )
    for who in (vp, teacher):
        await who.execute_update(
            AspiringPrincipalJourney.offer_shadowing,
            ap.OfferShadowing(mentor_id=MENTOR, offered_by="office:lbusd"),
        )
    start = year.school_year_starts
    await advance_to(
        env,
        datetime.combine(
            year.vp_training[-1].on + timedelta(days=70), time(18), year.closes_at.tzinfo
        ),
    )
    for week in range(12):
        await vp.execute_update(
            AspiringPrincipalJourney.log_shadow,
            ap.LogShadow(
                on=start + timedelta(days=7 * week + 2),
                hours=Decimal("4"),
                focus="master schedule and budget",
                logged_by="a-5001",
            ),
        )
    for week in range(3):
        await teacher.execute_update(
            AspiringPrincipalJourney.log_shadow,
            ap.LogShadow(
                on=start + timedelta(days=14 * week + 3),
                hours=Decimal("3.5"),
                focus="student services",
                logged_by="a-5002",
            ),
        )
    for session in year.vp_training:
        await vp.execute_update(
            AspiringPrincipalJourney.record_vp_training,
            ap.RecordVpTraining(
                session_id=session.session_id,
                status=AttendanceStatus.PRESENT,
                recorded_by="office:lbusd",
            ),
        )
    for n in range(year.vp_coaching_sessions):
        await vp.execute_update(
            AspiringPrincipalJourney.record_coaching,
            ap.RecordCoaching(
                on=start + timedelta(days=21 * n + 4),
                coach="coach:rivera",
                focus="teacher evaluation",
            ),
        )
    await advance_to(env, year.closes_at + timedelta(hours=2))
    table = Table(title="Aspiring principals: the year summed up")
    for column in ("participant", "role", "outcome", "completed", "missing"):
        table.add_column(column)
    for employee_id, name, role in people[:3]:
        if employee_id in refused:
            table.add_row(name, role, "not started", "", refused[employee_id])
            continue
        await _closed(handles[employee_id])
        s = await handles[employee_id].query(AspiringPrincipalJourney.status)
        table.add_row(
            name,
            role,
            s.stage.value,
            "\n".join(s.completed),
            "\n".join(s.missing) or (s.end_reason or ""),
        )
    console.print(table)
