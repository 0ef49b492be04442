"""`pathways privacy`: a person's records, for the person or an inspector."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from domain.access import Read
from pathways.cli import (
    command_client,
    command_database,
    command_hris,
    console,
    operator_identity,
    record_reading,
    run_command,
)
from pathways.config import Settings

privacy_app = typer.Typer(
    help="A person's records: export them for inspection.", no_args_is_help=True
)


@privacy_app.command("export")
def export(
    employee: Annotated[str, typer.Argument(help="HR employee id")],
    out: Annotated[Path | None, typer.Option("--out", help="the zip to write")] = None,
) -> None:
    """Every record of the person in one zip: HR's record, each journey's events (with their
    hashes) and timeline, the career, and who read their records. The export is recorded in
    the access log."""

    async def work(settings: Settings) -> None:
        from temporalio.client import WorkflowQueryFailedError
        from temporalio.service import RPCError

        from activities.careers import current_timeline
        from activities.systems import EmployeeNotFound
        from pathways.privacy import export_person

        async with command_hris(settings) as hris:
            try:
                person = await hris.employee(employee)
            except EmployeeNotFound:
                person = None
        try:
            client = await command_client(settings)
            career = (await current_timeline(client, employee)).model_dump(mode="json")
        except (RPCError, WorkflowQueryFailedError, OSError):
            career = None
        await record_reading(settings, Read.EXPORT, employee, employee)
        pool = await command_database(settings)
        try:
            dest = out or Path(f"{employee}-records.zip")
            done = await export_person(
                pool, person, employee, career, operator_identity(settings), dest
            )
        finally:
            await pool.close()
        if person is None and not done.journeys:
            console.print(f"[yellow]HR has no employee {employee} and no journey names them[/]")
        console.print(
            f"{done.path}: HR's record, {done.journeys} journey(s) with {done.events} event(s), "
            f"{'the career, ' if career else ''}{done.readings} reading(s) of the access log"
        )

    run_command(work)
