"""The Pathways command line: how HR and the program office start and drive journeys.

    pathways apply --employee e-1001 --role team_lead --school grape-street-es \
        --cohort elementary_tk_6
    pathways decide teacher-leader/2027-28/team_lead/e-1001 --outcome accepted \
        --scores 4,4,3,3 --by office:ana
    pathways status teacher-leader/2027-28/team_lead/e-1001

Every command validates its input before anything reaches Temporal; a refusal is one line.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.table import Table

from domain.external import Employee, School
from domain.money import cents_from_dollars, dollars
from domain.program import SAMPLE_PROGRAM, SERVICE_RULES, Cohort, Role, load_program_year
from domain.teacher_leader import journey as rules
from domain.teacher_leader.events import (
    AttendanceStatus,
    CoachingStep,
    DecisionOutcome,
    SelectionScores,
)
from domain.teacher_leader.start import TEACHER_LEADER, TeacherLeaderInput
from pathways.cli import (
    build,
    command_client,
    command_hris,
    console,
    fail,
    known_failures,
    run_app,
    run_command,
    send_update,
    show_status,
    start_command,
)
from pathways.config import Settings

app = typer.Typer(
    help="Pathways: leadership career pathways as durable journeys.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


from pathways.commands_audit import audit_app  # noqa: E402
from pathways.commands_ops import ops_app  # noqa: E402
from pathways.commands_pathways import aspiring_app, fellowship_app  # noqa: E402

app.add_typer(fellowship_app, name="fellowship")
app.add_typer(aspiring_app, name="aspiring")
app.add_typer(audit_app, name="audit")
app.add_typer(ops_app, name="ops")


def _update(
    journey: str, name: str, command: BaseModel, answer: type[BaseModel] = rules.JourneyStatus
) -> None:
    send_update(journey, name, command, answer)


ProgramOption = Annotated[Path, typer.Option("--program", help="program year definition (TOML)")]
By = Annotated[str, typer.Option("--by", help="who is doing this, e.g. office:ana")]


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

    try:  # refuse a late or malformed application before contacting anything
        rules.check_application(definition, application, datetime.now(UTC))
    except rules.JourneyRefusal as refusal:
        fail(str(refusal))
    start_command(TEACHER_LEADER, TeacherLeaderInput(program=definition, application=application))


@app.command()
def decide(
    journey: str,
    outcome: Annotated[DecisionOutcome, typer.Option()],
    scores: Annotated[str, typer.Option(help="time,mindset,skillset,experience (1-4 each)")],
    by: By,
    note: str = "",
) -> None:
    """Accept, waitlist or decline an application."""
    parts = [p.strip() for p in scores.split(",")]
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        fail("--scores takes four whole numbers: time,mindset,skillset,experience")
    rubric = build(
        SelectionScores, **dict(zip(SelectionScores.model_fields, map(int, parts), strict=True))
    )
    _update(
        journey,
        "decide",
        build(rules.DecideApplication, outcome=outcome, scores=rubric, decided_by=by, note=note),
    )


@app.command()
def sign(journey: str, signer: Annotated[str, typer.Option(help="employee id signing")]) -> None:
    """Sign the joint commitment, as the teacher or the school's principal."""
    _update(journey, "sign_commitment", build(rules.SignCommitment, signer_id=signer))


@app.command()
def attend(
    journey: str,
    session: Annotated[str, typer.Option()],
    status: Annotated[AttendanceStatus, typer.Option()],
    by: By,
) -> None:
    """Record attendance at a PD session."""
    command = build(rules.RecordAttendance, session_id=session, status=status, recorded_by=by)
    _update(journey, "record_attendance", command)


@app.command("make-up")
def make_up(
    journey: str,
    session: Annotated[str, typer.Option()],
    completed_on: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    by: By,
    note: str = "",
) -> None:
    """Record a make-up for a missed session."""
    command = build(
        rules.RecordMakeUp, session_id=session, completed_on=completed_on, recorded_by=by, note=note
    )
    _update(journey, "record_make_up", command)


@app.command()
def coach(
    journey: str,
    cycle: Annotated[str, typer.Option()],
    step: Annotated[CoachingStep, typer.Option()],
    by: By,
    note: str = "",
) -> None:
    """Record a coaching step (planning → observation → feedback → coaching)."""
    command = build(rules.RecordCoachingStep, cycle_id=cycle, step=step, recorded_by=by, note=note)
    _update(journey, "record_coaching_step", command)


@app.command()
def submit(
    journey: str, deliverable: Annotated[str, typer.Option()], by: By, note: str = ""
) -> None:
    """Submit a deliverable."""
    command = build(rules.SubmitDeliverable, deliverable_id=deliverable, submitted_by=by, note=note)
    _update(journey, "submit_deliverable", command)


@app.command()
def review(
    journey: str,
    deliverable: Annotated[str, typer.Option()],
    accept: Annotated[bool, typer.Option("--accept/--return")],
    by: By,
    comment: str = "",
) -> None:
    """Accept a deliverable, or return it with a comment."""
    command = build(
        rules.ReviewDeliverable,
        deliverable_id=deliverable,
        accepted=accept,
        reviewed_by=by,
        comment=comment,
    )
    _update(journey, "review_deliverable", command)


