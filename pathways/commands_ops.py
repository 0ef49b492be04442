"""`pathways ops`: for operators, what the running journeys are stuck on.

    pathways ops stuck                       # activities that failed 3 or more times
    pathways ops stuck --attempts 10 --json
    pathways ops stuck --query "ProgramYear = '2027-28'"

Temporal retries an activity that failed for a reason retrying can fix (PostgreSQL or a
district system down); everything else fails for good. A journey listed here is waiting on
such a retry, or on a bug to be fixed and deployed: its last error says which.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict, dataclass
from typing import Annotated

import typer
from rich.table import Table
from temporalio.client import Client

from pathways.cli import command_client, console, run_command
from pathways.config import Settings

ops_app = typer.Typer(help="Operators: what running journeys are stuck on.", no_args_is_help=True)

DESCRIBE_CONCURRENCY = 16
_ERROR_LIMIT = 200


@dataclass(frozen=True)
class StuckActivity:
    workflow_id: str
    workflow_type: str
    activity_type: str
    attempt: int
    error_type: str
    last_error: str


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
    """Journeys whose activities keep failing, with the last error of each."""

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        found = await stuck_activities(client, min_attempts=attempts, query=query)
        if as_json:
            print(json.dumps([asdict(s) for s in found], indent=2))
            return
        if not found:
            console.print(f"no running journey has an activity on attempt {attempts} or later")
            return
        table = Table("journey", "activity", "attempt", "last error")
        for s in found:
            table.add_row(s.workflow_id, s.activity_type, str(s.attempt), s.last_error)
        console.print(table)

    run_command(work)
