"""Command-line group for the catalog's programs: any program a definition file describes.

pathways program catalog
pathways program check domain/programs/catalog/evaluation_certification.toml
pathways program apply evaluation_certification --employee e-4001 --by office:ana
pathways program score program/evaluation_certification/2026-27/e-4001 --part standards \
    --score 72 --on 2026-11-30 --by office:ana
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from domain.attendance import AttendanceStatus
from domain.catalog import journey as pj
from domain.catalog.definition import (
    CATALOG,
    ProgramDefinition,
    ProgramDefinitionError,
    catalog_files,
    catalog_programs,
    load_program,
)
from domain.catalog.start import PROGRAM, CommunityMember, ProgramEnrollment, ProgramInput
from domain.councils import StakeholderGroup
from domain.money import dollars
from pathways.cli import (
    AsJson,
    By,
    build,
    command_client,
    command_hris,
    console,
    fail,
    pathway_group,
    resolved,
    run_command,
    send_update,
    show_status,
)
from pathways.config import Settings
from workflows.program import ProgramJourney

app = pathway_group(
    PROGRAM,
    "The district's catalog of programs, each a definition file: certificates, induction, "
    "inservice, evaluation certification and more.",
)
Journey = Annotated[
    str, typer.Argument(help="the journey id, e.g. program/induction/2026-27/e-4001")
]
PartOption = Annotated[str, typer.Option("--part", help="the part's id in the definition")]
Day = Annotated[datetime, typer.Option("--on", formats=["%Y-%m-%d"], help="YYYY-MM-DD")]


def resolve_program(program: str) -> ProgramDefinition:
    """A definition file's path, or the key of a program the catalog ships."""
    path = Path(program)
    if path.suffix == ".toml" or path.exists():
        return load_program(path)
    shipped = catalog_programs()
    if program not in shipped:
        raise ProgramDefinitionError(
            f"{program!r} is neither a definition file nor a program of the catalog "
            f"({', '.join(sorted(shipped))})",
            code="definition.unknown_program",
        )
    return shipped[program]


@app.command("catalog")
def catalog() -> None:
    """The programs shipped as definition files, with their school year and parts."""
    table = Table("key", "title", "school year", "parts", "awards")
    for path in catalog_files():
        d = load_program(path)
        years = f" ({d.years} years)" if d.years > 1 else ""
        table.add_row(
            d.key, d.title + years, d.school_year, str(len(d.parts)),
            d.award.title if d.award else "-",
        )  # fmt: skip
    console.print(table)
    console.print(f"definition files: {CATALOG}/<key>.toml", highlight=False, soft_wrap=True)


@app.command("check")
def check(file: Path) -> None:
    """Check a program definition file; one line naming each field that cannot work."""
    d = load_program(file)
    kinds: dict[str, int] = {}
    for part in d.parts:
        kinds[part.kind] = kinds.get(part.kind, 0) + 1
    made_of = ", ".join(f"{k} × {n}" for k, n in kinds.items())
    award = f"; awards {d.award.title}" if d.award else ""
    pays = "".join(f"; pays {dollars(s.amount_cents)} per {s.basis.value}" for s in d.stipends)
    if d.seats is not None:
        pays += f"; {d.seats} seats, then a waitlist until {d.enrollment_closes}"
    console.print(
        f"{file}: {d.title} {d.school_year} is valid ({d.years} year(s), {made_of}{award}{pays}, "
        f"time zone {d.time_zone})",
        highlight=False,
        soft_wrap=True,
    )


@app.command("apply")
def apply(
    program: Annotated[str, typer.Argument(help="a definition file, or a catalog program's key")],
    employee: Annotated[str, typer.Option(help="HR employee id")],
    by: By,
    year: Annotated[
        int, typer.Option(help="the program year to start at (2: hired in year two of the role)")
    ] = 1,
    name: Annotated[str | None, typer.Option(help="a parent's or student's name")] = None,
    email: Annotated[str | None, typer.Option(help="their e-mail address")] = None,
    group: Annotated[
        StakeholderGroup | None, typer.Option(help="their group: parent, student, community")
    ] = None,
    school: Annotated[str | None, typer.Option(help="their school")] = None,
) -> None:
    """Start a journey in a program, checked against HR first (parents, students and community
    members, whom HR does not list, with --name, --email and --group). Twice is harmless."""
    definition = resolve_program(program)
    person = None
    if name is not None or email is not None or group is not None:
        person = build(
            CommunityMember, full_name=name or "", email=email or "", group=group,
            school_id=school,
        )  # fmt: skip
    enrollment = build(
        ProgramEnrollment,
        employee_id=employee,
        enrolled_by=by,
        year_in_program=year,
        person=person,
    )
    inp = build(ProgramInput, program=definition, enrollment=enrollment)

    async def work(settings: Settings) -> None:
        from activities.enrollment import start_journey

        sent = await resolved(settings, inp.enrollment, "enrolled_by")
        started_with = inp.model_copy(update={"enrollment": sent})
        client = await command_client(settings)
        async with command_hris(settings) as hris:
            started = await start_journey(
                client, hris, PROGRAM, started_with, settings.temporal_task_queue
            )
        console.print(
            f"{'started' if started.created else 'already exists'}: {started.workflow_id}"
        )

    run_command(work)


