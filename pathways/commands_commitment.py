"""`pathways commitment ...`: a fellow's service commitment after graduation.

pathways commitment start --fellow e-1002 --program plf-2027 --graduated 2025-06-01 \
    --assistance 40000.00 --office-email plf@district.example
pathways commitment hr-event service-commitment/plf-2027/e-1002 --change separation --on ...
pathways commitment status service-commitment/plf-2027/e-1002
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from domain.program import SERVICE_RULES
from domain.service_commitment.journey import CommitmentStatus, HrEvent, Waive
from domain.service_commitment.rules import load_service_rules
from domain.service_commitment.start import SERVICE_COMMITMENT, ServiceCommitmentInput
from pathways.cli import (
    AsJson,
    By,
    build,
    dollars_option,
    hr_change_holds,
    pathway_group,
    send_update,
    show_status,
)
from pathways.cli import start_command as start_journey
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
