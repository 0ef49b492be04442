"""The demo's catalog part: each leader ends as the demo's story says."""

from __future__ import annotations

import io

import asyncpg
from rich.console import Console
from temporalio.testing import WorkflowEnvironment

from domain.catalog.journey import Stage
from pathways.demo_catalog import run_catalog
from tests.journey_kit import running_worker, seed_district


async def test_the_catalog_demo_tells_what_each_leader_completed(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    # A server of its own: the certified leader's journey runs on for years after the test.
    env, client = own_env, own_env.client
    await seed_district(pool, ["e-1001", "e-1002"])
    out = io.StringIO()
    async with running_worker(client, pool, task_queue):
        finals = await run_catalog(env, client, pool, task_queue, Console(file=out, width=200))
    outcomes = {s.full_name: s.stage for s in finals}
    assert outcomes == {
        "Grace Lin": Stage.COMPLETED,
        "Omar Haddad": Stage.INCOMPLETE,
        "Ruth Mendez": Stage.CERTIFIED,
        "Sam Okoye": Stage.WITHDRAWN,
        "Dana Brooks": Stage.COMPLETED,
        "Luz Garcia": Stage.COMPLETED,
    }
    table = out.getvalue()
    assert "LBUSD Teacher Leader Certificate" in table and "$750.00" in table
    assert "LBUSD Certified Evaluator, until" in table
