"""A teacher leader's year on the time-skipping server, with the real event store and payroll."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.eventstore import EventStore, StoredEvent
from activities.local_systems import LocalHris
from domain.audit import StoredView, cross_check
from domain.explain import explain
from domain.program import Cohort, ProgramYear, Role
from domain.teacher_leader.events import (
    AttendanceStatus,
    CoachingStep,
    DecisionOutcome,
    SelectionScores,
)
from domain.teacher_leader.journey import (
    Application,
    CloseYear,
    DecideApplication,
    JourneyStatus,
    RecordAttendance,
    RecordCoachingStep,
    ReviewDeliverable,
    SignCommitment,
    Stage,
    SubmitDeliverable,
    Withdraw,
    fold,
)
from domain.teacher_leader.journey import status as status_of
from pathways.audit import appended_in_history
from pathways.journeys import TeacherLeaderHandle, start_teacher_leader
from pathways.refusals import refusal_of
from tests.journey_kit import (
    OTHER_PRINCIPAL,
    PRINCIPAL,
    SCHOOL,
    advance_to,
    keep_history,
    noon,
    program_near,
    running_worker,
    seed_district,
)
from workflows.teacher_leader import TeacherLeaderJourney

OFFICE = "office:ana"
SCORES = SelectionScores(time=4, mindset=4, skillset=3, experience=3)


async def payments(pool: asyncpg.Pool) -> list[tuple[str, str, int]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT kind, payee_id, amount_cents FROM payroll_requests ORDER BY kind"
        )
    return [(r["kind"], r["payee_id"], r["amount_cents"]) for r in rows]


async def start(
    client: Client,
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    program: ProgramYear,
    task_queue: str,
    teacher: str,
    role: Role = Role.TEAM_LEAD,
) -> TeacherLeaderHandle:
    application = Application(
        employee_id=teacher,
        role=role,
        school_id=SCHOOL,
        cohort=Cohort.ELEMENTARY if role is Role.TEAM_LEAD else None,
    )
    handle, created = await start_teacher_leader(
        client, LocalHris(pool), program, application, task_queue, now=await env.get_current_time()
    )
    assert created
    return handle


async def accept_and_sign(handle: TeacherLeaderHandle, teacher: str) -> None:
    await handle.execute_update(
        TeacherLeaderJourney.decide,
        DecideApplication(outcome=DecisionOutcome.ACCEPTED, scores=SCORES, decided_by=OFFICE),
    )
    await handle.execute_update(
        TeacherLeaderJourney.sign_commitment, SignCommitment(signer_id=teacher)
    )
    status: JourneyStatus = await handle.execute_update(
        TeacherLeaderJourney.sign_commitment, SignCommitment(signer_id=PRINCIPAL)
    )
    assert status.stage is Stage.ACTIVE


async def do_the_year(
    handle: TeacherLeaderHandle,
    env: WorkflowEnvironment,
    program: ProgramYear,
    role: Role,
    *,
    absent_from: str | None = None,
    skip_deliverables: frozenset[str] = frozenset(),
) -> None:
    """Everything a teacher leader does in a year, in calendar order."""
    for session in sorted(program.sessions_for(role), key=lambda s: s.on):
        await advance_to(env, noon(session.on))
        status = AttendanceStatus.ABSENT if session.session_id == absent_from else None
        await handle.execute_update(
            TeacherLeaderJourney.record_attendance,
            RecordAttendance(
                session_id=session.session_id,
                status=status or AttendanceStatus.PRESENT,
                recorded_by=OFFICE,
            ),
        )
    for cycle in program.coaching_cycles:
        await advance_to(env, noon(cycle.opens))
        for step in CoachingStep:
            await handle.execute_update(
                TeacherLeaderJourney.record_coaching_step,
                RecordCoachingStep(cycle_id=cycle.cycle_id, step=step, recorded_by="coach:lee"),
            )
    for item in program.deliverables_for(role):
        if item.deliverable_id in skip_deliverables:
            continue
        await handle.execute_update(
            TeacherLeaderJourney.submit_deliverable,
            SubmitDeliverable(
                deliverable_id=item.deliverable_id, submitted_by=handle.id.rsplit("/", 1)[1]
            ),
        )
        await handle.execute_update(
            TeacherLeaderJourney.review_deliverable,
            ReviewDeliverable(
                deliverable_id=item.deliverable_id, accepted=True, reviewed_by=OFFICE
            ),
        )


async def test_a_teacher_who_does_everything_is_paid_once(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-1"])
    program = await program_near(env)
    async with running_worker(client, pool, task_queue):
        handle = await start(client, env, pool, program, task_queue, "t-1")
        await accept_and_sign(handle, "t-1")
        await do_the_year(handle, env, program, Role.TEAM_LEAD)
        final: JourneyStatus = await handle.result()
        await keep_history(handle, "teacher_leader_paid")
    assert final.stage is Stage.CLOSED
    assert final.stipend is not None and final.stipend.paid
    assert final.stipend.reasons == []
    # Four school-day sessions x $215.00 x 80% = $688.00, exactly.
    assert await payments(pool) == [
        ("stipend", "t-1", 250000),
        ("substitute_reimbursement", SCHOOL, 68800),
    ]
    # Payroll gets the payee, the amount and the kind; the school's memo names the teacher by id.
    memos = [r["memo"] for r in await pool.fetch("SELECT memo FROM payroll_requests")]
    assert any("t-1" in m for m in memos) and not any("Teacher t-1" in m for m in memos)
    stored = await EventStore(pool).read_stream(handle.id)
    assert stored[-1].event_type == "teacher_leader.JourneyEnded"
    assert (await EventStore(pool).verify_stream(handle.id)).ok
    # The stored events alone rebuild the journey the workflow reported.
    rebuilt = fold(e.to_domain() for e in stored)
    assert status_of(rebuilt, program) == final


async def test_one_missed_session_withholds_the_stipend_with_that_reason(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-2"])
    program = await program_near(env)
    async with running_worker(client, pool, task_queue):
        handle = await start(client, env, pool, program, task_queue, "t-2")
        await accept_and_sign(handle, "t-2")
        await do_the_year(handle, env, program, Role.TEAM_LEAD, absent_from="winter-institute")
        closed: JourneyStatus = await handle.execute_update(
            TeacherLeaderJourney.close_year, CloseYear(closed_by=OFFICE)
        )
        assert (await handle.result()).stage is Stage.CLOSED
        await keep_history(handle, "teacher_leader_withheld")
    winter = program.session("winter-institute")
    assert winter is not None
    assert closed.stipend is not None and not closed.stipend.paid
    assert closed.stipend.reasons == [
        f"absent from Winter Institute {winter.on.isoformat()} (no make-up recorded)"
    ]
    # The school is still reimbursed for the three seminar days its teacher attended.
    assert await payments(pool) == [("substitute_reimbursement", SCHOOL, 51600)]
    # The program office hears of it at once, with the reason, by employee id: no name leaves
    # the district in an e-mail to someone else.
    async with pool.acquire() as conn:
        office = await conn.fetch(
            "SELECT subject, body FROM email_outbox WHERE recipient = $1",
            program.program_office_email,
        )
    assert [r["subject"] for r in office] == ["Stipend withheld: t-2, Team Lead"]
    assert closed.stipend.reasons[0] in office[0]["body"]
    assert "Teacher t-2" not in office[0]["body"]


async def test_no_principal_signature_by_the_deadline_lapses_the_application(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-3"])
    program = await program_near(env)
    async with running_worker(client, pool, task_queue):
        handle = await start(client, env, pool, program, task_queue, "t-3")
        await handle.execute_update(
            TeacherLeaderJourney.decide,
            DecideApplication(outcome=DecisionOutcome.ACCEPTED, scores=SCORES, decided_by=OFFICE),
        )
        await handle.execute_update(
            TeacherLeaderJourney.sign_commitment, SignCommitment(signer_id="t-3")
        )
        final: JourneyStatus = await handle.result()
        await keep_history(handle, "teacher_leader_lapsed")
    assert final.stage is Stage.LAPSED
    assert final.end_reason is not None and "principal" in final.end_reason
    assert await payments(pool) == []
    async with pool.acquire() as conn:
        reminders = await conn.fetchval(
            "SELECT count(*) FROM email_outbox WHERE subject LIKE 'Reminder%'"
        )
    assert reminders == 2  # 7 and 2 days before the deadline, to the principal only


async def test_another_schools_principal_cannot_sign(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-4"])
    program = await program_near(env)
    async with running_worker(client, pool, task_queue):
        handle = await start(client, env, pool, program, task_queue, "t-4")
        await handle.execute_update(
            TeacherLeaderJourney.decide,
            DecideApplication(outcome=DecisionOutcome.ACCEPTED, scores=SCORES, decided_by=OFFICE),
        )
        before = len([e async for e in handle.fetch_history_events()])
        stored_before = await EventStore(pool).stream_version(handle.id)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                TeacherLeaderJourney.sign_commitment, SignCommitment(signer_id=OTHER_PRINCIPAL)
            )
        assert f"only the teacher (t-4) and the principal of school {SCHOOL}" in str(
            refused.value.cause
        )
        # Refused by the update's validator: the caller reads the code, not the words.
        refusal = refusal_of(refused.value)
        assert refusal is not None and refusal.code == "commitment.not_a_signer"
        # The refusal ran in a workflow task (the test server keeps its bookkeeping events
        # where a full server drops them) but nothing of the update entered the history.
        added = [e.event_type async for e in handle.fetch_history_events()][before:]
        assert set(added) <= {
            EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        }
        assert await EventStore(pool).stream_version(handle.id) == stored_before
        status: JourneyStatus = await handle.query(TeacherLeaderJourney.status)
        assert status.awaiting_signatures == ["teacher", "principal"]
        await handle.execute_update(
            TeacherLeaderJourney.withdraw, Withdraw(withdrawn_by=OFFICE, reason="test over")
        )
        await handle.result()


async def test_worker_restarted_mid_year_still_pays_once(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-5"])
    program = await program_near(env)
    # No workflow cache: every task of these workers rebuilds the journey from its history,
    # as a freshly started worker does after a crash.
    async with running_worker(client, pool, task_queue, cache=False):
        handle = await start(client, env, pool, program, task_queue, "t-5")
        await accept_and_sign(handle, "t-5")
    # The first worker is gone; a new one picks the journey up from its history.
    async with running_worker(client, pool, task_queue, cache=False):
        await do_the_year(handle, env, program, Role.TEAM_LEAD)
    async with running_worker(client, pool, task_queue, cache=False):
        await advance_to(env, program.year_closes_at + timedelta(hours=1))
        final: JourneyStatus = await handle.result()
    assert final.stipend is not None and final.stipend.paid
    assert await payments(pool) == [
        ("stipend", "t-5", 250000),
        ("substitute_reimbursement", SCHOOL, 68800),
    ]


async def test_senior_peer_coach_extra_duties_are_required(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-6"])
    program = await program_near(env)
    async with running_worker(client, pool, task_queue):
        handle = await start(client, env, pool, program, task_queue, "t-6", Role.SENIOR_PEER_COACH)
        await accept_and_sign(handle, "t-6")
        await do_the_year(
            handle,
            env,
            program,
            Role.SENIOR_PEER_COACH,
            skip_deliverables=frozenset({"coaching-videos"}),
        )
        closed: JourneyStatus = await handle.execute_update(
            TeacherLeaderJourney.close_year, CloseYear(closed_by=OFFICE)
        )
        await handle.result()
    assert closed.stipend is not None
    assert closed.stipend.reasons == [
        "deliverable 'Videos of exemplary coaching cycles' not submitted"
    ]
    # Peer coaches also attend the half-day Peer Coach Seminar: 4.5 days x $215 x 80%.
    assert await payments(pool) == [("substitute_reimbursement", SCHOOL, 77400)]


async def test_starting_the_same_journey_twice_returns_the_first(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-7"])
    program = await program_near(env)
    application = Application(employee_id="t-7", role=Role.ARTS_LEAD, school_id=SCHOOL)
    async with running_worker(client, pool, task_queue):
        now = await env.get_current_time()
        first, created = await start_teacher_leader(
            client, LocalHris(pool), program, application, task_queue, now=now
        )
        again, created_again = await start_teacher_leader(
            client, LocalHris(pool), program, application, task_queue, now=now
        )
        assert (created, created_again) == (True, False)
        assert again.id == first.id
        await first.execute_update(
            TeacherLeaderJourney.withdraw, Withdraw(withdrawn_by="t-7", reason="moving")
        )
        await first.result()
        await keep_history(first, "teacher_leader_withdrawn")
        # The reason the teacher gave stays in the district: the e-mail says it was withdrawn.
        told = await pool.fetch("SELECT subject, body FROM email_outbox WHERE recipient = $1",
                                "t-7@district.example")  # fmt: skip
        assert "Your application was withdrawn." in [r["body"] for r in told]
        assert not any("moving" in r["body"] + r["subject"] for r in told)
        # A closed journey is not started again either.
        _, created_after_close = await start_teacher_leader(
            client, LocalHris(pool), program, application, task_queue, now=now
        )
        assert not created_after_close


async def test_a_malformed_update_from_an_integration_is_refused(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-8"])
    program = await program_near(env)
    async with running_worker(client, pool, task_queue):
        handle = await start(client, env, pool, program, task_queue, "t-8")
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                "decide", {"outcome": "maybe", "scores": {"time": 9}, "decided_by": ""}
            )
        # The journey is not stuck: it still takes a well-formed decision.
        status: JourneyStatus = await handle.execute_update(
            TeacherLeaderJourney.decide,
            DecideApplication(outcome=DecisionOutcome.DECLINED, scores=SCORES, decided_by=OFFICE),
            result_type=JourneyStatus,
        )
        assert status.stage is Stage.DECLINED
        await handle.result()


async def test_explain_tells_why_the_stipend_was_withheld(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-9"])
    program = await program_near(env)
    async with running_worker(client, pool, task_queue):
        handle = await start(client, env, pool, program, task_queue, "t-9")
        await accept_and_sign(handle, "t-9")
        await do_the_year(handle, env, program, Role.TEAM_LEAD, absent_from="winter-institute")
        await handle.execute_update(TeacherLeaderJourney.close_year, CloseYear(closed_by=OFFICE))
        await handle.result()
    stored = await EventStore(pool).read_stream(handle.id)
    lines = explain((e.to_domain(), e.metadata["actor"]) for e in stored)
    winter = program.session("winter-institute")
    assert winter is not None
    withheld = [line for line in lines if line.what.startswith("stipend withheld")]
    assert len(withheld) == 1
    assert withheld[0].actor == "system"
    assert f"absent from Winter Institute {winter.on.isoformat()}" in withheld[0].what
    assert any(
        line.what.startswith("substitute reimbursement to grape-street-es: $516.00 = 3 day(s)")
        for line in lines
    )
    assert any(line.actor == OFFICE and line.what == "absent at winter-institute" for line in lines)


async def test_cross_check_names_a_deleted_and_an_altered_event(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, ["t-10"])
    program = await program_near(env)
    async with running_worker(client, pool, task_queue):
        handle = await start(client, env, pool, program, task_queue, "t-10")
        await accept_and_sign(handle, "t-10")
        await handle.execute_update(
            TeacherLeaderJourney.withdraw, Withdraw(withdrawn_by="t-10", reason="moving")
        )
        await handle.result()
    appended = await appended_in_history(await handle.fetch_history())
    store = EventStore(pool)

    def views(stored: list[StoredEvent]) -> list[StoredView]:
        return [StoredView(e.event_id, e.stream_version, e.event_type, e.payload) for e in stored]

    stored = await store.read_stream(handle.id)
    assert len(appended) == len(stored) > 5
    assert cross_check(appended, views(stored)) == []
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await conn.execute(
            "DELETE FROM events WHERE stream_id = $1 AND stream_version = 2", handle.id
        )
        await conn.execute(
            "UPDATE events SET payload = jsonb_set(payload, '{reason}', '\"promoted\"') "
            "WHERE stream_id = $1 AND event_type = 'teacher_leader.JourneyWithdrawn'",
            handle.id,
        )
    problems = cross_check(appended, views(await store.read_stream(handle.id)))
    assert [(p.kind, p.event_type) for p in problems] == [
        ("missing", stored[1].event_type),
        ("altered", "teacher_leader.JourneyWithdrawn"),
    ]
