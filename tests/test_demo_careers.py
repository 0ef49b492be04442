"""The demo's district over four years: HR's feed reaches every career and the rules act once."""

from __future__ import annotations

import io
from collections import Counter

import asyncpg
from rich.console import Console
from temporalio.testing import WorkflowEnvironment

from activities.eventstore import EventStore
from pathways.career_reports import career_states, rule_log
from pathways.demo_careers import run_careers
from tests.journey_kit import running_worker


async def test_four_years_of_hr_move_people_into_pathways_once(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    # A server of its own: Induction and the certifications run on for years after the test.
    env, client = own_env, own_env.client
    out = io.StringIO()
    async with running_worker(client, pool, task_queue):
        await run_careers(env, client, pool, task_queue, Console(file=out, width=200))
        store = EventStore(pool)
        states = await career_states(store)
        lines = await rule_log(store)
    outcomes = Counter((line.rule_id, line.outcome) for line in lines)
    assert outcomes[("new-administrator-induction", "started")] > 0
    assert outcomes[("administrator-evaluation-certification", "due")] > 0
    assert outcomes[("tier1-aspiring-principal", "offered")] > 0
    assert not [line for line in lines if line.outcome in ("failed", "refused")], lines
    # The first district is HR's baseline: no rule read its serving principals as new ones.
    assert len(states) == 356 and sum(1 for s in states.values() if s.employed is False) == 40
    for s in states.values():
        inductions = [j for j in s.journeys if j.startswith("program/induction/")]
        assert len(inductions) <= 1, (s.employee_id, inductions)
    report = out.getvalue()
    assert "flows between roles and pathways" in report and "teacher" in report
