"""HR reports a separation once; every open journey of the employee hears it in its terms.

On the dev server: finding an employee's journeys needs visibility, which the time-skipping
server lacks.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import asyncpg
from temporalio.testing import WorkflowEnvironment

from activities.enrollment import start_journey
from activities.local_systems import LocalHris
from domain.aspiring_principals.journey import AspiringNomination, AspiringStatus
from domain.aspiring_principals.journey import Stage as AspiringStage
from domain.aspiring_principals.program import SAMPLE_ASPIRING, load_aspiring_year
from domain.calendar import local_date
from domain.external import DataFixNeeded, Employee, RetryAfterFix
from domain.fellowship.journey import FellowshipApplication, FellowshipStatus
from domain.fellowship.journey import Stage as FellowStage
from domain.fellowship.program import SAMPLE_FELLOWSHIP, load_fellowship
from domain.service_commitment.journey import CommitmentStatus, HrChange, HrEvent, Standing
from domain.service_commitment.rules import add_months
from domain.service_commitment.start import SERVICE_COMMITMENT
from pathways.journeys import record_separation_everywhere, start_aspiring, start_fellowship
from tests.journey_kit import (
    OTHER_SCHOOL,
    SCHOOL,
    asked_after,
    keep_history,
    running_worker,
    seed_district,
    waiting_on_fix,
)
from workflows.service_commitment import ServiceCommitment, ServiceCommitmentInput


async def test_one_separation_reaches_the_fellowship_the_aspiring_year_and_the_commitment(
    pool: asyncpg.Pool, dev_env: WorkflowEnvironment
) -> None:
    client = dev_env.client
    await seed_district(pool, [])
    await LocalHris(pool).upsert_employee(
        Employee(
            employee_id="e-77",
            full_name="Jo Rivera",
            email="e-77@district.example",
            role="teacher",
            school_id=SCHOOL,
        )
    )
    now = await dev_env.get_current_time()
    sample = load_fellowship(SAMPLE_FELLOWSHIP)
    fellowship = sample.shifted(
        ((now + timedelta(days=20)).date() - sample.selection_closes_at.date()).days,
        program_id="plf-sep",
    )
    year = load_aspiring_year(SAMPLE_ASPIRING)
    year = year.shifted(((now + timedelta(days=10)).date() - year.summer_institute[0].on).days)
    queue = "separation"
    async with running_worker(client, pool, queue):
        hris = LocalHris(pool)
        fellow, _ = await start_fellowship(
            client, hris, fellowship, FellowshipApplication(employee_id="e-77"), queue, now=now
        )
        aspiring, _ = await start_aspiring(
            client,
            hris,
            year,
            AspiringNomination(employee_id="e-77", tier1_credential_on=date(2025, 6, 1)),
            queue,
            now=now,
        )
        started = await start_journey(
            client,
            hris,
            SERVICE_COMMITMENT,
            ServiceCommitmentInput(
                program="plf-2022",
                fellow_id="e-77",
                graduated_on=now.date() - timedelta(days=400),
                assistance_cents=3_000_000,
                rules=sample.service,
                program_office_email="plf@district.example",
            ),
            queue,
        )
        commitment = client.get_workflow_handle_for(ServiceCommitment.run, started.workflow_id)
        for _ in range(300):  # visibility sees new workflows a moment later
            # The same query the fan-out asks, so it is the one that must list all three.
            found = await client.count_workflows(
                "EmployeeId = 'e-77' AND ExecutionStatus = 'Running'"
            )
            started = (await commitment.query(ServiceCommitment.status)).fellow_id
            # Graduated over a year ago, the commitment verifies its first anniversary and
            # continues as new at once; a fan-out during that hand-over may not list it.
            run = await commitment.describe()
            continued = run.run_id != run.raw_description.workflow_execution_info.first_run_id
            if found.count == 3 and started and continued:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the three journeys were not all listed and running: {found}")
        left_on = local_date(now, sample.time_zone)
        told = await record_separation_everywhere(
            client, hris, "e-77", left_on, "moved out of state", task_queue=queue
        )
        assert [t.refused for t in told] == [None, None, None]
        assert sorted(t.workflow_type for t in told) == [
            "AspiringPrincipalJourney",
            "FellowshipJourney",
            "ServiceCommitment",
        ]
        left: FellowshipStatus = await fellow.result()
        withdrawn: AspiringStatus = await aspiring.result()
        breached = await commitment.query(ServiceCommitment.status)
        await commitment.terminate("test over")
    assert (left.stage, left.end_reason) == (FellowStage.LEFT, "moved out of state")
    assert withdrawn.stage is AspiringStage.WITHDRAWN
    assert isinstance(breached, CommitmentStatus)
    assert breached.standing is Standing.BREACHED


async def test_a_separation_sent_while_the_commitment_waits_on_the_fellows_record_is_kept(
    pool: asyncpg.Pool, dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    """The commitment's start reads the fellow's HR record; while that record waits on HR's
    fix, the career's separation is taken and held (not refused and lost), then applied once
    the record is fixed: the commitment is breached on the day HR said, with what is owed."""
    client = dev_env.client
    hris = LocalHris(pool)
    await seed_district(pool, [])
    fellow = Employee(
        employee_id="e-78", full_name="Ana Cruz", email="e-78@district.example",
        role="assistant_principal", school_id=SCHOOL,
    )  # fmt: skip
    await hris.upsert_employee(fellow)
    now = await dev_env.get_current_time()
    sample = load_fellowship(SAMPLE_FELLOWSHIP)
    today = local_date(now, sample.time_zone)
    started = await start_journey(
        client, hris, SERVICE_COMMITMENT,
        ServiceCommitmentInput(
            program="plf-held", fellow_id="e-78", graduated_on=today - timedelta(days=60),
            assistance_cents=3_000_000, rules=sample.service,
            program_office_email="plf@district.example",
        ),
        task_queue,
    )  # fmt: skip
    # HR drops the record between the start's check and the commitment's own look-up.
    await pool.execute("DELETE FROM hris_employees WHERE employee_id = 'e-78'")
    commitment = client.get_workflow_handle_for(ServiceCommitment.run, started.workflow_id)
    async with running_worker(client, pool, task_queue):
        assert (await waiting_on_fix(commitment)).error_type == "EmployeeNotFound"
        # HR moved the fellow a month ago, then she left; both come while the record waits.
        moved_on = today - timedelta(days=30)
        transfer = HrEvent(change=HrChange.SCHOOL_TRANSFER, effective_on=moved_on,
                           school_id=OTHER_SCHOOL)  # fmt: skip
        await commitment.execute_update(ServiceCommitment.hr_event, transfer)
        told = await record_separation_everywhere(
            client, hris, "e-78", today, "moved out of state", task_queue=task_queue
        )
        assert [(t.workflow_type, t.refused) for t in told] == [("ServiceCommitment", None)]
        held = await commitment.query(ServiceCommitment.status)
        assert (held.fellow_id, held.held_hr_changes, held.separated_on) == ("e-78", 2, today)
        assert held.starting and not held.ended
        assert held.deadline == add_months(today - timedelta(days=60), 12 * 6)

        # HR's restored record shows the school she moved to, not the one she graduated into.
        await hris.upsert_employee(fellow.model_copy(update={"school_id": OTHER_SCHOOL}))
        answer = await commitment.execute_update(
            "retry_after_fix", RetryAfterFix(requested_by="hris"), result_type=DataFixNeeded
        )
        assert answer.error_type == "EmployeeNotFound"  # what it waited on, now asked again
        for _ in range(300):
            status = await commitment.query(ServiceCommitment.status)
            if status.repayment is not None:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the held separation was not applied: {status}")
        await keep_history(commitment, "service_commitment_held_hr_changes_while_starting")
        await commitment.terminate("test over")
    assert (status.standing, status.separated_on, status.held_hr_changes) == (
        Standing.BREACHED, today, 0,
    )  # fmt: skip
    assert status.repayment.credited_months <= 2 and status.owed_cents > 0
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT event_type, metadata->>'causation_id' AS cause FROM events"
            " WHERE stream_id = $1 ORDER BY stream_version",
            started.workflow_id,
        )
    types = [r["event_type"].split(".")[-1] for r in rows]
    # The transfer changed nothing (HR's record had it); the separation is recorded once.
    assert types[:2] == ["CommitmentStarted", "SeparationRecorded"], types
    assert types.count("SeparationRecorded") == 1
    # Recorded as caused by the career's tell, the update HR's event arrived in.
    assert rows[1]["cause"].startswith("career:")
    # The office is told that the school before the transfer is not known.
    [review] = await pool.fetch(
        "SELECT recipient, body FROM email_outbox WHERE idempotency_key LIKE '%held-changes%'"
    )
    assert review["recipient"] == "plf@district.example"
    assert f"school transfer effective {moved_on}" in review["body"]
    assert f"gave the school {OTHER_SCHOOL}" in review["body"]


async def test_a_fellowship_and_an_aspiring_year_left_while_hr_fixes_the_record_end(
    pool: asyncpg.Pool, dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    """Both journeys wait on HR's fix of the person's record before they have identified them;
    HR's separation ends each at once (left, withdrawn) instead of leaving it asking HR."""
    client = dev_env.client
    hris = LocalHris(pool)
    await seed_district(pool, [])
    await hris.upsert_employee(
        Employee(employee_id="e-79", full_name="Lu Park", email="e-79@district.example",
                 role="teacher", school_id=SCHOOL)
    )  # fmt: skip
    now = await dev_env.get_current_time()
    sample = load_fellowship(SAMPLE_FELLOWSHIP)
    fellowship = sample.shifted(
        ((now + timedelta(days=20)).date() - sample.selection_closes_at.date()).days,
        program_id="plf-fix",
    )
    year = load_aspiring_year(SAMPLE_ASPIRING)
    year = year.shifted(((now + timedelta(days=10)).date() - year.summer_institute[0].on).days)
    fellow, _ = await start_fellowship(
        client, hris, fellowship, FellowshipApplication(employee_id="e-79"), task_queue, now=now
    )
    nominee = AspiringNomination(employee_id="e-79", tier1_credential_on=date(2025, 6, 1))
    aspiring, _ = await start_aspiring(client, hris, year, nominee, task_queue, now=now)
    # HR drops the record before either journey's own look-up.
    await pool.execute("DELETE FROM hris_employees WHERE employee_id = 'e-79'")
    async with running_worker(client, pool, task_queue):
        for handle in (fellow, aspiring):
            assert (await waiting_on_fix(handle)).error_type == "EmployeeNotFound"
        told = await record_separation_everywhere(
            client, hris, "e-79", local_date(now, sample.time_zone), "moved", task_queue=task_queue
        )
        assert sorted((t.workflow_type, t.refused) for t in told) == [
            ("AspiringPrincipalJourney", None), ("FellowshipJourney", None),
        ]  # fmt: skip
        left: FellowshipStatus = await asyncio.wait_for(fellow.result(), timeout=60)
        withdrawn: AspiringStatus = await asyncio.wait_for(aspiring.result(), timeout=60)
        histories = [await fellow.fetch_history(), await aspiring.fetch_history()]
    assert (left.stage, left.end_reason) == (FellowStage.LEFT, "moved")
    assert withdrawn.stage is AspiringStage.WITHDRAWN
    for history in histories:
        assert asked_after(history, "hris_employee") == 1  # asked once, not again after leaving
        assert asked_after(history, "send_email") == 0  # never identified: nobody to e-mail
