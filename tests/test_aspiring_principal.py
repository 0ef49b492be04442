"""LBUSD aspiring principals over a school year on the time-skipping server."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.eventstore import EventStore
from activities.local_systems import LocalHris
from domain.aspiring_principals.journey import (
    AspiringNomination,
    AspiringStatus,
    LogShadow,
    OfferShadowing,
    RecordCoaching,
    RecordInstituteDay,
    RecordVpTraining,
    Stage,
)
from domain.aspiring_principals.journey import fold as fold_aspiring
from domain.aspiring_principals.program import (
    SAMPLE_ASPIRING,
    AspiringPrincipalsYear,
    load_aspiring_year,
)
from domain.external import Employee
from domain.teacher_leader.events import AttendanceStatus
from pathways.refusals import refusal_of
from tests.journey_kit import (
    PRINCIPAL,
    SCHOOL,
    advance_to,
    keep_history,
    running_worker,
    seed_district,
)
from workflows.aspiring_principal import AspiringInput, AspiringPrincipalJourney, aspiring_id

Handle = WorkflowHandle[AspiringPrincipalJourney, AspiringStatus]
PRESENT = AttendanceStatus.PRESENT


async def year_near(env: WorkflowEnvironment) -> AspiringPrincipalsYear:
    """The sample year moved so that the Summer Institute starts 5 days from the server's now."""
    sample = load_aspiring_year(SAMPLE_ASPIRING)
    now = await env.get_current_time()
    return sample.shifted(((now + timedelta(days=5)).date() - sample.summer_institute[0].on).days)


def evening(year: AspiringPrincipalsYear, on: date) -> datetime:
    return datetime.combine(on, time(18), year.closes_at.tzinfo)


async def nominate(
    client: Client,
    year: AspiringPrincipalsYear,
    task_queue: str,
    who: str,
    role: str,
    pool: asyncpg.Pool,
) -> Handle:
    await LocalHris(pool).upsert_employee(
        Employee(
            employee_id=who,
            full_name=f"Leader {who}",
            email=f"{who}@lbusd.example",
            role=role,
            school_id=SCHOOL,
        )
    )
    return await client.start_workflow(
        AspiringPrincipalJourney.run,
        AspiringInput(
            year=year,
            nomination=AspiringNomination(employee_id=who, tier1_credential_on=date(2026, 6, 1)),
        ),
        id=aspiring_id(f"{year.program_year}-{task_queue[-8:]}", who),
        task_queue=task_queue,
    )


async def test_a_vice_principal_completes_institute_shadowing_training_and_coaching(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    await seed_district(pool, [])
    year = await year_near(env)
    async with running_worker(client, pool, task_queue):
        vp = await nominate(client, year, task_queue, "vp-1", "vice_principal", pool)
        teacher = await nominate(client, year, task_queue, "t-1", "teacher", pool)
        principal = await nominate(client, year, task_queue, "p-1", "principal", pool)
        # A query, not the result: waiting on a result lets the time-skipping clock run on.
        for _ in range(200):
            if (await principal.query(AspiringPrincipalJourney.status)).stage is Stage.INELIGIBLE:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the principal was not found ineligible")

        await advance_to(env, evening(year, year.summer_institute[-1].on))
        for day in year.summer_institute:
            await vp.execute_update(
                AspiringPrincipalJourney.record_institute_day,
                RecordInstituteDay(
                    session_id=day.session_id, status=PRESENT, recorded_by="office:kim"
                ),
            )
        await teacher.execute_update(
            AspiringPrincipalJourney.record_institute_day,
            RecordInstituteDay(
                session_id=year.summer_institute[0].session_id,
                status=PRESENT,
                recorded_by="office:kim",
            ),
        )
        with pytest.raises(WorkflowUpdateFailedError) as not_a_principal:
            await vp.execute_update(
                AspiringPrincipalJourney.offer_shadowing,
                OfferShadowing(mentor_id="t-1", offered_by="office:kim"),
            )
        assert "the mentor must be a serving principal" in str(not_a_principal.value.cause)
        # Refused by the handler (after asking HR), with its code all the same.
        refusal = refusal_of(not_a_principal.value)
        assert refusal is not None and refusal.code == "shadowing.mentor_not_principal"
        placed = await vp.execute_update(
            AspiringPrincipalJourney.offer_shadowing,
            OfferShadowing(mentor_id=PRINCIPAL, offered_by="office:kim"),
        )
        assert placed.mentor == f"Principal {PRINCIPAL}"
        await teacher.execute_update(
            AspiringPrincipalJourney.offer_shadowing,
            OfferShadowing(mentor_id=PRINCIPAL, offered_by="office:kim"),
        )

        start = year.school_year_starts
        await advance_to(env, evening(year, start + timedelta(days=7 * 12)))
        for week in range(10):
            await vp.execute_update(
                AspiringPrincipalJourney.log_shadow,
                LogShadow(
                    on=start + timedelta(days=7 * week),
                    hours=Decimal("4.5"),
                    focus="master schedule",
                    logged_by="vp-1",
                ),
            )
        await teacher.execute_update(
            AspiringPrincipalJourney.log_shadow,
            LogShadow(on=start, hours=Decimal(6), focus="IEP meetings", logged_by="t-1"),
        )
        with pytest.raises(WorkflowUpdateFailedError) as twice:
            await teacher.execute_update(
                AspiringPrincipalJourney.log_shadow,
                LogShadow(on=start, hours=Decimal(2), focus="again", logged_by="t-1"),
            )
        assert "already logged; one entry per day" in str(twice.value.cause)
        assert getattr(refusal_of(twice.value), "code", None) == "shadowing.already_logged"
        with pytest.raises(WorkflowUpdateFailedError) as not_vp:
            await teacher.execute_update(
                AspiringPrincipalJourney.record_coaching,
                RecordCoaching(on=start, coach="coach:coach-1", focus="feedback"),
            )
        assert "coaching in role is for vice_principal, assistant_principal" in str(
            not_vp.value.cause
        )
        for n in range(4):
            await vp.execute_update(
                AspiringPrincipalJourney.record_coaching,
                RecordCoaching(
                    on=start + timedelta(days=14 * n + 1),
                    coach="coach:coach-1",
                    focus="evaluation cycle",
                ),
            )
        await advance_to(env, evening(year, year.vp_training[-1].on))
        for session in year.vp_training:
            await vp.execute_update(
                AspiringPrincipalJourney.record_vp_training,
                RecordVpTraining(
                    session_id=session.session_id, status=PRESENT, recorded_by="office:kim"
                ),
            )
        await advance_to(env, year.closes_at + timedelta(hours=1))
        done = await vp.result()
        await keep_history(vp, "aspiring_principal_completed")
        short = await teacher.result()

    assert done.stage is Stage.COMPLETED and done.missing == []
    assert f"shadowing Principal {PRINCIPAL}: 10 log entries, 45.0 hours" in done.completed
    assert short.stage is Stage.INCOMPLETE
    assert short.missing == [
        "Summer Institute: not present at " + "; ".join(s.title for s in year.summer_institute[1:]),
        f"shadowing Principal {PRINCIPAL}: 1 log entries, 6 hours (needs 10 entries and 40 hours)",
    ]
    stored = await EventStore(pool).read_stream(vp.id)
    assert fold_aspiring([e.to_domain() for e in stored]).stage is Stage.COMPLETED
    async with pool.acquire() as conn:
        mentor_mail = await conn.fetchval(
            "SELECT count(*) FROM email_outbox WHERE recipient = $1",
            f"{PRINCIPAL}@district.example",
        )
    assert mentor_mail == 2  # one thank-you per mentee