@app.command()
def close(journey: str, by: By) -> None:
    """Close the year early: decide the stipend and the reimbursement now."""
    _update(journey, "close_year", build(rules.CloseYear, closed_by=by))


@app.command()
def withdraw(journey: str, by: By, reason: Annotated[str, typer.Option()]) -> None:
    """Withdraw (the teacher, or the program office as office:<id>)."""
    _update(journey, "withdraw", build(rules.Withdraw, withdrawn_by=by, reason=reason))


@app.command()
def separate(
    employee: Annotated[str, typer.Option(help="HR employee id")],
    effective: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    reason: Annotated[str, typer.Option()],
) -> None:
    """HR: an employee left the district; every open journey of theirs hears it (teacher
    leader, fellowship, aspiring principal, service commitment)."""
    command = build(rules.RecordSeparation, effective_on=effective, reason=reason)
    if not isinstance(command.effective_on, date):
        fail("--on takes a date")

    async def work(settings: Settings) -> None:
        from pathways.journeys import record_separation_everywhere

        client = await command_client(settings)
        told = await record_separation_everywhere(
            client, employee, command.effective_on, command.reason
        )
        for t in told:
            outcome = f"[red]refused: {t.refused}[/red]" if t.refused else "recorded"
            console.print(f"{t.workflow_type} {t.workflow_id}: {outcome}")
        refused = [t for t in told if t.refused]
        console.print(
            f"separation recorded on {len(told) - len(refused)} open journey(s) of {employee}"
            + (f"; {len(refused)} refused it" if refused else "")
        )
        if refused:
            raise typer.Exit(1)

    run_command(work)


@app.command()
def status(journey: str) -> None:
    """Where a journey stands: stage, attendance, coaching, deliverables, stipend blockers."""
    show_status(journey, rules.JourneyStatus)


