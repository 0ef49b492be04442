"""Service commitments over years, on the time-skipping server (years pass in seconds)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import NamedTuple

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.eventstore import EventStore
from activities.local_systems import LocalHris
from domain.external import Employee
from domain.service_commitment.journey import CommitmentStatus, HrChange, HrEvent, Standing, Waive
from domain.service_commitment.journey import fold as fold_commitment
from domain.service_commitment.rules import Crediting, RepaymentForm, ServiceRules, add_months
from pathways.refusals import refusal_of
from tests.journey_kit import (
    OTHER_SCHOOL,
    SCHOOL,
    accepted_update,
    advance_to,
    asked_after,
    keep_history,
    local_today,
    noon,
    running_worker,
    seed_district,
    waiting_on_fix,
)
from workflows import search
from workflows.service_commitment import ServiceCommitment, ServiceCommitmentInput, commitment_id

FELLOW = "f-2001"


ASSISTANCE = 4_000_000


def pro_rata(**changes: object) -> ServiceRules:
    base = {
        "obligation_years": 4,
        "qualifying_roles": ["teacher", "assistant_principal", "principal"],
        "qualifying_schools": [SCHOOL, OTHER_SCHOOL],
        "completion_window_years": 6,
        "crediting": Crediting.PRO_RATA_MONTHS,
        "repayment": RepaymentForm.PRO_RATA,
    }
    return ServiceRules.model_validate({**base, **changes})


async def seed_fellow(pool: asyncpg.Pool) -> None:
    await seed_district(pool, [])
    await LocalHris(pool).upsert_employee(
        Employee(
            employee_id=FELLOW,
            full_name="Tarik Smith",
            email="f-2001@district.example",
            role="assistant_principal",
            school_id=SCHOOL,
        )
    )


Handle = WorkflowHandle[ServiceCommitment, CommitmentStatus]


async def begin(
    client: Client, env: WorkflowEnvironment, task_queue: str, rules: ServiceRules
) -> Journey:
    graduated = await local_today(env)
    inp = ServiceCommitmentInput(
        program="plf-test",
        fellow_id=FELLOW,
        graduated_on=graduated,
        assistance_cents=ASSISTANCE,
        rules=rules,
        program_office_email="plf@district.example",
    )
    workflow_id = commitment_id(f"plf-{task_queue[-8:]}", FELLOW)
    handle = await client.start_workflow(
        ServiceCommitment.run, inp, id=workflow_id, task_queue=task_queue
    )
    # The started run's handle follows the chain of runs to the result; a handle without a run
    # id reaches whichever run is current, for updates and queries.
    current = client.get_workflow_handle_for(ServiceCommitment.run, workflow_id)
    return Journey(handle, current, graduated)


class Journey(NamedTuple):
    started: Handle
    current: Handle
    graduated: date


async def hr(
    handle: WorkflowHandle[ServiceCommitment, CommitmentStatus],
    change: HrChange,
    on: date,
    **kw: str,
) -> CommitmentStatus:
    return await handle.execute_update(
        ServiceCommitment.hr_event, HrEvent(change=change, effective_on=on, **kw)
    )


async def payroll(pool: asyncpg.Pool) -> list[tuple[str, int]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT kind, amount_cents FROM payroll_requests ORDER BY id")
    return [(r["kind"], r["amount_cents"]) for r in rows]


async def test_four_years_served_completes_with_nothing_owed(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellow(pool)
    async with running_worker(client, pool, task_queue):
        started, handle, _graduated = await begin(client, env, task_queue, pro_rata())
        final = await started.result()
        await keep_history(handle, "service_commitment_completed_with_stage")
    assert final.standing is Standing.COMPLETED
    assert (final.served_months, final.owed_cents) == (48, 0)
    assert await payroll(pool) == []
    stored = await EventStore(pool).read_stream(handle.id)
    verifications = [e for e in stored if e.event_type == "service_commitment.ServiceVerified"]
    assert len(verifications) >= 3  # one each anniversary before completion
    assert (await EventStore(pool).verify_stream(handle.id)).ok
    assert (
        fold_commitment([e.to_domain() for e in stored], pro_rata()).standing is Standing.COMPLETED
    )


async def test_separation_after_two_and_a_half_years_repays_pro_rata_once(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellow(pool)
    async with running_worker(client, pool, task_queue):
        started, handle, graduated = await begin(client, env, task_queue, pro_rata())
        left = add_months(graduated, 30)
        await advance_to(env, noon(left))
        answer = await hr(handle, HrChange.SEPARATION, left, reason="took a job out of state")
        # Answered with what the separation settled: the breach and what is owed.
        assert (answer.standing, answer.owed_cents) == (Standing.BREACHED, 1_500_000)
        # HR sends the same separation again: accepted, and nothing new happens.
        await hr(handle, HrChange.SEPARATION, left, reason="took a job out of state")
        final = await started.result()
        await keep_history(handle, "service_commitment_breached_with_stage")
        await keep_history(handle, "service_commitment_separation_answered_as_settled")
    assert final.standing is Standing.BREACHED
    assert final.repayment is not None
    assert (final.repayment.credited_months, final.repayment.owed_cents) == (30, 1_500_000)
    assert await payroll(pool) == [("repayment", 1_500_000)]
    # The history was continued as new on each anniversary, and the state survived it.
    description = await handle.describe()
    assert description.run_id != description.raw_description.workflow_execution_info.first_run_id
    # The commitment's standing is its JourneyStage, so `list --stage breached` finds it.
    assert description.typed_search_attributes.get(search.JOURNEY_STAGE) == "breached"


async def test_a_leave_pauses_the_clock_and_the_deadline(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellow(pool)
    async with running_worker(client, pool, task_queue):
        started, handle, graduated = await begin(client, env, task_queue, pro_rata())
        start, end = add_months(graduated, 6), add_months(graduated, 18)
        await advance_to(env, noon(start))
        await hr(handle, HrChange.LEAVE_START, start, reason="full_time_study")
        await advance_to(env, noon(end))
        during = await handle.query(ServiceCommitment.status)
        assert during.served_months == 6 and during.on_leave
        after = await hr(handle, HrChange.LEAVE_END, end)
        assert after.paused_days == (end - start).days
        assert after.deadline == add_months(graduated, 72) + (end - start)
        await hr(handle, HrChange.SEPARATION, end, reason="resigned")
        final = await started.result()
    assert final.repayment is not None and final.repayment.served_months == 6


async def test_a_non_qualifying_school_stops_crediting_until_a_qualifying_one(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellow(pool)
    async with running_worker(client, pool, task_queue):
        started, handle, graduated = await begin(client, env, task_queue, pro_rata())
        away, back = add_months(graduated, 3), add_months(graduated, 9)
        await advance_to(env, noon(away))
        moved = await hr(handle, HrChange.SCHOOL_TRANSFER, away, school_id="private-academy")
        assert not moved.qualifying_now
        await advance_to(env, noon(back))
        returned = await hr(handle, HrChange.SCHOOL_TRANSFER, back, school_id=OTHER_SCHOOL)
        assert returned.qualifying_now and returned.served_months == 3
        left = add_months(back, 2)
        await advance_to(env, noon(left))
        await hr(handle, HrChange.SEPARATION, left, reason="resigned")
        final = await started.result()
    assert final.repayment is not None
    assert final.repayment.served_months == 5  # 3 months before the move, 2 after returning


async def test_a_waiver_cancels_the_repayment(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellow(pool)
    async with running_worker(client, pool, task_queue):
        started, handle, graduated = await begin(client, env, task_queue, pro_rata())
        left = add_months(graduated, 10)
        await advance_to(env, noon(left))
        breached = await hr(handle, HrChange.SEPARATION, left, reason="serious illness")
        assert breached.separated_on == left
        with pytest.raises(WorkflowUpdateFailedError, match="update failed") as too_much:
            await handle.execute_update(
                ServiceCommitment.waive,
                Waive(decided_by="director:lee", reason="x", amount_cents=10**9),
            )
        refusal = refusal_of(too_much.value)  # before or after the repayment is determined
        assert refusal is not None
        assert refusal.code in {"waiver.no_repayment", "waiver.exceeds_owed"}
        status = await handle.query(ServiceCommitment.status)
        while status.repayment is None:  # the repayment is determined right after the breach
            await asyncio.sleep(0.05)
            status = await handle.query(ServiceCommitment.status)
        waived = await handle.execute_update(
            ServiceCommitment.waive,
            Waive(decided_by="director:lee", reason="medical hardship, approved by the board"),
        )
        assert waived.owed_cents == 0
        final = await started.result()
        await keep_history(handle, "service_commitment_waived")
    assert final.waivers == ["medical hardship, approved by the board"]
    assert await payroll(pool) == []


async def test_status_answers_what_leaving_today_would_cost(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellow(pool)
    async with running_worker(client, pool, task_queue):
        started, handle, graduated = await begin(client, env, task_queue, pro_rata())
        await advance_to(env, noon(add_months(graduated, 12) + timedelta(days=2)))
        now = await handle.query(ServiceCommitment.status)
        assert (now.served_months, now.remaining_months) == (12, 36)
        assert now.owed_if_left_today_cents == 3_000_000
        assert now.deadline == add_months(graduated, 72)
        await hr(handle, HrChange.SEPARATION, add_months(graduated, 12) + timedelta(days=2))
        await started.result()


async def test_a_separation_while_an_anniversary_check_waits_on_hr_settles_the_commitment(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_fellow(pool)
    async with running_worker(client, pool, task_queue):
        started, handle, graduated = await begin(client, env, task_queue, pro_rata())
        for _ in range(200):
            if (await handle.query(ServiceCommitment.status)).standing is Standing.SERVING:
                break
            await asyncio.sleep(0.05)
        # HR drops the fellow's record before the first anniversary's check asks for it.
        await pool.execute("DELETE FROM hris_employees WHERE employee_id = $1", FELLOW)
        anniversary = add_months(graduated, 12)
        await advance_to(env, noon(anniversary + timedelta(days=1)))
        assert (await waiting_on_fix(handle)).error_type == "EmployeeNotFound"
        run_id = (await handle.describe()).run_id
        await hr(handle, HrChange.SEPARATION, anniversary, reason="left the district")
        final = await asyncio.wait_for(started.result(), timeout=60)
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
    assert final.standing is Standing.BREACHED
    assert final.repayment is not None and final.repayment.credited_months == 12
    assert await payroll(pool) == [("repayment", final.repayment.owed_cents)]
    assert asked_after(history, "hris_employee") >= 2  # the start's look-up and the check's
    # Not asked again once HR reported the separation.
    assert asked_after(history, "hris_employee", accepted_update(history, "hr_event")) == 0
