"""Seats and a waitlist for a catalog program, on a time-skipping server of its own (the
program's seats outlive a test's journeys)."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import asyncpg
from temporalio.testing import WorkflowEnvironment

from domain.calendar import local_moment
from domain.catalog import journey as pj
from domain.catalog.journey import Stage
from tests.journey_kit import advance_to, keep_history, running_worker, seed_district
from tests.test_program_journey import TZ, enroll, program_near, stage_of
from workflows.program import ProgramJourney


async def test_one_seat_a_waitlist_a_seat_given_back_and_one_never_seated(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    client, task_queue = own_env.client, f"seats-{uuid.uuid4()}"
    await seed_district(pool, [])
    sample = await program_near(own_env, "instructional_leadership_training.toml")
    closes = sample.starts + timedelta(days=20)
    d = sample.model_copy(
        update={"seats": 1, "key": f"ilt-{task_queue[-8:]}", "enrollment_closes": closes}
    )
    async with running_worker(client, pool, task_queue, cache=False):
        first = await enroll(client, pool, d, task_queue, "vp-1", "vice_principal")
        assert (await stage_of(first, Stage.ACTIVE)).stage is Stage.ACTIVE
        second = await enroll(client, pool, d, task_queue, "vp-2", "vice_principal")
        await stage_of(second, Stage.WAITLISTED)
        third = await enroll(client, pool, d, task_queue, "vp-3", "assistant_principal")
        await stage_of(third, Stage.WAITLISTED)
        await first.execute_update(
            ProgramJourney.withdraw,
            pj.WithdrawFromProgram(
                reason="moved to the district office", withdrawn_by="office:ana"
            ),
        )
        offered = await stage_of(second, Stage.ACTIVE)
        assert offered.stage is Stage.ACTIVE
        await advance_to(own_env, local_moment(closes + timedelta(days=1), time(9), TZ))
        never = await stage_of(third, Stage.NOT_SEATED)
        assert (await second.query(ProgramJourney.status)).stage is Stage.ACTIVE
        await keep_history(first, "program_seats_gave_seat_back")
        await keep_history(third, "program_seats_never_seated")
    assert never.stage is Stage.NOT_SEATED
