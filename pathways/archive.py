"""Closed journeys' histories, archived in PostgreSQL before Temporal's retention ends.

`archive_journey` copies every run of one closed journey into `history_archive` (once; an
archived journey is not fetched again); `archive_closed` does it for every closed journey a
visibility query finds, and workers run it every HISTORY_ARCHIVE_SECONDS. `journey_runs` is
what the audit commands read: Temporal's history while it has it, else the archive's.
"""

from __future__ import annotations

import asyncio
import hashlib

import asyncpg
import structlog
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from activities.periodic import DATABASE_FAILURES, every
from domain.refusals import Refusal
from pathways.audit import fetch_runs

CLOSED = "ExecutionStatus != 'Running'"


class ArchiveAltered(Refusal):
    """An archived history no longer matches the digest stored with it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="audit.archive_altered")


log = structlog.get_logger(__name__)


async def archive_journey(client: Client, pool: asyncpg.Pool, workflow_id: str) -> int:
    """Archive every run of a closed journey; the number of runs written (0 if archived)."""
    if await _archived(pool, workflow_id):
        return 0
    description = await client.get_workflow_handle(workflow_id).describe()
    if description.status is WorkflowExecutionStatus.RUNNING:
        return 0
    runs = await fetch_runs(client, workflow_id)
    async with pool.acquire() as conn, conn.transaction():
        for number, run in enumerate(runs, start=1):
            text = run.to_json()
            started = run.events[0].workflow_execution_started_event_attributes
            await conn.execute(
                "INSERT INTO history_archive (workflow_id, run_number, run_id, workflow_type, "
                "history_json, history_sha256) VALUES ($1, $2, $3, $4, $5, $6) "
                "ON CONFLICT DO NOTHING",
                workflow_id,
                number,
                started.original_execution_run_id,
                started.workflow_type.name,
                text,
                hashlib.sha256(text.encode()).digest(),
            )
    return len(runs)


async def archive_closed(client: Client, pool: asyncpg.Pool, query: str = CLOSED) -> int:
    """Archive every closed journey the query finds that is not archived yet."""
    written = 0
    seen: set[str] = set()
    async for execution in client.list_workflows(query):
        if execution.id in seen:
            continue
        seen.add(execution.id)
        written += await archive_journey(client, pool, execution.id)
    return written


async def archived_runs(pool: asyncpg.Pool, workflow_id: str) -> list[WorkflowHistory]:
    """The archived runs of a journey, first to last; a run whose digest no longer matches
    is refused rather than replayed."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT run_number, history_json, history_sha256 FROM history_archive "
            "WHERE workflow_id = $1 ORDER BY run_number",
            workflow_id,
        )
    runs = []
    for row in rows:
        if hashlib.sha256(row["history_json"].encode()).digest() != bytes(row["history_sha256"]):
            raise ArchiveAltered(f"archived run {row['run_number']} of {workflow_id} was altered")
        runs.append(WorkflowHistory.from_json(workflow_id, row["history_json"]))
    return runs


async def journey_runs(
    client: Client, pool: asyncpg.Pool, workflow_id: str
) -> list[WorkflowHistory]:
    """Every run of a journey: from Temporal while it has the history, else from the archive."""
    try:
        return await fetch_runs(client, workflow_id)
    except RPCError as error:
        if error.status is not RPCStatusCode.NOT_FOUND:
            raise
        archived = await archived_runs(pool, workflow_id)
        if not archived:
            raise
        return archived


async def _archived(pool: asyncpg.Pool, workflow_id: str) -> bool:
    async with pool.acquire() as conn:
        found = await conn.fetchval(
            "SELECT 1 FROM history_archive WHERE workflow_id = $1 LIMIT 1", workflow_id
        )
    return found is not None


async def archive_periodically(
    client: Client, pool: asyncpg.Pool, every_seconds: float, stop: asyncio.Event
) -> None:
    """Archive closed journeys every `every_seconds` until `stop` is set; a failed round is
    one log line and the next round tries again."""

    async def round() -> None:
        written = await archive_closed(client, pool)
        if written:
            log.info("histories archived", runs=written)

    failures = (*DATABASE_FAILURES, RPCError)
    await every(
        every_seconds, stop, round, log=log, failed="histories not archived", failures=failures
    )
