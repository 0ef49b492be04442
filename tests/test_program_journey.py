"""Catalog programs run from their definition files, on the time-skipping server.

Each test moves a shipped definition so that its year begins around the server's now, drives a
leader through it with the same updates the command line sends, and checks what was recorded,
paid and e-mailed. The golden histories of each program and outcome are kept from here
(`RECORD_HISTORIES=1`).
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.eventstore import EventStore
from activities.local_systems import LocalHris
from activities.readmodel import PROGRAM_JOURNEYS, ReadModel
from domain.attendance import AttendanceStatus
from domain.calendar import local_date, local_moment
from domain.catalog import journey as pj
from domain.catalog.definition import CATALOG, ProgramDefinition, load_program
from domain.catalog.journey import Stage
from domain.catalog.start import ProgramEnrollment, ProgramInput, program_journey_id
from domain.external import Employee
from domain.hr import HrChange
from pathways.refusals import refusal_of
from tests.journey_kit import (
    advance_to,
    asked_after,
    keep_history,
    running_worker,
    seed_district,
    waiting_on_fix,
)
from workflows.program import ProgramJourney

Handle = WorkflowHandle[ProgramJourney, pj.ProgramStatus]
TZ = "America/Los_Angeles"
PRESENT = AttendanceStatus.PRESENT


async def program_near(
    env: WorkflowEnvironment, name: str, begins_in_days: int = -1
) -> ProgramDefinition:
    """The shipped definition moved so that its year starts `begins_in_days` from the server's
    today in Los Angeles (by default yesterday)."""
    d = load_program(CATALOG / name)
    today = local_date(await env.get_current_time(), TZ)
    return d.shifted((today + timedelta(days=begins_in_days) - d.starts).days)


def evening(day: date) -> datetime:
    return local_moment(day, time(18), TZ)


async def enroll(
    client: Client,
    pool: asyncpg.Pool,
    d: ProgramDefinition,
    task_queue: str,
    who: str,
    role: str,
    year: int = 1,
) -> Handle:
    await LocalHris(pool).upsert_employee(
        Employee(
            employee_id=who,
            full_name=f"Leader {who}",
            email=f"{who}@lbusd.example",
            role=role,
            school_id="carver-ms",
        )
    )
    inp = ProgramInput(
        program=d,
        enrollment=ProgramEnrollment(
            employee_id=who, enrolled_by="office:ana", year_in_program=year
        ),
    )
    handle: Handle = await client.start_workflow(
        ProgramJourney.run,
        inp,
        id=program_journey_id(d.key, f"{d.school_year}-{task_queue[-8:]}", who),
        task_queue=task_queue,
    )
    return handle


async def stage_of(handle: Handle, *stages: Stage) -> pj.ProgramStatus:
    """Ask (a query: waiting on the result would let the clock run on) until the journey
    reaches one of `stages`."""
    for _ in range(200):
        try:
            status = await handle.query(ProgramJourney.status)
        except Exception:  # between runs of a continue-as-new
            status = None
        if status is not None and status.stage in stages:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never reached {stages}")


def score(part: str, on: date, points: int) -> pj.ScoreAssessment:
    return pj.ScoreAssessment(part_id=part, taken_on=on, score=points, recorded_by="office:kim")


async def refused(handle: Handle, update: Any, command: Any) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, command)
    refusal = refusal_of(failure.value)
    assert refusal is not None, failure.value
    return refusal.code


async def test_evaluation_certification_failed_twice_certified_renewed_and_expired(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, [])
    d = await program_near(env, "evaluation_certification.toml")
    areas = [p.id for p in d.parts if p.kind == "assessment"]
    review = d.part("review-writing")
    assert review is not None and review.kind == "course"
    async with running_worker(client, pool, task_queue):
        vp = await enroll(client, pool, d, task_queue, "vp-1", "vice_principal")
        await stage_of(vp, Stage.ACTIVE)
        today = local_date(await env.get_current_time(), TZ)
        for area in areas[:3]:
            await vp.execute_update(ProgramJourney.record_score, score(area, today, 72))
        await vp.execute_update(ProgramJourney.record_score, score("writing", today, 40))
        assert (
            await refused(
                vp, ProgramJourney.record_score, score("writing", today + timedelta(days=1), 70)
            )
            == "date.in_future"
        )
        second = today + timedelta(days=14)
        await advance_to(env, evening(second))
        assert (
            await refused(
                vp, ProgramJourney.record_score, score("writing", second - timedelta(days=1), 70)
            )
            == "assessment.retake_too_soon"
        )
        await vp.execute_update(ProgramJourney.record_score, score("writing", second, 58))
        session = review.sessions[0]  # type: ignore[union-attr]
        await advance_to(env, evening(session.on))
        assert (
            await refused(vp, ProgramJourney.record_score, score("writing", session.on, 70))
            == "assessment.review_required"
        )
        await vp.execute_update(
            ProgramJourney.record_attendance,
            pj.MarkSession(
                part_id="review-writing",
                session_id=session.id,
                status=PRESENT,
                recorded_by="office:kim",
            ),
        )
        await vp.execute_update(ProgramJourney.record_score, score("writing", session.on, 70))
        first_run = (await vp.describe()).run_id
        certified = await vp.execute_update(
            ProgramJourney.record_score, score("improvement", session.on, 61)
        )
        assert certified.stage is Stage.COMPLETED
        expires = certified.certified_until
        assert expires == session.on.replace(year=session.on.year + 4)
        held = await stage_of(vp, Stage.CERTIFIED)
        assert held.cycle == 2 and held.renewal_opens == expires - timedelta(days=180)
        await keep_history(
            client.get_workflow_handle(vp.id, run_id=first_run),
            "program_evaluation_certified_after_failing_twice",
        )

        # The renewal opens 180 days before the expiry: a score before is refused.
        assert held.renewal_opens is not None
        await advance_to(env, evening(held.renewal_opens - timedelta(days=1)))
        early = score("standards", held.renewal_opens - timedelta(days=1), 80)
        assert (
            await refused(vp, ProgramJourney.record_score, early)
            == "certification.renewal_not_open"
        )
        await advance_to(env, evening(held.renewal_opens + timedelta(days=10)))
        on = held.renewal_opens + timedelta(days=10)
        second_run = (await vp.describe()).run_id
        for area in areas:
            await vp.execute_update(ProgramJourney.record_score, score(area, on, 80))
        renewed = await stage_of(vp, Stage.CERTIFIED)
        while renewed.cycle != 3:
            renewed = await stage_of(vp, Stage.CERTIFIED)
        assert renewed.certified_until == expires.replace(year=expires.year + 4)
        await keep_history(
            client.get_workflow_handle(vp.id, run_id=second_run), "program_evaluation_renewed"
        )

        # Not renewed again: it expires the day after its last valid day.
        assert renewed.certified_until is not None
        await advance_to(
            env, local_moment(renewed.certified_until + timedelta(days=2), time(9), TZ)
        )
        final = await vp.result()
        await keep_history(vp, "program_evaluation_expired")
    assert final.stage is Stage.EXPIRED
    events = [stored.event_type for stored in await EventStore(pool).read_stream(vp.id)]
    assert events.count("program.ProgramCompleted") == 1
    assert events.count("program.CertificationRenewed") == 1
    assert events.count("program.CertificationExpired") == 1
    assert events.count("program.AssessmentScored") == 5 + 2 + 5
    subjects = [
        r["subject"]
        for r in await pool.fetch(
            "SELECT subject FROM email_outbox WHERE recipient = $1 ORDER BY id",
            "vp-1@lbusd.example",
        )
    ]
    assert [s.split(": ")[1] for s in subjects] == [
        "completed",
        f"renewal due by {expires}",
        "renewed",
        f"renewal due by {renewed.certified_until}",
        "expired",
    ]


async def test_a_teacher_leader_certificate_pays_once_and_a_short_year_is_incomplete(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, [])
    d = await program_near(env, "teacher_leader_certificate.toml")
    courses = [p for p in d.parts if p.kind == "course"]
    async with running_worker(client, pool, task_queue):
        head = await enroll(client, pool, d, task_queue, "dh-1", "department_head")
        teacher = await enroll(client, pool, d, task_queue, "t-1", "teacher")
        await stage_of(head, Stage.ACTIVE)
        await stage_of(teacher, Stage.ACTIVE)
        last = max(s.on for p in courses for s in p.sessions)  # type: ignore[union-attr]
        await advance_to(env, evening(last))
        for part in courses:
            for s in part.sessions:  # type: ignore[union-attr]
                mark = pj.MarkSession(
                    part_id=part.id, session_id=s.id, status=PRESENT, recorded_by="office:kim"
                )
                await head.execute_update(ProgramJourney.record_attendance, mark)
                if part.id == "facilitating-meetings":
                    await teacher.execute_update(ProgramJourney.record_attendance, mark)
        not_for_teachers = pj.RecordLogEntry(part_id="walkthroughs", on=last, logged_by="t-1")
        assert (
            await refused(teacher, ProgramJourney.log_entry, not_for_teachers)
            == "program.part_not_applicable"
        )
        by_other = pj.RecordLogEntry(part_id="walkthroughs", on=last, logged_by="t-1")
        assert await refused(head, ProgramJourney.log_entry, by_other) == "policy.not_permitted"
        for n in range(3):
            status = await head.execute_update(
                ProgramJourney.log_entry,
                pj.RecordLogEntry(
                    part_id="walkthroughs",
                    on=last - timedelta(days=n),
                    logged_by="dh-1",
                    note="grade 7 math",
                ),
            )
        assert status.stage is Stage.COMPLETED
        done = await head.result()
        await keep_history(head, "program_teacher_leader_certificate_completed")
        await advance_to(env, local_moment(d.ends + timedelta(days=1), time(9), TZ))
        short = await teacher.result()
        await keep_history(teacher, "program_teacher_leader_certificate_incomplete")
    assert done.stage is Stage.COMPLETED and done.hours == 21
    assert short.stage is Stage.INCOMPLETE
    paid = await pool.fetch(
        "SELECT idempotency_key, amount_cents FROM payroll_requests WHERE payee_id = $1", "dh-1"
    )
    assert [(r["idempotency_key"], r["amount_cents"]) for r in paid] == [
        (f"{head.id}/stipend/{d.school_year}/completion/0", 75000)
    ]
    assert await pool.fetchval("SELECT count(*) FROM payroll_requests WHERE payee_id = 't-1'") == 0
    stored = [e.to_domain() for e in await EventStore(pool).read_stream(head.id)]
    completions = [e for e in stored if isinstance(e, pj.PartCompleted)]
    assert [c.part_id for c in completions] == [
        "facilitating-meetings",
        "data-analysis",
        "presenting-pd",
        "walkthroughs-course",
        "walkthroughs",
    ]
    record = next(e for e in stored if isinstance(e, pj.ProgramCompleted))
    assert (
        record.award == "LBUSD Teacher Leader Certificate"
        and record.provider
        and record.competencies
    )

    # The program office's list: the read model, folded by the catalog's fold, rebuilt the same.
    model = ReadModel(pool, projection=PROGRAM_JOURNEYS)
    await model.catch_up()
    rows = {r["employee_id"]: r for r in await model.rows("stream_id", program_key=d.key)}
    assert (rows["dh-1"]["stage"], rows["dh-1"]["stipend_cents"], rows["dh-1"]["hours_earned"]) == (
        "completed",
        75000,
        21,
    )
    assert rows["dh-1"]["completed_on"] == record.completed_on
    assert rows["t-1"]["stage"] == "incomplete" and rows["t-1"]["parts_completed"] == [
        "facilitating-meetings"
    ]
    caught_up = await model.rows("stream_id")
    await model.rebuild()
    assert await model.rows("stream_id") == caught_up


async def test_induction_continues_into_its_next_year_and_pauses_when_the_principal_leaves_the_role(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, [])
    d = await program_near(env, "induction.toml")
    async with running_worker(client, pool, task_queue):
        principal = await enroll(client, pool, d, task_queue, "p-1", "principal", year=2)
        hired = await enroll(client, pool, d, task_queue, "p-2", "principal", year=3)
        await stage_of(principal, Stage.ACTIVE)
        await stage_of(hired, Stage.ACTIVE)
        today = local_date(await env.get_current_time(), TZ)
        team = pj.RecordLogEntry(
            part_id="school-team-training", on=today, logged_by="p-1", attendees=["e-7", "e-8"]
        )
        await principal.execute_update(ProgramJourney.log_entry, team)
        paused = await principal.execute_update(
            ProgramJourney.hear_hr,
            pj.HearHr(
                change=HrChange.ROLE_CHANGE, effective_on=today, role="teacher", reported_by="hris"
            ),
        )
        assert paused.stage is Stage.PAUSED
        goal = pj.TakeStep(
            part_id="coaching-goals", step="goal_set", note="x", recorded_by="coach:lee"
        )
        # Refused for the pause, before the cycle's own dates are looked at.
        assert await refused(principal, ProgramJourney.record_step, goal) == "program.paused"
        resumed = await principal.execute_update(
            ProgramJourney.hear_hr,
            pj.HearHr(
                change=HrChange.ROLE_CHANGE,
                effective_on=today,
                role="principal",
                reported_by="hris",
            ),
        )
        assert resumed.stage is Stage.ACTIVE
        first_run = (await principal.describe()).run_id
        await advance_to(env, local_moment(d.ends + timedelta(days=1), time(9), TZ))
        following = await stage_of(principal, Stage.ACTIVE)
        while following.year_in_program != 3:
            following = await stage_of(principal, Stage.ACTIVE)
        assert following.school_year == d.next_year().school_year
        await keep_history(
            client.get_workflow_handle(principal.id, run_id=first_run),
            "program_induction_year_closed_incomplete",
        )
        await principal.execute_update(
            ProgramJourney.withdraw,
            pj.WithdrawFromProgram(
                reason="moved to a district office role", withdrawn_by="office:ana"
            ),
        )
        ended = await principal.result()
        final = await hired.result()
    assert ended.stage is Stage.WITHDRAWN
    assert final.stage is Stage.INCOMPLETE and final.year_in_program == 3


async def test_a_site_council_short_at_its_review_tells_the_oversight_committee(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, [])
    d = await program_near(env, "site_council.toml")
    first, second = d.checkpoints
    async with running_worker(client, pool, task_queue):
        council = await enroll(client, pool, d, task_queue, "p-9", "principal")
        await stage_of(council, Stage.ACTIVE)
        for member, name, group in (
            ("p-9", "Principal p-9", "administrator"),
            ("t-1", "Ana", "teacher"),
            ("g-1", "Luz", "parent"),
        ):
            await council.execute_update(
                ProgramJourney.seat_member,
                pj.SeatMember(
                    part_id="council",
                    member_id=member,
                    full_name=name,
                    group=group,
                    seated_by="p-9",
                ),  # type: ignore[arg-type]
            )
        twice = pj.SeatMember(
            part_id="council", member_id="t-1", full_name="Ana", group="teacher", seated_by="p-9"
        )  # type: ignore[arg-type]
        assert await refused(council, ProgramJourney.seat_member, twice) == "council.already_member"
        await advance_to(env, local_moment(first.on, time(9), TZ))
        status = await stage_of(council, Stage.ACTIVE)
        await advance_to(env, local_moment(second.on, time(9), TZ))
        await council.execute_update(
            ProgramJourney.withdraw,
            pj.WithdrawFromProgram(
                reason="council dissolved for the year", withdrawn_by="office:ana"
            ),
        )
        ended = await council.result()
        await keep_history(council, "program_site_council_short_at_review")
    assert status.stage is Stage.ACTIVE and ended.stage is Stage.WITHDRAWN
    told = await pool.fetch(
        "SELECT subject, body FROM email_outbox WHERE recipient = $1 ORDER BY id", first.notify
    )
    assert [r["subject"] for r in told] == [
        f"{d.title}: p-9 falls short at the {first.title}",  # by id: no name in their inbox
        f"{d.title}: p-9 falls short at the {second.title}",
    ]
    assert not any("Leader p-9" in r["body"] for r in told)
    assert "2 more teacher member(s) needed" in told[0]["body"]
    stored = [e.to_domain() for e in await EventStore(pool).read_stream(council.id)]
    checkpoints = [e for e in stored if isinstance(e, pj.ProgramCheckpoint)]
    assert [c.on for c in checkpoints] == [first.on, second.on] and all(
        c.missing for c in checkpoints
    )


async def test_a_parent_is_enrolled_without_hr_and_completes_parent_college(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    from activities.enrollment import start_journey
    from domain.catalog.start import PROGRAM, CommunityMember
    from domain.councils import StakeholderGroup
    from domain.pathway import StartRefused

    await seed_district(pool, [])
    d = await program_near(env, "parent_leadership.toml")
    parent = CommunityMember(
        full_name="Luz Garcia",
        email="luz@families.example",
        group=StakeholderGroup.PARENT,
        school_id="carver-ms",
    )
    inp = ProgramInput(
        program=d,
        enrollment=ProgramEnrollment(employee_id="g-1001", enrolled_by="office:ana", person=parent),
    )
    student = ProgramInput(
        program=d,
        enrollment=ProgramEnrollment(
            employee_id="s-1",
            enrolled_by="office:ana",
            person=parent.model_copy(update={"group": StakeholderGroup.STUDENT}),
        ),
    )
    with pytest.raises(StartRefused) as not_for_students:
        await start_journey(client, LocalHris(pool), PROGRAM, student, task_queue)
    assert not_for_students.value.code == "start.ineligible_title"
    with pytest.raises(ValueError, match="give their name, e-mail and group"):
        ProgramInput(
            program=d, enrollment=ProgramEnrollment(employee_id="g-2", enrolled_by="office:ana")
        )
    async with running_worker(client, pool, task_queue):
        started = await start_journey(client, LocalHris(pool), PROGRAM, inp, task_queue)
        handle: Handle = client.get_workflow_handle(
            started.workflow_id, result_type=pj.ProgramStatus
        )
        await stage_of(handle, Stage.ACTIVE)
        workshops = d.part("parent-college")
        assert workshops is not None and workshops.kind == "course"
        sessions = workshops.sessions[:3]  # type: ignore[union-attr]
        await advance_to(env, evening(sessions[-1].on))
        for s in sessions:
            mark = pj.MarkSession(
                part_id="parent-college", session_id=s.id, status=PRESENT, recorded_by="office:ana"
            )
            status = await handle.execute_update(ProgramJourney.record_attendance, mark)
        assert status.stage is Stage.COMPLETED
        done = await handle.result()
    assert done.full_name == "Luz Garcia" and done.stage is Stage.COMPLETED
    mail = await pool.fetchval(
        "SELECT subject FROM email_outbox WHERE recipient = 'luz@families.example'"
    )
    assert mail == f"{d.title}: completed"


async def test_a_leader_who_leaves_is_paid_the_sessions_already_attended(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, [])
    d = await program_near(env, "classified_staff_leadership.toml")
    course = d.part("leading-at-the-site")
    assert course is not None and course.kind == "course"
    first = course.sessions[0]  # type: ignore[union-attr]
    async with running_worker(client, pool, task_queue):
        aide = await enroll(client, pool, d, task_queue, "c-1", "office_manager")
        await stage_of(aide, Stage.ACTIVE)
        await advance_to(env, evening(first.on))
        mark = pj.MarkSession(
            part_id=course.id, session_id=first.id, status=PRESENT, recorded_by="office:kim"
        )
        await aide.execute_update(ProgramJourney.record_attendance, mark)
        await aide.execute_update(
            ProgramJourney.hear_hr,
            pj.HearHr(change=HrChange.SEPARATION, effective_on=first.on, reason="resigned"),
        )
        ended = await aide.result()
        await keep_history(aide, "program_classified_separated_paid_sessions")
    assert ended.stage is Stage.SEPARATED
    paid = await pool.fetch(
        "SELECT idempotency_key, amount_cents FROM payroll_requests WHERE payee_id = 'c-1'"
    )
    assert [(r["idempotency_key"], r["amount_cents"]) for r in paid] == [
        (f"{aide.id}/stipend/{d.school_year}/session/0", 5000)
    ]


async def test_an_enrollment_withdrawn_while_hr_does_not_list_the_participant_ends(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, [])
    d = await program_near(env, "teacher_leader_certificate.toml")
    inp = ProgramInput(
        program=d,
        enrollment=ProgramEnrollment(employee_id="t-unlisted", enrolled_by="office:ana"),
    )
    async with running_worker(client, pool, task_queue):
        handle: Handle = await client.start_workflow(
            ProgramJourney.run,
            inp,
            id=program_journey_id(d.key, f"{d.school_year}-{task_queue[-8:]}", "t-unlisted"),
            task_queue=task_queue,
        )
        assert (await waiting_on_fix(handle)).error_type == "EmployeeNotFound"
        await handle.execute_update(
            ProgramJourney.withdraw,
            pj.WithdrawFromProgram(reason="enrolled under the wrong id", withdrawn_by="office:ana"),
        )
        ended = await asyncio.wait_for(handle.result(), timeout=60)
        assert ended.stage is Stage.WITHDRAWN
        assert await handle.query(ProgramJourney.waiting_on) is None
        history = await handle.fetch_history()
        assert asked_after(history, "request_payment") == 0
        assert asked_after(history, "send_email") == 0
        assert asked_after(history, "hris_employee") == 1  # not asked again once withdrawn
