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
from domain.external import Employee
from domain.fellowship.journey import FellowshipApplication, FellowshipStatus
from domain.fellowship.journey import Stage as FellowStage
from domain.fellowship.program import SAMPLE_FELLOWSHIP, load_fellowship
from domain.service_commitment.journey import CommitmentStatus, Standing
from domain.service_commitment.start import SERVICE_COMMITMENT
from pathways.journeys import record_separation_everywhere, start_aspiring, start_fellowship
from tests.journey_kit import SCHOOL, running_worker, seed_district
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
