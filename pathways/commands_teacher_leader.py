"""`pathways teacher-leader ...`: a teacher leader's year, from application to stipend.

pathways teacher-leader apply --employee e-1001 --role team_lead --school grape-street-es \
    --cohort elementary_tk_6
pathways teacher-leader decide teacher-leader/2027-28/team_lead/e-1001 --outcome accepted \
    --scores 4,4,3,3 --by office:ana
pathways teacher-leader status teacher-leader/2027-28/team_lead/e-1001
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.table import Table

from domain.money import dollars
from domain.program import SAMPLE_PROGRAM, Cohort, Role, load_program_year
from domain.teacher_leader import journey as rules
from domain.teacher_leader.events import CoachingStep, DecisionOutcome
from domain.teacher_leader.start import TEACHER_LEADER, TeacherLeaderInput
from pathways.cli import (
    AsJson,
    By,
    attendance_command,
    build,
    command_client,
    command_hris,
    console,
    fail,
    known_failures,
    pathway_group,
    run_command,
    scores_of,
    send_update,
    show_status,
    start_command,
)
from pathways.config import Settings
from workflows.teacher_leader import TeacherLeaderJourney as Journey

app = pathway_group(
    TEACHER_LEADER,
    "Teacher Leader Pathways: application, joint commitment, PD, coaching, stipend.",
)
ProgramOption = Annotated[Path, typer.Option("--program", help="program year definition (TOML)")]


def _update(journey: str, update: Any, command: BaseModel, actor: str, as_json: bool) -> None:
    send_update(journey, update, command, rules.JourneyStatus, actor=actor, as_json=as_json)


@app.command()
def apply(
    employee: Annotated[str, typer.Option(help="HR employee id")],
    role: Annotated[Role, typer.Option()],
    school: Annotated[str, typer.Option(help="school id in the HR system")],
    cohort: Annotated[Cohort | None, typer.Option(help="Team Leads only")] = None,
    program: ProgramOption = SAMPLE_PROGRAM,
    submitted_by: Annotated[str, typer.Option("--by")] = "hris",
) -> None:
    """Start a teacher leader journey (HR or the program office). Starting twice is harmless."""
    definition = load_program_year(program)
    application = build(
        rules.Application,
        employee_id=employee,
        role=role,
        school_id=school,
        cohort=cohort,
        submitted_by=submitted_by,
    )
    start_command(TEACHER_LEADER, TeacherLeaderInput(program=definition, application=application))


@app.command()
def decide(
    journey: str,
    outcome: Annotated[DecisionOutcome, typer.Option()],
    scores: Annotated[str, typer.Option(help="time,mindset,skillset,experience (1-4 each)")],
    by: By,
    note: str = "",
    as_json: AsJson = False,
) -> None:
    """Accept, waitlist or decline an application."""
    command = build(
        rules.DecideApplication, outcome=outcome, scores=scores_of(scores), decided_by=by, note=note
    )
    _update(journey, Journey.decide, command, "decided_by", as_json)


@app.command()
def sign(
    journey: str,
    signer: Annotated[str, typer.Option(help="employee id signing")],
    as_json: AsJson = False,
) -> None:
    """Sign the joint commitment, as the teacher or the school's principal."""
    command = build(rules.SignCommitment, signer_id=signer)
    _update(journey, Journey.sign_commitment, command, "signer_id", as_json)


attend = attendance_command(
    app, ["attend"], update=Journey.record_attendance, command=rules.RecordAttendance,
    answer=rules.JourneyStatus, what="a PD session",
)  # fmt: skip


@app.command("make-up")
def make_up(
    journey: str,
    session: Annotated[str, typer.Option()],
    completed_on: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    by: By,
    note: str = "",
    as_json: AsJson = False,
) -> None:
    """Record a make-up for a missed session."""
    command = build(
        rules.RecordMakeUp, session_id=session, completed_on=completed_on, recorded_by=by, note=note
    )
    _update(journey, Journey.record_make_up, command, "recorded_by", as_json)


@app.command()
def coach(
    journey: str,
    cycle: Annotated[str, typer.Option()],
    step: Annotated[CoachingStep, typer.Option()],
    by: By,
    note: str = "",
    as_json: AsJson = False,
) -> None:
    """Record a coaching step (planning → observation → feedback → coaching)."""
    command = build(rules.RecordCoachingStep, cycle_id=cycle, step=step, recorded_by=by, note=note)
    _update(journey, Journey.record_coaching_step, command, "recorded_by", as_json)


@app.command()
def submit(
    journey: str,
    deliverable: Annotated[str, typer.Option()],
    by: By,
    note: str = "",
    as_json: AsJson = False,
) -> None:
    """Submit a deliverable."""
    command = build(rules.SubmitDeliverable, deliverable_id=deliverable, submitted_by=by, note=note)
    _update(journey, Journey.submit_deliverable, command, "submitted_by", as_json)


@app.command()
def review(
    journey: str,
    deliverable: Annotated[str, typer.Option()],
    accept: Annotated[bool, typer.Option("--accept/--return")],
    by: By,
    comment: str = "",
    as_json: AsJson = False,
) -> None:
    """Accept a deliverable, or return it with a comment."""
    command = build(
        rules.ReviewDeliverable,
        deliverable_id=deliverable,
        accepted=accept,
        reviewed_by=by,
        comment=comment,
    )
    _update(journey, Journey.review_deliverable, command, "reviewed_by", as_json)


@app.command()
def close(journey: str, by: By, as_json: AsJson = False) -> None:
    """Close the year early: decide the stipend and the reimbursement now."""
    _update(journey, Journey.close_year, build(rules.CloseYear, closed_by=by), "closed_by", as_json)


