"""Fellowship journeys and their cohort on the time-skipping server (terms pass in seconds)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta

import asyncpg
import pytest
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.eventstore import EventStore
from activities.local_systems import LocalHris
from domain.explain import explain
from domain.external import Employee
from domain.fellowship.cohort import CohortSeats, cohort_id
from domain.fellowship.journey import (
    DecideSelection,
    FellowshipApplication,
    FellowshipStatus,
    LeaveFellowship,
    LeaveKind,
    RecordEnrollment,
    RecordSupplementalPD,
    ReportMilestone,
    Stage,
    WaiveEarlyExit,
)
from domain.fellowship.journey import fold as fold_fellow
from domain.fellowship.program import (
    SAMPLE_FELLOWSHIP,
    FellowshipProgram,
    Milestone,
    load_fellowship,
)
from domain.service_commitment.journey import CommitmentStatus, Standing
from domain.teacher_leader.events import AttendanceStatus, SelectionScores
from pathways.refusals import refusal_of
from tests.journey_kit import (
    SCHOOL,
    advance_to,
    keep_history,
    local_today,
    running_worker,
    seed_district,
)
from workflows.fellowship import FellowshipInput, FellowshipJourney, fellowship_id
from workflows.service_commitment import ServiceCommitment

SCORES = SelectionScores(time=4, mindset=4, skillset=3, experience=3)
Handle = WorkflowHandle[FellowshipJourney, FellowshipStatus]


async def program_near(
    env: WorkflowEnvironment, task_queue: str, **changes: object
) -> FellowshipProgram:
    """The sample cohort moved so that selection closes 10 days from the server's now."""
    sample = load_fellowship(SAMPLE_FELLOWSHIP)
    now = await env.get_current_time()
    days = ((now + timedelta(days=10)).date() - sample.selection_closes_at.date()).days
    moved = sample.shifted(days, program_id=f"plf-{task_queue[-12:]}")
    return FellowshipProgram.model_validate({**moved.model_dump(), **changes})


async def seed_fellows(pool: asyncpg.Pool, fellows: dict[str, str]) -> None:
    await seed_district(pool, [])
    hris = LocalHris(pool)
    for employee_id, role in fellows.items():
        await hris.upsert_employee(
            Employee(
                employee_id=employee_id,
                full_name=f"Fellow {employee_id}",
                email=f"{employee_id}@district.example",
                role=role,
                school_id=SCHOOL,
            )
        )


async def apply(client: Client, program: FellowshipProgram, task_queue: str, who: str) -> Handle:
    return await client.start_workflow(
        FellowshipJourney.run,
        FellowshipInput(program=program, application=FellowshipApplication(employee_id=who)),
        id=fellowship_id(program.program_id, who),
        task_queue=task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
    )


async def eventually(
    handle: Handle, check: Callable[[FellowshipStatus], bool], what: str
) -> FellowshipStatus:
    for _ in range(600):  # up to 30 s: a loaded CI machine replays slowly without a cache
        state = await handle.query(FellowshipJourney.status)
        if check(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what}: last state {state}")


def paid_for(term_id: str) -> Callable[[FellowshipStatus], bool]:
    return lambda s: term_id in s.terms_paid


async def identified(handle: Handle) -> FellowshipStatus:
    return await eventually(handle, lambda s: bool(s.full_name), "HR look-up")


async def select(handle: Handle) -> FellowshipStatus:
    await identified(handle)
    return await handle.execute_update(
        FellowshipJourney.decide,
        DecideSelection(selected=True, scores=SCORES, decided_by="office:ana"),
    )


async def enroll(env: WorkflowEnvironment, handle: Handle, student: str) -> FellowshipStatus:
    today = await local_today(env)
    return await handle.execute_update(
        FellowshipJourney.enroll, RecordEnrollment(university_student_id=student, enrolled_on=today)
    )


async def payroll(pool: asyncpg.Pool) -> list[tuple[str, str, int]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT idempotency_key, kind, amount_cents FROM payroll_requests ORDER BY id"
        )
    return [(r["idempotency_key"], r["kind"], r["amount_cents"]) for r in rows]


@pytest.fixture
def env(own_env: WorkflowEnvironment) -> WorkflowEnvironment:
    """A time-skipping server of the test's own: cohorts and service commitments outlive a
    test, and a workflow left behind without its worker would hold a shared server's clock."""
    return own_env


