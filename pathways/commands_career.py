"""`pathways hr event` and `pathways career`: HR events into careers from the command line
(the same path as the HTTP API's), and a career's timeline.

pathways hr event --id hr-7781 --employee e-1002 --kind role_change --on 2026-12-01 \
    --role vice_principal --by operator:it
pathways career show e-1002
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

import typer
from rich.table import Table

from domain.access import Read
from domain.career.career import (
    HrEvent,
    HrEventKind,
    SubmitHrEvent,
    career_id,
)
from pathways.cli import (
    build,
    command_client,
    command_database,
    command_store,
    console,
    fail,
    record_reading,
    run_command,
)
from pathways.config import Settings

if TYPE_CHECKING:
    from pydantic import BaseModel

    from activities.eventstore import EventStore

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

        from activities.careers import readable_timeline

        client = await command_client(settings)
        pool = await command_database(settings)
        try:
            timeline = await readable_timeline(client, command_store(settings, pool), employee)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                fail(f"no career for {employee}: no HR event or journey has reached it")
            raise
        finally:
            await pool.close()
        await record_reading(settings, Read.CAREER, employee, employee)
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


AsJson = Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")]
T = TypeVar("T")


async def from_log(settings: Settings, read: Callable[[EventStore], Awaitable[T]]) -> T:
    """What `read` finds in the event log (the careers' streams)."""

    pool = await command_database(settings)
    try:
        return await read(command_store(settings, pool))
    finally:
        await pool.close()


def json_lines(lines: Sequence[BaseModel]) -> None:
    for line in lines:
        console.print_json(line.model_dump_json())


@career_app.command("rules")
def rules(
    check: Annotated[
        Path | None, typer.Option(help="check this rules file instead of listing the rules")
    ] = None,
) -> None:
    """The district's enrollment rules: which HR facts start, offer or require which pathway
    (ENROLLMENT_RULES, or the rules shipped with the product)."""
    from activities.enrollment_rules import rule_book
    from pathways.cli import load_or_exit

    path = check or load_or_exit().enrollment_rules
    book = rule_book(path)
    if check is not None:
        console.print(f"{path}: {len(book.rules.rules)} rule(s), valid", highlight=False)
        return
    table = Table("rule", "when", "does", "why", title=f"enrollment rules ({path.name})")
    for r in book.rules.rules:
        when = r.when.value.replace("_", " ")
        facts = r.roles or ((r.credential,) if r.credential else ())
        if r.finished:
            when += f": {r.finished} {'/'.join(r.outcomes)}"
        elif facts:
            when += f": {', '.join(f for f in facts if f)}"
        if r.unless_roles:
            when += f" (not {', '.join(r.unless_roles)})"
        due = f" within {r.due_within_days} days" if r.due_within_days else ""
        table.add_row(r.id, when, f"{r.action.value} {book.title(r.target)}{due}", r.why)
    console.print(table)


@career_app.command("rule-log")
def rule_log(
    employee: Annotated[str | None, typer.Argument(help="one employee (all when omitted)")] = None,
    as_json: AsJson = False,
) -> None:
    """What the enrollment rules did, and why: each rule an HR event or a journey's end set
    off, with the journey it started, the offer or requirement it made, or why it did nothing."""

    async def work(settings: Settings) -> None:
        from pathways.career_reports import rule_log as read_log

        lines = await from_log(settings, lambda store: read_log(store, employee))
        if as_json:
            return json_lines(lines)
        table = Table("on", "employee", "rule", "outcome", "what", title="enrollment rules applied")
        for line in lines:
            what = line.journey_id or line.target
            if line.due_on:
                what += f" due by {line.due_on}"
            if line.detail:
                what += f": {line.detail}"
            table.add_row(str(line.on), line.employee_id, line.rule_id, line.outcome, what)
        console.print(table)
        console.print(f"{len(lines)} rule outcome(s)", highlight=False)

    run_command(work)


@career_app.command("due")
def due(as_json: AsJson = False) -> None:
    """Offers and requirements the enrollment rules made that no journey has met yet, the
    overdue first (dates in the district's time zone)."""

    async def work(settings: Settings) -> None:
        from pathways.career_reports import career_states, outstanding
        from pathways.oneroster import district_today

        lines = outstanding(await from_log(settings, career_states), district_today())
        if as_json:
            return json_lines(lines)
        table = Table("employee", "what", "since", "due", "rule", title="offers and requirements")
        for line in lines:
            due_on = str(line.due_on or "-") + (" OVERDUE" if line.overdue else "")
            what = f"{line.action} {line.target}"
            table.add_row(line.employee_id, what, str(line.since), due_on, line.rule_id)
        console.print(table)
        overdue = sum(1 for line in lines if line.overdue)
        console.print(f"{len(lines)} outstanding, {overdue} overdue", highlight=False)

    run_command(work)


@career_app.command("nominate")
def nominate(
    nominee: Annotated[str, typer.Argument(help="the colleague's HR employee id")],
    target: Annotated[
        str, typer.Option("--for", help="program:<key>, aspiring_principal, fellowship, ...")
    ],
    by: Annotated[str, typer.Option(help="the nominator (their employee id, or office:<id>)")],
    reason: Annotated[str, typer.Option(help="why them: the shared belief and vision you saw")],
) -> None:
    """Nominate a colleague, with or without a leadership title, for a pathway ("who will you
    bring along?"); they are invited by e-mail and accept or decline."""
    from domain.career.nominations import Nominate

    cmd = build(Nominate, target=target, reason=reason, nominated_by=by)

    async def work(settings: Settings) -> None:
        from activities.careers import nominate as send
        from activities.systems import EmployeeNotFound
        from domain.policy import hr_id_of
        from pathways.cli import command_hris, resolved

        sent = cast(Nominate, await resolved(settings, cmd, "nominated_by"))
        title = None
        async with command_hris(settings) as hris:
            try:
                await hris.employee(nominee)
            except EmployeeNotFound as error:
                fail(f"{error.message}; nothing was recorded")
            nominator = hr_id_of(sent.nominated_by)
            if nominator is not None:
                title = (await hris.employee(nominator)).role
        client = await command_client(settings)
        timeline = await send(
            client, nominee, sent.model_copy(update={"nominator_title": title}),
            settings.temporal_task_queue,
        )  # fmt: skip
        for n in timeline.nominations:
            if n.nominated_by == sent.nominated_by and n.target == target and n.open:
                console.print(
                    f"{career_id(nominee)}: nomination {n.nomination_id} recorded; "
                    f"{nominee} is invited to accept or decline",
                    highlight=False,
                )

    run_command(work)


@career_app.command("answer")
def answer(
    nominee: Annotated[str, typer.Argument(help="the nominee's HR employee id")],
    nomination: Annotated[str, typer.Argument(help="the nomination's id (career show lists it)")],
    accept: Annotated[bool, typer.Option("--accept/--decline", help="accept or decline")],
    by: Annotated[str, typer.Option(help="the nominee, who answers for themselves")],
    note: Annotated[str, typer.Option(help="a note for the program office")] = "",
) -> None:
    """The nominee accepts (then applies; the program office decides as for any application)
    or declines a nomination."""
    from domain.career.nominations import AnswerNomination

    cmd = build(AnswerNomination, nomination_id=nomination, accept=accept, by=by, note=note)

    async def work(settings: Settings) -> None:
        from activities.careers import answer_nomination
        from pathways.cli import resolved

        sent = cast(AnswerNomination, await resolved(settings, cmd, "by"))
        client = await command_client(settings)
        await answer_nomination(client, nominee, sent)
        verb = "accepted" if accept else "declined"
        console.print(f"{career_id(nominee)}: nomination {nomination} {verb}", highlight=False)

    run_command(work)


@career_app.command("nominations")
def nominations(
    csv: Annotated[bool, typer.Option("--csv", help="the edges as CSV")] = False,
) -> None:
    """Who brought whom along, as a graph: JSON with nodes (people) and edges (nominator ->
    nominee, the pathway, the answer, the journey it led to), or the edges as CSV."""

    async def work(settings: Settings) -> None:
        import csv as csv_module
        import json
        import sys

        from pathways.career_reports import career_states, nominations_graph

        graph = nominations_graph(await from_log(settings, career_states))
        if not csv:
            sys.stdout.write(json.dumps(graph, indent=2) + "\n")
            return
        fields = ["from", "to", "target", "nomination_id", "on", "answer", "journey_id"]
        writer = csv_module.DictWriter(
            sys.stdout, fieldnames=[*fields, "journey_outcome"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(graph["edges"])

    run_command(work)