@app.command("list")
def list_journeys(
    year: Annotated[str | None, typer.Option(help="program year, e.g. 2027-28")] = None,
    stage: Annotated[str | None, typer.Option()] = None,
    school: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Journeys by program year, stage or school (a Temporal visibility query)."""
    clauses = ["Pathway = 'teacher_leader'"]
    for name, value in (("ProgramYear", year), ("JourneyStage", stage), ("SchoolId", school)):
        if value:
            if "'" in value:
                fail(f"{name} cannot contain a quote")
            clauses.append(f"{name} = '{value}'")

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        table = Table("journey", "status", "started")
        async for execution in client.list_workflows(" AND ".join(clauses)):
            status_name = execution.status.name if execution.status else "?"
            table.add_row(execution.id, status_name, str(execution.start_time))
        console.print(table)

    run_command(work)


@app.command()
def summary(year: Annotated[str | None, typer.Option(help="program year")] = None) -> None:
    """Journeys, stipends and reimbursements per school, from the read model."""

    async def work(settings: Settings) -> None:
        from worker import open_services

        async with open_services(settings) as services:
            await services.read_model.catch_up()
            table = Table(
                "teacher leader", "role", "school", "stage", "stipend", "withheld because"
            )
            for row in await services.read_model.journeys(year):
                paid = row["stipend_paid"]
                table.add_row(
                    row["full_name"],
                    row["role"],
                    row["school_id"],
                    row["stage"],
                    "paid" if paid else ("withheld" if paid is False else ""),
                    "\n".join(row["withheld_reasons"]),
                )
            console.print(table)
            for school_row in await services.read_model.reimbursements_by_school(year):
                console.print(
                    f"{school_row.school_id}: {school_row.substitute_days} substitute days, "
                    f"{dollars(school_row.amount_cents)}"
                )

    run_command(work)


@app.command("rebuild-read-model")
def rebuild_read_model() -> None:
    """Drop the read model and rebuild it from the event log."""

    async def work(settings: Settings) -> None:
        from worker import open_services

        async with open_services(settings) as services:
            applied = await services.read_model.rebuild()
            console.print(f"read model rebuilt from {applied} events")

    run_command(work)


@app.command("load-hr")
def load_hr(
    employees: Annotated[Path, typer.Option(exists=True, help="CSV: employee_id,full_name,...")],
    schools: Annotated[
        Path | None, typer.Option(exists=True, help="CSV: school_id,name,...")
    ] = None,
) -> None:
    """Load an HR roster into the local HR tables (used when HRIS_URL is not set)."""
    staff = [build(Employee, **_blank_to_none(row)) for row in _csv_rows(employees)]
    sites = [build(School, **_blank_to_none(row)) for row in _csv_rows(schools)] if schools else []

    async def work(settings: Settings) -> None:
        from activities.local_systems import LocalHris
        from worker import open_services

        async with open_services(settings) as services:
            hris = LocalHris(services.pool)
            for employee in staff:
                await hris.upsert_employee(employee)
            for school in sites:
                await hris.upsert_school(school)
        console.print(f"loaded {len(staff)} employees and {len(sites)} schools")

    run_command(work)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _blank_to_none(row: dict[str, str]) -> dict[str, str | None]:
    return {k.strip(): (v.strip() or None) for k, v in row.items() if k}


@app.command("start-commitment")
def start_commitment(
    fellow: Annotated[str, typer.Option(help="HR employee id of the fellow")],
    program: Annotated[str, typer.Option(help="e.g. plf-2027")],
    graduated: Annotated[str, typer.Option(help="graduation date, YYYY-MM-DD")],
    assistance: Annotated[str, typer.Option(help="financial assistance received, e.g. 40000.00")],
    office_email: Annotated[str, typer.Option(help="the program office's address for notices")],
    rules_file: Annotated[Path, typer.Option("--rules")] = SERVICE_RULES,
) -> None:
    """Start a fellow's service commitment after graduation. Starting twice is harmless."""
    from domain.service_commitment.rules import load_service_rules
    from domain.service_commitment.start import SERVICE_COMMITMENT, ServiceCommitmentInput

    rules = load_service_rules(rules_file)
    try:
        cents = cents_from_dollars(assistance)
    except ValueError as error:
        fail(f"--assistance: {error}")
    inp = build(
        ServiceCommitmentInput,
        program=program,
        fellow_id=fellow,
        graduated_on=graduated,
        assistance_cents=cents,
        rules=rules,
        program_office_email=office_email,
    )

    start_command(SERVICE_COMMITMENT, inp)


@app.command("hr-event")
def hr_event(
    commitment: str,
    change: Annotated[str, typer.Option(help="role_change, school_transfer, leave_start, ...")],
    effective: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    role: str | None = None,
    school: str | None = None,
    reason: str | None = None,
) -> None:
    """HR: report a role change, transfer, leave or separation to a service commitment."""
    from domain.service_commitment.journey import CommitmentStatus, HrEvent

    command = build(
        HrEvent, change=change, effective_on=effective, role=role, school_id=school, reason=reason
    )
    _update(commitment, "hr_event", command, CommitmentStatus)


@app.command()
def waive(
    commitment: str,
    by: By,
    reason: Annotated[str, typer.Option()],
    amount: Annotated[
        str | None, typer.Option(help="dollars; all that is owed if left out")
    ] = None,
) -> None:
    """Program office: waive all or part of a repayment, with the reason."""
    from domain.service_commitment.journey import CommitmentStatus, Waive

    cents = None
    if amount is not None:
        try:
            cents = cents_from_dollars(amount)
        except ValueError as error:
            fail(f"--amount: {error}")
    command = build(Waive, decided_by=by, reason=reason, amount_cents=cents)
    _update(commitment, "waive", command, CommitmentStatus)


@app.command("commitment-status")
def commitment_status(commitment: str) -> None:
    """Served, remaining, paused, deadline, and what leaving would cost."""
    from domain.service_commitment.journey import CommitmentStatus

    show_status(commitment, CommitmentStatus)


@app.command("check-program")
def check_program(program: ProgramOption = SAMPLE_PROGRAM) -> None:
    """Validate a program year definition file and print it."""
    try:
        definition = load_program_year(program)
    except known_failures() as error:
        fail(str(error))
    console.print_json(json.dumps(definition.model_dump(mode="json")))


@app.command("sample-year")
def sample_year(
    out: Annotated[Path, typer.Option(help="folder for the definitions")] = Path(".data/sample"),
    day: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; default: today in America/Los_Angeles")
    ] = None,
) -> None:
    """Write the sample teacher leader year, fellowship and aspiring principals year moved so
    that the day falls inside them, and the walkthrough's ids and dates (walkthrough.env)."""
    from pathways import sample_year as samples

    try:
        on = date.fromisoformat(day) if day else samples.today_in()
    except ValueError:
        fail(f"--day takes a date, YYYY-MM-DD (got {day!r})")
    try:
        made = samples.sample_definitions(on)
        paths = samples.write_samples(made, out)
    except (ValueError, OSError) as error:  # a sample that no longer validates, a bad --out
        fail(str(error))
    for line in samples.describe(made, paths):
        console.print(line, highlight=False, soft_wrap=True)


@app.command()
def demo() -> None:
    """Run a cohort of teacher leaders through a whole program year on embedded servers."""
    from pathways.demo import run_demo

    run_command(run_demo)


@app.command()
def worker() -> None:
    """Run a worker (the same as `python worker.py`)."""
    from worker import run_worker

    run_command(run_worker)


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
                settings.temporal_task_queue,
                concurrency=concurrency,
            )
        for problem in [*outcome.refused, *outcome.failed]:
            console.print(f"[red]not started[/red] {problem}", highlight=False)
        console.print(outcome.summary(), highlight=False)
        if not outcome.ok:
            raise typer.Exit(1)

    run_command(work)


def main() -> None:
    """The `pathways` command: a failure a person can act on is one line, never a traceback."""
    run_app(app)


if __name__ == "__main__":
    main()