async def test_the_cohort_enforces_capacity_and_promotes_from_the_waitlist(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    fellows = {f"f-{n}": "teacher" for n in range(1, 5)}
    await seed_fellows(pool, fellows)
    program = await program_near(env, task_queue, cohort_capacity=2)
    async with running_worker(client, pool, task_queue):
        handles = {who: await apply(client, program, task_queue, who) for who in fellows}
        answers = [await select(handles[who]) for who in fellows]
        assert [(a.stage, a.seat, a.waitlist_position) for a in answers] == [
            (Stage.ADMITTED, 1, None),
            (Stage.ADMITTED, 2, None),
            (Stage.WAITLISTED, None, 1),
            (Stage.WAITLISTED, None, 2),
        ]
        today = await local_today(env)
        await handles["f-1"].execute_update(
            FellowshipJourney.leave,
            LeaveFellowship(effective_on=today, reason="family move", recorded_by="office:ana"),
        )
        welcome = f"Welcome to {program.title}"
        promoted = await eventually(
            handles["f-3"],
            lambda s: s.stage is Stage.ADMITTED and welcome in s.notices,
            "promotion from the waitlist and its welcome e-mail",
        )
        assert promoted.seat == 1
        async with pool.acquire() as conn:
            told = await conn.fetch(
                "SELECT subject FROM email_outbox WHERE recipient = $1 ORDER BY id",
                "f-3@district.example",
            )
        assert [r["subject"] for r in told] == [
            f"{program.title}: waitlist",
            welcome,
        ]
        cohort = client.get_workflow_handle(cohort_id(program.program_id), result_type=CohortSeats)
        roster = await cohort.query("roster", result_type=CohortSeats)
        assert roster.seats == {"f-2": 2, "f-3": 1}
        assert roster.waitlist == ["f-4"]
        left = await eventually(handles["f-1"], lambda s: s.outcome is not None, "f-1 ended")
        assert (left.stage, left.owed_cents) == (Stage.LEFT, 0)

        await enroll(env, handles["f-2"], "UCLA-002")
        # Enrollment closes: the last on the waitlist is told, and the cohort closes.
        await advance_to(env, program.enrollment_closes_at + timedelta(hours=1))
        expired = await handles["f-4"].result()
        assert expired.stage is Stage.NOT_ADMITTED
        closed = await cohort.result()
        await keep_history(cohort, "fellowship_cohort_closed")
        lapsed = await handles["f-3"].result()
        assert lapsed.stage is Stage.LAPSED
        assert "did not report enrollment" in (lapsed.end_reason or "")
        assert closed.closed and closed.seats.get("f-2") == 2 and closed.waitlist == []
    # Only the enrolled fellow has been paid (her first term, while the clock ran on).
    paid_to = {key.split("/")[2] for key, _kind, _cents in await payroll(pool)}
    assert paid_to <= {"f-2"}


async def test_a_fellow_is_paid_each_term_once_and_graduation_starts_the_commitment(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellows(pool, {"f-1": "counselor"})
    program = await program_near(env, task_queue)
    # No workflow cache: every task rebuilds the journey from its history, as a freshly
    # started worker does after a crash.
    async with running_worker(client, pool, task_queue, cache=False):
        handle = await apply(client, program, task_queue, "f-1")
        assert (await select(handle)).seat == 1
        assert (await enroll(env, handle, "UCLA-001")).stage is Stage.ENROLLED
        again = await enroll(env, handle, "UCLA-001")  # the university reports it twice
        assert again.stage is Stage.ENROLLED
        for term in program.terms[:2]:
            await advance_to(env, term.disburse_at + timedelta(hours=1))
            await eventually(handle, paid_for(term.term_id), term.term_id)
    # The first worker is gone; a new one carries on without paying a term twice.
    async with running_worker(client, pool, task_queue, cache=False):
        session = program.supplemental_pd[0]
        await advance_to(env, session_day(program, session.on))
        await handle.execute_update(
            FellowshipJourney.record_pd,
            RecordSupplementalPD(
                session_id=session.session_id,
                status=AttendanceStatus.PRESENT,
                recorded_by="office:ana",
            ),
        )
        last = program.terms[-1]
        await advance_to(env, last.disburse_at + timedelta(hours=1))
        await eventually(handle, lambda s: not s.terms_remaining, "all terms paid")
        on = await local_today(env)
        for milestone in Milestone:
            await handle.execute_update(
                FellowshipJourney.report_milestone,
                ReportMilestone(milestone=milestone, achieved_on=on, reported_by="university"),
            )
        final = await handle.result()
        await keep_history(handle, "fellowship_graduated")
        assert final.commitment_workflow_id is not None
        commitment = client.get_workflow_handle_for(
            ServiceCommitment.run, final.commitment_workflow_id
        )
        serving = await answer_when_started(commitment)
    assert (final.stage, final.graduated_on) == (Stage.GRADUATED, on)
    assert final.disbursed_cents == program.assistance_cents == 3_000_000
    assert final.pd_attended == [session.session_id]
    # Four years to serve. While the test waited for the fellowship's result the time-skipping
    # server may already have skipped to the commitment's first anniversary, so count both.
    assert serving.standing is Standing.SERVING
    assert serving.served_months + serving.remaining_months == 48
    paid = await payroll(pool)
    assert [(kind, cents) for _key, kind, cents in paid] == [
        ("financial_assistance", t.disbursement_cents) for t in program.terms
    ]
    assert len({key for key, _kind, _cents in paid}) == 4
    stored = await EventStore(pool).read_stream(fellowship_id(program.program_id, "f-1"))
    rebuilt = fold_fellow([e.to_domain() for e in stored])
    assert rebuilt.stage is Stage.GRADUATED and rebuilt.disbursed_cents == 3_000_000


async def answer_when_started(
    commitment: WorkflowHandle[ServiceCommitment, CommitmentStatus],
) -> CommitmentStatus:
    """The commitment's status once its first task has run (it was started a moment ago)."""
    for _ in range(100):
        with contextlib.suppress(RPCError, WorkflowQueryFailedError):
            status = await commitment.query(ServiceCommitment.status)
            if status.fellow_id:
                return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"{commitment.id} did not start")


def session_day(program: FellowshipProgram, on: date) -> datetime:
    """Evening of a session's day in the district's time zone."""
    return datetime.combine(on, time(18), program.graduate_by.tzinfo)


async def reach_second_term(
    client: Client, env: WorkflowEnvironment, program: FellowshipProgram, task_queue: str
) -> Handle:
    handle = await apply(client, program, task_queue, "f-1")
    await select(handle)
    await enroll(env, handle, "UCLA-002")
    second = program.terms[1]
    await advance_to(env, second.disburse_at + timedelta(hours=1))
    await eventually(handle, lambda s: len(s.terms_paid) == 2, "two terms paid")
    return handle


async def test_leaving_before_graduation_repays_what_was_disbursed_once(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellows(pool, {"f-1": "teacher"})
    program = await program_near(env, task_queue)
    async with running_worker(client, pool, task_queue):
        handle = await reach_second_term(client, env, program, task_queue)
        today = await local_today(env)
        leave = LeaveFellowship(
            kind=LeaveKind.SEPARATED, effective_on=today, reason="resigned", recorded_by="hris"
        )
        await handle.execute_update(FellowshipJourney.leave, leave)
        await handle.execute_update(FellowshipJourney.leave, leave)  # HR sends it twice
        final = await handle.result()
        await keep_history(handle, "fellowship_left")
    assert final.stage is Stage.LEFT
    assert final.owed_cents == 1_500_000 and final.repayment_reference is not None
    stored = await EventStore(pool).read_stream(handle.id)
    lines = [line.what for line in explain((e.to_domain(), e.metadata["actor"]) for e in stored)]
    assert (
        "repayment determined: $15,000.00 of $15,000.00 paid, rule all_disbursed: left before "
        "graduating (resigned); the rule repays all assistance paid: summer-2027 $5,000.00, "
        "fall-2027 $10,000.00 = $15,000.00"
    ) in lines
    repayments = [p for p in await payroll(pool) if p[1] == "repayment"]
    assert repayments == [
        (f"{fellowship_id(program.program_id, 'f-1')}/repayment", "repayment", 1_500_000)
    ]


async def test_a_waiver_cancels_the_early_exit_repayment(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellows(pool, {"f-1": "teacher"})
    program = await program_near(env, task_queue)
    async with running_worker(client, pool, task_queue):
        handle = await reach_second_term(client, env, program, task_queue)
        today = await local_today(env)
        await handle.execute_update(
            FellowshipJourney.leave,
            LeaveFellowship(effective_on=today, reason="medical", recorded_by="office:ana"),
        )
        await eventually(handle, lambda s: s.owed_cents == 1_500_000, "repayment determined")
        with pytest.raises(WorkflowUpdateFailedError) as too_much:
            await handle.execute_update(
                FellowshipJourney.waive,
                WaiveEarlyExit(decided_by="director:ana", reason="x", amount_cents=9_999_999),
            )
        assert "cannot waive $99,999.99: $15,000.00 is owed" in str(too_much.value.cause)
        assert getattr(refusal_of(too_much.value), "code", None) == "waiver.exceeds_owed"
        await handle.execute_update(
            FellowshipJourney.waive,
            WaiveEarlyExit(decided_by="director:maya", reason="serious illness, documented"),
        )
        final = await handle.result()
        await keep_history(handle, "fellowship_left_waived")
    assert (final.stage, final.owed_cents, final.outcome) == (Stage.LEFT, 0, "left_waived")
    assert [p for p in await payroll(pool) if p[1] == "repayment"] == []


async def test_not_finishing_by_the_deadline_counts_as_leaving(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellows(pool, {"f-1": "coach"})
    program = await program_near(env, task_queue, leaving_before_graduation="none")
    async with running_worker(client, pool, task_queue):
        handle = await apply(client, program, task_queue, "f-1")
        await select(handle)
        await enroll(env, handle, "UCLA-003")
        on = await local_today(env)
        await handle.execute_update(
            FellowshipJourney.report_milestone,
            ReportMilestone(
                milestone=Milestone.TIER1_CREDENTIAL, achieved_on=on, reported_by="hris"
            ),
        )
        final = await handle.result()
        await keep_history(handle, "fellowship_did_not_complete")
    assert final.stage is Stage.LEFT
    assert "M.Ed. conferred not reported" in (final.end_reason or "")
    assert final.disbursed_cents == 3_000_000 and final.owed_cents == 0  # the rule: repay none


async def test_refusals_name_the_problem_and_leave_no_trace(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellows(pool, {"f-1": "teacher", "f-9": "assistant_principal"})
    program = await program_near(env, task_queue)
    async with running_worker(client, pool, task_queue):
        # Queries, not results, until the end: waiting on a result lets the time-skipping
        # clock run on for every workflow on the server.
        ineligible = await apply(client, program, task_queue, "f-9")
        ended = await eventually(ineligible, lambda s: s.stage is Stage.INELIGIBLE, "refusal")
        assert "'assistant_principal'" in (ended.end_reason or "")

        handle = await apply(client, program, task_queue, "f-1")
        await select(handle)
        cases: list[tuple[Callable[[], Awaitable[object]], str]] = [
            (
                lambda: handle.execute_update(
                    FellowshipJourney.enroll,
                    RecordEnrollment(
                        university_student_id="U", enrolled_on=datetime(2099, 1, 1).date()
                    ),
                ),
                "enrolled_on 2099-01-01 is in the future",
            ),
            (
                lambda: handle.execute_update(
                    FellowshipJourney.record_pd,
                    RecordSupplementalPD(
                        session_id="nope", status="present", recorded_by="office:x"
                    ),
                ),
                "enrolled fellows",
            ),
            (
                lambda: handle.execute_update(
                    FellowshipJourney.waive, WaiveEarlyExit(decided_by="director:a", reason="r")
                ),
                "no repayment to waive",
            ),
        ]
        for call, message in cases:
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await call()
            assert message in str(refused.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as twice:
            await select(handle)
        assert "already decided" in str(twice.value.cause)
        assert getattr(refusal_of(twice.value), "code", None) == "application.already_decided"
        logged = [e.event_type for e in await EventStore(pool).read_stream(handle.id)]
        assert logged.count("fellowship.SelectionDecided") == 1  # nothing refused was logged
        assert set(logged) <= {
            "fellowship.FellowshipApplied",
            "fellowship.FellowIdentified",
            "fellowship.SelectionDecided",
            "fellowship.SeatGranted",
            "fellowship.FellowNoticeSent",
        }
        await handle.execute_update(
            FellowshipJourney.leave,
            LeaveFellowship(
                effective_on=await local_today(env),
                reason="changed plans",
                recorded_by="f-1",
            ),
        )
        await handle.result()