@app.command()
def withdraw(
    journey: str, by: By, reason: Annotated[str, typer.Option()], as_json: AsJson = False
) -> None:
    """Withdraw (the teacher, or the program office as office:<id>)."""
    command = build(rules.Withdraw, withdrawn_by=by, reason=reason)
    _update(journey, Journey.withdraw, command, "withdrawn_by", as_json)


@app.command()
def status(journey: str, as_json: AsJson = False) -> None:
    """Where a journey stands: stage, attendance, coaching, deliverables, stipend blockers."""
    show_status(journey, rules.JourneyStatus, as_json=as_json)


@app.command("list")
def list_journeys(
    year: Annotated[str | None, typer.Option(help="program year, e.g. 2027-28")] = None,
    stage: Annotated[str | None, typer.Option()] = None,
    school: Annotated[str | None, typer.Option()] = None,
    as_json: AsJson = False,
) -> None:
    """Journeys by program year, stage or school (a Temporal visibility query)."""
    clauses = [f"Pathway = '{TEACHER_LEADER.key}'"]
    for name, value in (("ProgramYear", year), ("JourneyStage", stage), ("SchoolId", school)):
        if value:
            if "'" in value:
                fail(f"{name} cannot contain a quote")
            clauses.append(f"{name} = '{value}'")

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        found = [
            (e.id, e.status.name.lower() if e.status else "?", e.start_time.isoformat())
            async for e in client.list_workflows(" AND ".join(clauses))
        ]
        if as_json:
            keys = ("journey", "status", "started")
            console.print_json(json.dumps([dict(zip(keys, f, strict=True)) for f in found]))
            return
        table = Table("journey", "status", "started")
        for journey, state, started in found:
            table.add_row(journey, state, started[:16].replace("T", " "))
        console.print(table)
        console.print(f"{len(found)} journey(s)")

    run_command(work)


@app.command()
def summary(
    year: Annotated[str | None, typer.Option(help="program year")] = None, as_json: AsJson = False
) -> None:
    """Journeys, stipends and reimbursements per school, from the read model."""

    async def work(settings: Settings) -> None:
        from worker import open_services

        async with open_services(settings) as services:
            await services.read_model.catch_up()
            rows = await services.read_model.journeys(year)
            schools = await services.read_model.reimbursements_by_school(year)
        if as_json:
            console.print_json(json.dumps({"journeys": rows, "schools": [
                {"school_id": s.school_id, "teacher_leaders": s.teacher_leaders,
                 "substitute_days": str(s.substitute_days), "amount_cents": s.amount_cents}
                for s in schools
            ]}, default=str))  # fmt: skip
            return
        table = Table("teacher leader", "role", "school", "stage", "stipend", "withheld because")
        for row in rows:
            paid = row["stipend_paid"]
            table.add_row(
                row["full_name"],
                row["role"],
                row["school_id"],
                row["stage"],
                dollars(row["stipend_cents"]) if paid else ("withheld" if paid is False else ""),
                "\n".join(row["withheld_reasons"]),
            )
        console.print(table)
        for school in schools:
            console.print(
                f"{school.school_id}: {school.substitute_days} substitute days, "
                f"{dollars(school.amount_cents)}"
            )

    run_command(work)


@app.command("check")
def check_program(program: ProgramOption = SAMPLE_PROGRAM, as_json: AsJson = False) -> None:
    """Validate a program year definition file and summarise it."""
    try:
        definition = load_program_year(program)
    except known_failures() as error:
        fail(str(error))
    if as_json:
        console.print_json(json.dumps(definition.model_dump(mode="json")))
        return
    d = definition
    stipends = ", ".join(f"{r.label} {dollars(c)}" for r, c in d.stipends_cents.items())
    rate = d.substitute_reimbursement
    console.print(
        f"Teacher Leader Pathways {d.program_year} with {d.partner} ({d.time_zone}): "
        f"{len(d.sessions)} sessions, "
        f"{len(d.coaching_cycles)} coaching cycles; applications close "
        f"{d.application_deadline:%Y-%m-%d}; stipends: {stipends}; substitutes "
        f"{dollars(rate.daily_rate_cents)} a day, partner share {rate.partner_share}",
        highlight=False,
    )


@app.command("apply-roster")
def apply_roster(
    roster: Annotated[
        Path, typer.Argument(exists=True, help="CSV: employee_id,role,school_id,cohort")
    ],
    program: ProgramOption = SAMPLE_PROGRAM,
    concurrency: Annotated[
        int, typer.Option(min=1, max=1000, help="journey starts in flight at once")
    ] = 64,
) -> None:
    """HR: start a journey for every row of a roster; refused rows are listed by line."""
    from pathways.roster import RosterUnreadable, read_roster

    definition = load_program_year(program)
    try:  # refuse an unusable file before contacting anything
        read_roster(roster, definition, datetime.now(UTC))
    except (RosterUnreadable, UnicodeDecodeError, csv.Error) as error:
        fail(f"{roster}: {error}")

    async def work(settings: Settings) -> None:
        from pathways import roster as bulk

        client = await command_client(settings)
        async with command_hris(settings) as hris:
            outcome = await bulk.apply_roster(
                client,
                hris,
                definition,
                roster,
                settings.bulk_task_queue,
                concurrency=concurrency,
            )
        for problem in [*outcome.refused, *outcome.failed]:
            console.print(f"[red]not started[/red] {problem}", highlight=False)
        console.print(outcome.summary(), highlight=False)
        if not outcome.ok:
            raise typer.Exit(1)

    run_command(work)