@app.command("status")
def status(journey: Journey, as_json: AsJson = False) -> None:
    """Where a journey stands: each part, hours, the award."""
    show_status(journey, pj.ProgramStatus, as_json=as_json)


def _send(journey: str, update: Any, command: Any, actor: str, as_json: bool) -> None:
    send_update(journey, update, command, pj.ProgramStatus, actor=actor, as_json=as_json)


@app.command("attend")
def attend(
    journey: Journey,
    part: PartOption,
    session: Annotated[str, typer.Option(help="the session's id")],
    status: Annotated[AttendanceStatus, typer.Option()],
    by: By,
    correction_reason: Annotated[
        str | None, typer.Option(help="why a mark already recorded is changed")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Record attendance at a course's session (again, with a reason, to correct it)."""
    command = build(
        pj.MarkSession, part_id=part, session_id=session, status=status, recorded_by=by,
        correction_reason=correction_reason,
    )  # fmt: skip
    _send(journey, ProgramJourney.record_attendance, command, "recorded_by", as_json)


@app.command("make-up")
def make_up(
    journey: Journey,
    part: PartOption,
    session: Annotated[str, typer.Option(help="the missed session's id")],
    on: Day,
    by: By,
    note: str = "",
    as_json: AsJson = False,
) -> None:
    """Record the make-up of a missed session."""
    command = build(
        pj.MakeUpSession, part_id=part, session_id=session, made_up_on=on.date(),
        recorded_by=by, note=note,
    )  # fmt: skip
    _send(journey, ProgramJourney.record_make_up, command, "recorded_by", as_json)


@app.command("log")
def log_entry(
    journey: Journey,
    part: PartOption,
    on: Day,
    by: By,
    amount: Annotated[str | None, typer.Option(help="hours (or the log's unit)")] = None,
    attendee: Annotated[
        list[str] | None, typer.Option(help="who attended (repeat for each)")
    ] = None,
    note: str = "",
    as_json: AsJson = False,
) -> None:
    """Record an entry in a log (a walkthrough, a support visit, a team training)."""
    try:
        quantity = Decimal(amount) if amount is not None else None
    except InvalidOperation:
        fail(f"--amount: {amount!r} is not a number")
        return
    command = build(
        pj.RecordLogEntry, part_id=part, on=on.date(), amount=quantity, note=note,
        attendees=attendee or [], logged_by=by,
    )  # fmt: skip
    _send(journey, ProgramJourney.log_entry, command, "logged_by", as_json)


@app.command("submit")
def submit(
    journey: Journey, part: PartOption, by: By, note: str = "", as_json: AsJson = False
) -> None:
    """Submit a deliverable for review."""
    command = build(pj.SubmitWork, deliverable_id=part, submitted_by=by, note=note)
    _send(journey, ProgramJourney.submit_work, command, "submitted_by", as_json)


@app.command("review")
def review(
    journey: Journey,
    part: PartOption,
    by: By,
    accept: Annotated[bool, typer.Option("--accept/--return")] = True,
    comment: str = "",
    as_json: AsJson = False,
) -> None:
    """Accept a submitted deliverable, or return it with a comment."""
    command = build(
        pj.ReviewWork, deliverable_id=part, accepted=accept, reviewed_by=by, comment=comment
    )
    _send(journey, ProgramJourney.review_work, command, "reviewed_by", as_json)


@app.command("step")
def step(
    journey: Journey,
    part: PartOption,
    name: Annotated[str, typer.Option("--step", help="the step, e.g. goal_set")],
    by: By,
    note: Annotated[str, typer.Option(help="the goal or the review, in words")] = "",
    as_json: AsJson = False,
) -> None:
    """Record the next step of an ordered part (a coaching cycle, a goal's reviews)."""
    command = build(pj.TakeStep, part_id=part, step=name, note=note, recorded_by=by)
    _send(journey, ProgramJourney.record_step, command, "recorded_by", as_json)


@app.command("score")
def score(
    journey: Journey,
    part: PartOption,
    points: Annotated[int, typer.Option("--score", help="the score, a whole number")],
    on: Day,
    by: By,
    as_json: AsJson = False,
) -> None:
    """Record an assessment attempt's score."""
    command = build(
        pj.ScoreAssessment, part_id=part, taken_on=on.date(), score=points, recorded_by=by
    )
    _send(journey, ProgramJourney.record_score, command, "recorded_by", as_json)


@app.command("milestone")
def milestone(
    journey: Journey,
    part: PartOption,
    on: Day,
    by: By,
    reference: str = "",
    as_json: AsJson = False,
) -> None:
    """Report a milestone achieved (a credential, a degree)."""
    command = build(
        pj.ReportMilestone, part_id=part, achieved_on=on.date(), reported_by=by,
        reference=reference,
    )  # fmt: skip
    _send(journey, ProgramJourney.report_milestone, command, "reported_by", as_json)


@app.command("seat")
def seat(
    journey: Journey,
    member: Annotated[str, typer.Option(help="an employee id, or the school roster's id")],
    name: Annotated[str, typer.Option(help="the member's name")],
    group: Annotated[StakeholderGroup, typer.Option(help="the member's stakeholder group")],
    by: By,
    part: PartOption = "council",
    as_json: AsJson = False,
) -> None:
    """Seat a member on a council, with their stakeholder group."""
    command = build(
        pj.SeatMember, part_id=part, member_id=member, full_name=name, group=group, seated_by=by
    )
    _send(journey, ProgramJourney.seat_member, command, "seated_by", as_json)


@app.command("unseat")
def unseat(
    journey: Journey,
    member: Annotated[str, typer.Option(help="the member's id")],
    reason: Annotated[str, typer.Option(help="why they leave the council")],
    by: By,
    part: PartOption = "council",
    as_json: AsJson = False,
) -> None:
    """Record a member leaving a council."""
    command = build(pj.MemberLeaves, part_id=part, member_id=member, reason=reason, recorded_by=by)
    _send(journey, ProgramJourney.member_leaves, command, "recorded_by", as_json)


@app.command("train")
def train(
    journey: Journey,
    member: Annotated[str, typer.Option(help="the member's id")],
    topic: Annotated[str, typer.Option(help="the training topic, e.g. school-budgets")],
    on: Day,
    by: By,
    part: PartOption = "council",
    as_json: AsJson = False,
) -> None:
    """Record a council member's training in one topic."""
    command = build(
        pj.RecordMemberTraining, part_id=part, member_id=member, topic=topic, on=on.date(),
        recorded_by=by,
    )  # fmt: skip
    _send(journey, ProgramJourney.record_member_training, command, "recorded_by", as_json)


@app.command("needs")
def needs() -> None:
    """The needs assessment's first question: which programs the catalog offers each
    stakeholder group, and which groups it offers none."""
    shipped = [load_program(path) for path in catalog_files()]
    table = Table("stakeholder group", "programs")
    for group in StakeholderGroup:
        offered = [d.title for d in shipped if group in d.stakeholder_groups]
        table.add_row(group.value, "; ".join(offered) or "none: no pathway yet")
    console.print(table)


@app.command("withdraw")
def withdraw(
    journey: Journey,
    reason: Annotated[str, typer.Option(help="why, in words")],
    by: By,
    as_json: AsJson = False,
) -> None:
    """Withdraw a leader from the program."""
    command = build(pj.WithdrawFromProgram, reason=reason, withdrawn_by=by)
    _send(journey, ProgramJourney.withdraw, command, "withdrawn_by", as_json)


@app.command("list")
def list_journeys(
    program: Annotated[str | None, typer.Option(help="a program's key")] = None,
    employee: Annotated[str | None, typer.Option(help="HR employee id")] = None,
    stage: Annotated[str | None, typer.Option(help="e.g. active, completed, paused")] = None,
) -> None:
    """The catalog programs' journeys (from the read model): stage, hours, award, stipend."""

    async def work(settings: Settings) -> None:
        from activities.readmodel import PROGRAM_JOURNEYS, ReadModel
        from worker import open_services

        async with open_services(settings) as services:
            model = services.programs or ReadModel(services.pool, projection=PROGRAM_JOURNEYS)
            await model.catch_up()
            rows = await model.rows(
                "stream_id", program_key=program, employee_id=employee, stage=stage
            )
        table = Table("journey", "name", "stage", "year", "hours", "completed", "until", "paid")
        for r in rows:
            table.add_row(
                r["stream_id"], r["full_name"], r["stage"], str(r["year_in_program"]),
                str(r["hours_earned"]), str(r["completed_on"] or "-"),
                str(r["certified_until"] or "-"), dollars(r["stipend_cents"]),
            )  # fmt: skip
        console.print(table)
        console.print(f"{len(rows)} journey(s)", highlight=False)

    run_command(work)


@app.command("seats")
def seats(
    program: Annotated[str, typer.Argument(help="a definition file, or a catalog program's key")],
) -> None:
    """A program's seats and waitlist, in order, as its seats workflow holds them now."""
    from domain.catalog.seats import ProgramSeatBook, seats_id

    definition = resolve_program(program)
    if definition.seats is None:
        fail(f"{definition.title} has no seats: every eligible leader may join")
    workflow_id = seats_id(definition.key, definition.school_year)

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        handle = client.get_workflow_handle(workflow_id)
        book = await handle.query("roster", result_type=ProgramSeatBook)
        table = Table("seat / place", "employee", "journey", title=f"{workflow_id}")
        for who in book.seated_in_order():
            table.add_row(f"seat {book.seats[who]}", who, book.journeys.get(who, "-"))
        for place, who in enumerate(book.waitlist, start=1):
            table.add_row(f"waitlist {place}", who, book.journeys.get(who, "-"))
        console.print(table)
        state = "closed" if book.closed else f"open until {definition.enrollment_closes}"
        console.print(
            f"{len(book.seats)} of {book.capacity} seats taken, {len(book.waitlist)} waiting, "
            f"{len(book.released)} gave up a place; enrollment is {state}"
        )

    run_command(work)
