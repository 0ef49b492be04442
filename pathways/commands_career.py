"""`pathways hr event` and `pathways career`: HR events into careers from the command line
(the same path as the HTTP API's), and a career's timeline.

pathways hr event --id hr-7781 --employee e-1002 --kind role_change --on 2026-12-01 \
    --role vice_principal --by operator:it
pathways career show e-1002
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from domain.career.career import (
    HrEvent,
    HrEventKind,
    SubmitHrEvent,
    career_id,
)
from pathways.cli import build, command_client, command_database, console, fail, run_command
from pathways.config import Settings

hr_app = typer.Typer(help="HR events into each employee's career (as the HTTP API takes them).")
career_app = typer.Typer(help="A person's career: roles, schools, credentials and journeys.")


@hr_app.command("event")
def event(
    event_id: Annotated[str, typer.Option("--id", help="HR's id for the event")],
    employee: Annotated[str, typer.Option(help="HR employee id")],
    kind: Annotated[HrEventKind, typer.Option(help="what happened")],
    on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="effective date")],
    by: Annotated[str, typer.Option(help="who sends it, e.g. operator:it or hris")],
    role: Annotated[str | None, typer.Option(help="the new HR title")] = None,
    school: Annotated[str | None, typer.Option(help="the school id")] = None,
    credential: Annotated[str | None, typer.Option(help="the credential")] = None,
    reason: Annotated[str | None, typer.Option(help="a leave's or separation's reason")] = None,
) -> None:
    """Apply one HR event to the employee's career (created by its first event); the career
    tells every open journey what it must hear."""
    hr_event = build(
        HrEvent, event_id=event_id, employee_id=employee, kind=kind, effective_on=on.date(),
        role=role, school_id=school, credential=credential, reason=reason,
    )  # fmt: skip
    submitted = build(SubmitHrEvent, event=hr_event, source=by)

    async def work(settings: Settings) -> None:
        from activities.careers import submit_hr_event

        client = await command_client(settings)
        answer = await submit_hr_event(client, submitted, settings.temporal_task_queue)
        told = ", ".join(answer.journeys_told) or "no open journey hears it"
        state = "applied" if answer.applied else "already applied: nothing changed"
        console.print(f"{answer.career_id}: HR event {event_id} {state}; told: {told}")

    run_command(work)


@hr_app.command("import-oneroster")
def import_oneroster(
    file: Annotated[Path, typer.Argument(help="a OneRoster 1.2 CSV zip, or a folder of its CSVs")],
    by: Annotated[str, typer.Option(help="who sends it, e.g. operator:it or hris")],
    on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="effective date (today)")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="show what would change; send nothing")] = False,
    allow_mass_separation: Annotated[
        bool, typer.Option(help="send it even if it separates over 20% of the staff")
    ] = False,
) -> None:
    """Compare the file's staff with the last import and send the differences (hires, role
    changes, transfers, separations) as HR events; a report of every row with a problem."""
    from rich.progress import Progress

    try:
        data = _zip_folder(file) if file.is_dir() else file.read_bytes()
    except OSError as error:
        fail(f"cannot read {file}: {error.strerror}")

    async def work(settings: Settings) -> None:
        from pathways.oneroster import district_today
        from pathways.oneroster import import_oneroster as run_import

        client = await command_client(settings)
        pool = await command_database(settings)
        try:
            with Progress(console=console, transient=True) as bar:
                task = bar.add_task("sending HR events", total=None)
                report = await run_import(
                    client, pool, data, source=by, task_queue=settings.temporal_task_queue,
                    effective_on=on.date() if on else district_today(), dry_run=dry_run,
                    allow_mass_separation=allow_mass_separation,
                    local_hr=settings.hris_url is None,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )  # fmt: skip
        finally:
            await pool.close()
        for warning in report.warnings:
            console.print(f"[yellow]warning: {warning}[/yellow]")
        for problem in report.problems:
            console.print(f"[red]{problem}[/red]", highlight=False)
        table = Table("employee", "event", "detail", "result", title="HR events")
        for e in report.events:
            result = f"{e.status} [{e.code}]" if e.code else e.status
            table.add_row(e.employee_id, e.kind, e.detail, result)
        if report.events:
            console.print(table)
        verb = "would send" if report.dry_run else "sent"
        console.print(
            f"{report.users} users, {report.staff} staff ({report.administrators} administrators); "
            f"{len(report.problems)} row(s) with a problem; {verb} {len(report.events)} HR "
            f"event(s), {report.refused} refused",
            highlight=False,
        )
        if report.refused or report.problems:
            raise typer.Exit(1)

    run_command(work)


def _zip_folder(folder: Path) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for csv_file in sorted(folder.glob("*.csv")):
            archive.write(csv_file, csv_file.name)
    return out.getvalue()


@career_app.command("show")
def show(employee: Annotated[str, typer.Argument(help="HR employee id")]) -> None:
    """The career now (role, school, credentials) and its timeline, with every journey."""

    async def work(settings: Settings) -> None:
        from temporalio.service import RPCError, RPCStatusCode

        from activities.careers import current_timeline

        client = await command_client(settings)
        try:
            timeline = await current_timeline(client, employee)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                fail(f"no career for {employee}: no HR event or journey has reached it")
            raise
        employed = {True: "employed", False: "separated", None: "not reported by HR"}
        status = employed[timeline.employed] + (", on leave" if timeline.on_leave else "")
        console.print(
            f"{career_id(employee)}: {timeline.role or '-'} at {timeline.school_id or '-'}, "
            f"{status}; credentials: {', '.join(timeline.credentials) or 'none'}",
            highlight=False,
        )
        table = Table("on", "what", title="timeline")
        for entry in timeline.timeline:
            table.add_row(str(entry.on), entry.what)
        console.print(table)
        journeys = Table("journey", "pathway", "began", "state", "refused", title="journeys")
        for j in timeline.journeys:
            state = "open" if j.open else f"ended: {j.outcome}"
            refused = "; ".join(f"{hr}: {why}" for hr, why in j.refused.items())
            journeys.add_row(j.journey_id, j.pathway, str(j.joined_on), state, refused)
        console.print(journeys)

    run_command(work)
