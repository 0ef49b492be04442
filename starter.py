"""The Pathways command line: one family of commands, a group per pathway.

    pathways teacher-leader apply --employee e-1001 --role team_lead --school grape-street-es \
        --cohort elementary_tk_6
    pathways teacher-leader decide teacher-leader/2027-28/team_lead/e-1001 --outcome accepted \
        --scores 4,4,3,3 --by office:ana
    pathways fellowship status fellowship/plf-2027/e-2001
    pathways commitment status service-commitment/plf-2027/e-1002

Each pathway's group is named by its registry entry (`command_group`) and offers the same verbs
where the pathway has them (`apply`, `status`, `list`, `withdraw`, ...); a person reads a
sentence or a short table, a machine asks for `--json`. Every command validates its input
before anything reaches Temporal; a refusal is one line. The names the program office's
scripts used before the groups (`pathways apply`, `pathways status`, `pathways
start-commitment`, ...) still work, hidden from `--help`.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from domain.external import Employee, School
from domain.teacher_leader import journey as rules
from pathways import (
    commands_commitment,
    commands_program,
    commands_records,  # noqa: F401  (adds records and badges to the program group)
    commands_teacher_leader,
)
from pathways.cli import build, command_client, command_hris, console, fail, run_app, run_command
from pathways.commands_api import api_app
from pathways.commands_audit import audit_app
from pathways.commands_career import career_app, hr_app
from pathways.commands_deploy import deploy_app
from pathways.commands_ops import ops_app
from pathways.commands_pathways import aspiring_app, fellowship_app
from pathways.commands_privacy import privacy_app
from pathways.commands_web import web_app
from pathways.config import Settings

app = typer.Typer(
    help="Pathways: leadership career pathways as durable journeys.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for group in (
    commands_teacher_leader.app,
    fellowship_app,
    aspiring_app,
    commands_commitment.app,
    commands_program.app,
):
    app.add_typer(group)
app.add_typer(audit_app, name="audit")
app.add_typer(api_app, name="api")
app.add_typer(web_app, name="web")
app.add_typer(hr_app, name="hr")
app.add_typer(career_app, name="career")
app.add_typer(deploy_app, name="deploy")
app.add_typer(ops_app, name="ops")
app.add_typer(privacy_app, name="privacy")

#: The names scripts used before the pathway groups: each still runs its group's command.
ALIASES = {
    **{
        name: getattr(commands_teacher_leader, function)
        for name, function in (
            ("apply", "apply"), ("decide", "decide"), ("sign", "sign"), ("attend", "attend"),
            ("make-up", "make_up"), ("coach", "coach"), ("submit", "submit"),
            ("review", "review"), ("close", "close"), ("withdraw", "withdraw"),
            ("status", "status"), ("list", "list_journeys"), ("summary", "summary"),
            ("check-program", "check_program"), ("apply-roster", "apply_roster"),
        )
    },
    "start-commitment": commands_commitment.start,
    "hr-event": commands_commitment.hr_event,
    "waive": commands_commitment.waive,
    "commitment-status": commands_commitment.status,
}  # fmt: skip
for name, command in ALIASES.items():
    app.command(name, hidden=True)(command)


@app.command()
def separate(
    employee: Annotated[str, typer.Option(help="HR employee id")],
    effective: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    reason: Annotated[str, typer.Option()],
    event_id: Annotated[
        str | None, typer.Option("--id", help="HR's id for the event (default: made of the date)")
    ] = None,
) -> None:
    """HR: an employee left the district. The separation goes to the employee's career, which
    tells every journey of theirs (teacher leader, fellowship, aspiring principal, service
    commitment, catalog programs) and records what each answered."""
    command = build(rules.RecordSeparation, effective_on=effective, reason=reason)
    if not isinstance(command.effective_on, date):
        fail("--on takes a date")

    async def work(settings: Settings) -> None:
        from pathways.journeys import record_separation_everywhere

        client = await command_client(settings)
        async with command_hris(settings) as hris:
            told = await record_separation_everywhere(
                client, hris, employee, command.effective_on, command.reason,
                task_queue=settings.temporal_task_queue, event_id=event_id, source="hris",
            )  # fmt: skip
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


def main() -> None:
    """The `pathways` command: a failure a person can act on is one line, never a traceback."""
    run_app(app)


if __name__ == "__main__":
    main()
