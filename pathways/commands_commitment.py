"""`pathways commitment ...`: a fellow's service commitment after graduation.

pathways commitment start --fellow e-1002 --program plf-2027 --graduated 2025-06-01 \
    --assistance 40000.00 --office-email plf@district.example
pathways commitment hr-event service-commitment/plf-2027/e-1002 --change separation --on ...
pathways commitment status service-commitment/plf-2027/e-1002
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from domain.calendar import local_date
from domain.money import dollars
from domain.program import SERVICE_RULES
from domain.service_commitment import journey as sc
from domain.service_commitment.journey import CommitmentStatus, HrEvent, Waive
from domain.service_commitment.rules import load_service_rules
from domain.service_commitment.start import (
    SERVICE_COMMITMENT,
    ServiceCommitmentInput,
    commitment_id,
)
from pathways.cli import (
    AsJson,
    By,
    build,
    console,
    dollars_option,
    fail,
    hr_change_holds,
    logged_journeys,
    pathway_group,
    run_command,
    send_update,
    show_status,
)
from pathways.cli import start_command as start_journey
from pathways.config import Settings
from workflows.service_commitment import ServiceCommitment

app = pathway_group(
    SERVICE_COMMITMENT, "Service commitments: years of qualifying service, repaid by rule."
)


@app.command("start")
def start(
    fellow: Annotated[str, typer.Option(help="HR employee id of the fellow")],
    program: Annotated[str, typer.Option(help="e.g. plf-2027")],
    graduated: Annotated[str, typer.Option(help="graduation date, YYYY-MM-DD")],
    assistance: Annotated[str, typer.Option(help="financial assistance received, e.g. 40000.00")],
    office_email: Annotated[str, typer.Option(help="the program office's address for notices")],
    rules_file: Annotated[Path, typer.Option("--rules")] = SERVICE_RULES,
) -> None:
    """Start a fellow's service commitment after graduation. Starting twice is harmless."""
    rules = load_service_rules(rules_file)
    inp = build(
        ServiceCommitmentInput,
        program=program,
        fellow_id=fellow,
        graduated_on=graduated,
        assistance_cents=dollars_option("--assistance", assistance),
        rules=rules,
        program_office_email=office_email,
    )
    start_journey(SERVICE_COMMITMENT, inp)


@app.command("hr-event")
def hr_event(
    commitment: str,
    change: Annotated[str, typer.Option(help="role_change, school_transfer, leave_start, ...")],
    effective: Annotated[str, typer.Option("--on", help="YYYY-MM-DD")],
    role: str | None = None,
    school: str | None = None,
    reason: str | None = None,
    as_json: AsJson = False,
) -> None:
    """HR: report a role change, transfer, leave or separation to a service commitment."""
    command = build(
        HrEvent, change=change, effective_on=effective, role=role, school_id=school, reason=reason
    )
    send_update(
        commitment, ServiceCommitment.hr_event, command, CommitmentStatus,
        check=hr_change_holds(command.change, command.school_id), as_json=as_json,
    )  # fmt: skip


@app.command()
def waive(
    commitment: str,
    by: By,
    reason: Annotated[str, typer.Option()],
    amount: Annotated[
        str | None, typer.Option(help="dollars; all that is owed if left out")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """A program director: waive all or part of a repayment, with the reason."""
    cents = dollars_option("--amount", amount)
    command = build(Waive, decided_by=by, reason=reason, amount_cents=cents)
    send_update(
        commitment, ServiceCommitment.waive, command, CommitmentStatus, actor="decided_by",
        as_json=as_json,
    )  # fmt: skip


@app.command("status")
def status(commitment: str, as_json: AsJson = False) -> None:
    """Served, remaining, paused, deadline, and what leaving would cost."""
    show_status(commitment, CommitmentStatus, as_json=as_json)


@app.command("list")
def list_commitments(
    program: Annotated[str, typer.Option(help="the fellowship program, e.g. plf-2027")],
    rules_file: Annotated[Path, typer.Option("--rules")] = SERVICE_RULES,
    as_json: AsJson = False,
) -> None:
    """Every service commitment of a program, from the event log: standing, months served and
    remaining, the deadline, and what is owed (as of today in the rules' time zone)."""
    rules = load_service_rules(rules_file)
    if "/" in program or not program:
        fail("--program: a program id such as plf-2027")

    async def work(settings: Settings) -> None:
        today = local_date(datetime.now(UTC), rules.time_zone)
        prefix = commitment_id(program, "")
        found = [
            sc.status(sc.fold(events, rules), rules, today)
            for events in (await logged_journeys(settings, prefix)).values()
        ]
        if as_json:
            console.print_json(json.dumps([c.model_dump(mode="json") for c in found]))
            return
        table = Table(
            "fellow", "standing", "role at school", "served", "remaining", "deadline", "owed",
            title=f"Service commitments of {program} on {today}: {len(found)}",
        )  # fmt: skip
        for c in found:
            table.add_row(
                c.fellow_id,
                c.standing.value + (" (on leave)" if c.on_leave else ""),
                f"{c.role or '-'} at {c.school_id or '-'}",
                f"{c.served_months} month(s)",
                f"{c.remaining_months} month(s)",
                c.deadline.isoformat() if c.deadline else "-",
                dollars(c.owed_cents),
            )
        table.add_row("total", "", "", "", "", "", dollars(sum(c.owed_cents for c in found)))
        console.print(table)

    run_command(work)
