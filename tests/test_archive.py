"""A closed journey's history is archived in PostgreSQL, and the audit tools read it there once
Temporal no longer has it."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from pathways.archive import (
    ArchiveAltered,
    archive_journey,
    archived_runs,
    journey_runs,
)
from pathways.audit import fetch_runs, replay_many
from tests.test_audit import withdrawn_journey


async def test_a_closed_journey_is_archived_once_and_read_back_when_temporal_forgot_it(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    workflow_id = await withdrawn_journey(client, env, pool, task_queue, "t-51")
    runs = await fetch_runs(client, workflow_id)
    assert await archive_journey(client, pool, workflow_id) == len(runs) == 1
    assert await archive_journey(client, pool, workflow_id) == 0  # already archived
    archived = await archived_runs(pool, workflow_id)
    # (compared as messages: the JSON of a protobuf map has no fixed key order)
    assert [list(r.events) for r in archived] == [list(r.events) for r in runs]

    # Temporal's retention has removed it: the archive answers under the journey's id.
    gone = "teacher-leader/1999-00/peer_coach/t-51"
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO history_archive SELECT $2, run_number, run_id, workflow_type, "
            "history_json, history_sha256, archived_at FROM history_archive "
            "WHERE workflow_id = $1",
            workflow_id,
            gone,
        )
    with pytest.raises(RPCError):
        await fetch_runs(client, gone)
    from_archive = await journey_runs(client, pool, gone)
    assert [list(r.events) for r in from_archive] == [list(r.events) for r in runs]
    (verdict,) = await replay_many(from_archive)
    assert verdict.deterministic, verdict

    # A journey that neither Temporal nor the archive knows is still Temporal's "not found".
    with pytest.raises(RPCError):
        await journey_runs(client, pool, "teacher-leader/1999-00/peer_coach/nobody")

    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE history_archive DISABLE TRIGGER USER")
        await conn.execute(
            "UPDATE history_archive SET history_json = history_json || ' ' WHERE workflow_id = $1",
            gone,
        )
    with pytest.raises(ArchiveAltered, match=r"archived run 1 of .* was altered"):
        await archived_runs(pool, gone)
