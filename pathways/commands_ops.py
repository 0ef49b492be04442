"""`pathways ops`: for operators, what the running journeys are stuck on.

    pathways ops stuck                       # activities that failed 3 or more times
    pathways ops stuck --attempts 10 --json
    pathways ops stuck --query "ProgramYear = '2027-28'"
    pathways ops retry <journey> --by operator:jo  # its district record is fixed: ask again

Temporal retries an activity that failed for a reason retrying can fix (PostgreSQL or a
district system down); everything else fails for good. A journey listed as retrying is waiting
on such a retry, or on a bug to be fixed and deployed: its last error says which. A journey
listed as waiting on a fix met a district record only a correction puts right (a NUL in a
name, a school without a principal): it asks again every hour by itself, and at once on
`ops retry` once the record is corrected (`workflows.district.Fixes`).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from typing import Annotated

import typer
from rich.table import Table
from temporalio.client import Client

from pathways.cli import NoSuchJourney, command_client, console, fail, resolved, run_command
from pathways.config import Settings

ops_app = typer.Typer(help="Operators: what running journeys are stuck on.", no_args_is_help=True)

DESCRIBE_CONCURRENCY = 16
_ERROR_LIMIT = 200


@dataclass(frozen=True)
class StuckActivity:
    """A running journey's activity that keeps failing (`kind` "retrying"), or what a journey
    waiting on a district record's fix last asked (`kind` "waiting_on_fix", with `since`)."""

    workflow_id: str
    workflow_type: str
    activity_type: str
    attempt: int
    error_type: str
    last_error: str
    kind: str = "retrying"
    since: str | None = None


async def waiting_journeys(client: Client, *, query: str | None = None) -> list[StuckActivity]:
    """Running journeys waiting on a district record's fix, read from their `WaitingOn` memo
    (no query to each), the longest waiting first."""
    from domain.external import DataFixNeeded
    from workflows.district import WAITING_ON_MEMO

    running = "ExecutionStatus = 'Running'"
    found = []
    async for w in client.list_workflows(f"({query}) AND {running}" if query else running):
        memo = await w.memo()
        if WAITING_ON_MEMO not in memo:
            continue
        fix = DataFixNeeded.model_validate(memo[WAITING_ON_MEMO])
        found.append(
            StuckActivity(
                workflow_id=w.id,
                workflow_type=w.workflow_type,
                activity_type=fix.asked,
                attempt=fix.attempts,
                error_type=fix.error_type,
                last_error=_short(fix.problem),
                kind="waiting_on_fix",
                since=fix.since.isoformat(),
            )
        )
    return sorted(found, key=lambda s: (s.since or "", s.workflow_id))


async def stuck_activities(
    client: Client, *, min_attempts: int = 3, query: str | None = None
) -> list[StuckActivity]:
    """Pending activities of running workflows on their `min_attempts`-th attempt or later,
    the most attempts first."""
    running = "ExecutionStatus = 'Running'"
    listed = [
        w async for w in client.list_workflows(f"({query}) AND {running}" if query else running)
    ]
    gate = asyncio.Semaphore(DESCRIBE_CONCURRENCY)

    async def pending(workflow_id: str, run_id: str | None) -> list[StuckActivity]:
        async with gate:
            described = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
        found = []
        for info in described.raw_description.pending_activities:
            if info.attempt < min_attempts:
                continue
            failure = info.last_failure
            found.append(
                StuckActivity(
                    workflow_id=workflow_id,
                    workflow_type=described.workflow_type,
                    activity_type=info.activity_type.name,
                    attempt=info.attempt,
                    error_type=failure.application_failure_info.type or failure.source or "",
                    last_error=_short(failure.message),
                )
            )
        return found

    answers = await asyncio.gather(*(pending(w.id, w.run_id) for w in listed))
    stuck = [activity for answer in answers for activity in answer]
    return sorted(stuck, key=lambda s: (-s.attempt, s.workflow_id, s.activity_type))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _ERROR_LIMIT else text[: _ERROR_LIMIT - 1] + "…"


@ops_app.command("stuck")
def stuck(
    attempts: Annotated[
        int, typer.Option("--attempts", min=1, help="list activities on this attempt or later")
    ] = 3,
    query: Annotated[
        str | None, typer.Option(help="a visibility query, e.g. \"ProgramYear = '2027-28'\"")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON list, for machines")] = False,
) -> None:
    """Journeys waiting on a district record's fix, and journeys whose activities keep failing,
    with the last error of each."""

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        fixes = await waiting_journeys(client, query=query)
        found = await stuck_activities(client, min_attempts=attempts, query=query)
        if as_json:
            print(json.dumps([asdict(s) for s in [*fixes, *found]], indent=2))
            return
        if fixes:
            table = Table("journey", "asked", "since", "answers", "what to correct",
                          title="waiting on a district record's fix")  # fmt: skip
            for s in fixes:
                table.add_row(s.workflow_id, s.activity_type, s.since or "", str(s.attempt),
                              s.last_error)  # fmt: skip
            console.print(table)
        else:
            console.print("no running journey waits on a district record's fix")
        if not found:
            console.print(f"no running journey has an activity on attempt {attempts} or later")
            return
        table = Table("journey", "activity", "attempt", "last error", title="retrying")
        for s in found:
            table.add_row(s.workflow_id, s.activity_type, str(s.attempt), s.last_error)
        console.print(table)

    run_command(work)


#: How long `ops retry` waits to see the journey's new answer.
RETRY_PATIENCE_SECONDS = 30.0


@ops_app.command("retry")
def retry(
    journey: Annotated[str, typer.Argument(help="the journey's id, as `ops stuck` lists it")],
    by: Annotated[
        str, typer.Option("--by", help="who fixed it or asks: operator:<id>, office:<id>, hris")
    ],
) -> None:
    """A journey waiting on a district record's fix asks the system again now (once the record
    is corrected); says whether the answer is usable yet."""
    from temporalio.client import WorkflowQueryFailedError
    from temporalio.service import RPCError, RPCStatusCode

    from domain.external import DataFixNeeded, RetryAfterFix

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        handle = client.get_workflow_handle(journey)
        sent = await resolved(settings, RetryAfterFix(requested_by=by), "requested_by")
        try:
            before = await handle.execute_update("retry_after_fix", sent, result_type=DataFixNeeded)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise NoSuchJourney(f"there is no running journey {journey}") from None
            raise
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETRY_PATIENCE_SECONDS
        while loop.time() < deadline:
            try:
                now = await handle.query("waiting_on", result_type=DataFixNeeded | None)  # type: ignore[arg-type]
            except (RPCError, WorkflowQueryFailedError):  # it ended meanwhile
                break
            if now is None:
                console.print(f"{journey}: {before.record} is usable now; the journey goes on")
                return
            if (now.record, now.since) != (before.record, before.since):
                console.print(
                    f"{journey}: {before.record} is usable now; the journey goes on and now "
                    f"waits on {now.record}: {now.problem}",
                    highlight=False,
                )
                return
            if now.attempts > before.attempts:
                fail(f"{journey} still waits: {now.problem}")
            await asyncio.sleep(0.5)
        console.print(f"{journey}: asked again; no answer yet (see `pathways ops stuck`)")

    run_command(work)
