"""Command-line groups for the fellowship (university cohort) and LBUSD aspiring principals.

pathways fellowship apply --employee e-2001
pathways fellowship decide fellowship/plf-2027/e-2001 --select --scores 4,4,3,3 --by office:ana
pathways aspiring apply --employee e-3001 --tier1 2026-06-01
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from domain.aspiring_principals import journey as ap
from domain.aspiring_principals.program import SAMPLE_ASPIRING, load_aspiring_year
from domain.aspiring_principals.start import ASPIRING_PRINCIPAL, AspiringInput, aspiring_id
from domain.fellowship import journey as fs
from domain.fellowship.program import SAMPLE_FELLOWSHIP, Milestone, load_fellowship
from domain.fellowship.start import FELLOWSHIP, FellowshipInput
from pathways.cli import (
    AsJson,
    By,
    attendance_command,
    build,
    command_client,
    console,
    dollars_option,
    fail,
    logged_journeys,
    pathway_group,
    run_command,
    scores_of,
    send_update,
    show_status,
    start_command,
)
from pathways.config import Settings
from workflows.aspiring_principal import AspiringPrincipalJourney
from workflows.fellowship import FellowshipJourney

fellowship_app = pathway_group(
    FELLOWSHIP,
    "University fellowship cohorts (M.Ed. + Tier 1 credential) for aspiring principals.",
)
aspiring_app = pathway_group(
    ASPIRING_PRINCIPAL, "LBUSD Aspiring Principals: Summer Institute, shadowing, VP/AP training."
)
Today = Annotated[str, typer.Option("--on", help="YYYY-MM-DD")]


# --- fellowship ----------------------------------------------------------------------------

ProgramFile = Annotated[
    Path, typer.Option("--program", help="fellowship program definition (TOML)")
]


@fellowship_app.command("apply")
def fellowship_apply(
    employee: Annotated[str, typer.Option(help="HR employee id")],
    program: ProgramFile = SAMPLE_FELLOWSHIP,
    statement: Annotated[str, typer.Option(help="the applicant's statement")] = "",
    submitted_by: Annotated[str, typer.Option("--by")] = "hris",
) -> None:
    """Start a fellow's journey. Starting twice is harmless."""
    definition = load_fellowship(program)
    application = build(
        fs.FellowshipApplication,
        employee_id=employee,
        statement=statement,
        submitted_by=submitted_by,
    )

    start_command(FELLOWSHIP, FellowshipInput(program=definition, application=application))


@fellowship_app.command("decide")
def fellowship_decide(
    fellow: str,
    by: By,
    scores: Annotated[str, typer.Option(help="time,mindset,skillset,experience (1-4 each)")],
    select: Annotated[bool, typer.Option("--select/--decline")] = True,
    note: str = "",
    as_json: AsJson = False,
) -> None:
    """Select (a seat or the waitlist) or decline an applicant."""
    command = build(
        fs.DecideSelection, selected=select, scores=scores_of(scores), decided_by=by, note=note
    )
    send_update(
        fellow,
        FellowshipJourney.decide,
        command,
        fs.FellowshipStatus,
        actor="decided_by",
        as_json=as_json,
    )


@fellowship_app.command("enroll")
def fellowship_enroll(
    fellow: str,
    student_id: Annotated[str, typer.Option(help="the university's student id")],
    on: Today,
    by: Annotated[str, typer.Option("--by")] = "university",
    as_json: AsJson = False,
) -> None:
    """The university reports the fellow enrolled."""
    command = build(
        fs.RecordEnrollment, university_student_id=student_id, enrolled_on=on, reported_by=by
    )
    send_update(
        fellow,
        FellowshipJourney.enroll,
        command,
        fs.FellowshipStatus,
        actor="reported_by",
        as_json=as_json,
    )


attendance_command(
    fellowship_app, ["attend", "pd"], update=FellowshipJourney.record_pd,
    command=fs.RecordSupplementalPD, answer=fs.FellowshipStatus,
    what="a supplemental PD session",
)  # fmt: skip


@fellowship_app.command("milestone")
def fellowship_milestone(
    fellow: str,
    milestone: Annotated[Milestone, typer.Option()],
    on: Today,
    by: Annotated[str, typer.Option("--by", help="university or hris")],
    reference: str = "",
    as_json: AsJson = False,
) -> None:
    """The university or HR reports the M.Ed. conferred or the Tier 1 credential earned."""
    command = build(
        fs.ReportMilestone, milestone=milestone, achieved_on=on, reported_by=by, reference=reference
    )
    send_update(
        fellow,
        FellowshipJourney.report_milestone,
        command,
        fs.FellowshipStatus,
        actor="reported_by",
        as_json=as_json,
    )


@fellowship_app.command("leave")
def fellowship_leave(
    fellow: str,
    on: Today,
    reason: Annotated[str, typer.Option()],
    by: By,
    kind: Annotated[fs.LeaveKind, typer.Option()] = fs.LeaveKind.WITHDREW,
    as_json: AsJson = False,
) -> None:
    """The fellow withdraws or separates before graduating (the rule decides the repayment)."""
    command = build(fs.LeaveFellowship, kind=kind, effective_on=on, reason=reason, recorded_by=by)
    send_update(
        fellow,
        FellowshipJourney.leave,
        command,
        fs.FellowshipStatus,
        actor="recorded_by",
        as_json=as_json,
    )


@fellowship_app.command("waive")
def fellowship_waive(
    fellow: str,
    by: By,
    reason: Annotated[str, typer.Option()],
    amount: Annotated[str | None, typer.Option(help="dollars; all if left out")] = None,
    as_json: AsJson = False,
) -> None:
    """Program office: waive all or part of an early-exit repayment, with the reason."""
    cents = dollars_option("--amount", amount)
    command = build(fs.WaiveEarlyExit, decided_by=by, reason=reason, amount_cents=cents)
    send_update(
        fellow,
        FellowshipJourney.waive,
        command,
        fs.FellowshipStatus,
        actor="decided_by",
        as_json=as_json,
    )


@fellowship_app.command("status")
def fellowship_status(fellow: str, as_json: AsJson = False) -> None:
    """Stage, seat, terms paid, PD, milestones and anything owed."""
    show_status(fellow, fs.FellowshipStatus, as_json=as_json)


@fellowship_app.command("roster")
def fellowship_roster(
    program: Annotated[str, typer.Argument(help="the program id, e.g. plf-2027")],
) -> None:
    """The cohort's seats and waitlist, in order, as the cohort holds them now."""
    from domain.fellowship.cohort import CohortSeats, cohort_id

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        handle = client.get_workflow_handle(cohort_id(program))
        seats = await handle.query("roster", result_type=CohortSeats)
        table = Table("seat / place", "fellow", "journey", title=f"{program}: cohort")
        for fellow, seat in sorted(seats.seats.items(), key=lambda item: item[1]):
            table.add_row(f"seat {seat}", fellow, f"fellowship/{program}/{fellow}")
        for place, fellow in enumerate(seats.waitlist, start=1):
            table.add_row(f"waitlist {place}", fellow, f"fellowship/{program}/{fellow}")
        console.print(table)
        state = "closed" if seats.closed else "open"
        console.print(
            f"{len(seats.seats)} of {seats.capacity} seats taken, {len(seats.waitlist)} "
            f"waiting, {len(seats.released)} gave up a place; enrollment is {state}"
        )

    run_command(work)


@fellowship_app.command("list")
def fellowship_list(program: ProgramFile = SAMPLE_FELLOWSHIP) -> None:
    """Every fellow of a program, from the event log: stage, money paid and owed, milestones."""
    from domain.money import dollars

    definition = load_fellowship(program)

    async def work(settings: Settings) -> None:
        prefix = f"fellowship/{definition.program_id}/"
        fellows = [
            fs.status(fs.fold(events), definition)
            for events in (await logged_journeys(settings, prefix)).values()
        ]
        table = Table(
            "fellow", "stage", "terms paid", "paid", "owed", "milestones", "why it ended",
            title=f"{definition.title}: {len(fellows)} applicants",
        )  # fmt: skip
        for f in fellows:
            table.add_row(
                f"{f.full_name} ({f.employee_id})",
                f.outcome or f.stage.value,
                ", ".join(f.terms_paid) or "-",
                dollars(f.disbursed_cents),
                dollars(f.owed_cents),
                ", ".join(Milestone(m).label for m in f.milestones) or "-",
                f.end_reason or "",
            )
        table.add_row(
            "total", "", "", dollars(sum(f.disbursed_cents for f in fellows)),
            dollars(sum(f.owed_cents for f in fellows)), "", "",
        )  # fmt: skip
        console.print(table)

    run_command(work)


@fellowship_app.command("check")
def fellowship_check(program: ProgramFile = SAMPLE_FELLOWSHIP) -> None:
    """Validate a fellowship program file and summarise it."""
    console.print(load_fellowship(program).describe())


# --- aspiring principals -------------------------------------------------------------------

YearFile = Annotated[
    Path, typer.Option("--year", help="Aspiring Principals year definition (TOML)")
]


@aspiring_app.command("apply")
@aspiring_app.command("nominate", hidden=True)
def aspiring_nominate(
    employee: Annotated[str, typer.Option(help="HR employee id")],
    tier1: Annotated[str, typer.Option(help="date the Tier I credential was earned")],
    year: YearFile = SAMPLE_ASPIRING,
    by: Annotated[str, typer.Option("--by")] = "hris",
) -> None:
    """Start an aspiring principal's year. Starting twice is harmless."""
    definition = load_aspiring_year(year)
    nomination = build(
        ap.AspiringNomination, employee_id=employee, tier1_credential_on=tier1, nominated_by=by
    )
    start_command(ASPIRING_PRINCIPAL, AspiringInput(year=definition, nomination=nomination))


attendance_command(
    aspiring_app, ["institute"], update=AspiringPrincipalJourney.record_institute_day,
    command=ap.RecordInstituteDay, answer=ap.AspiringStatus, what="a Summer Institute day",
    session_option="--day",
)  # fmt: skip


@aspiring_app.command("offer-shadowing")
def aspiring_offer(
    participant: str,
    mentor: Annotated[str, typer.Option(help="mentor principal's id")],
    by: By,
    as_json: AsJson = False,
) -> None:
    """Place the participant with a mentor principal for the school year."""
    command = build(ap.OfferShadowing, mentor_id=mentor, offered_by=by)
    send_update(
        participant,
        AspiringPrincipalJourney.offer_shadowing,
        command,
        ap.AspiringStatus,
        actor="offered_by",
        as_json=as_json,
    )


@aspiring_app.command("log-shadow")
def aspiring_log(
    participant: str,
    on: Today,
    hours: Annotated[str, typer.Option(help="e.g. 4.5")],
    focus: Annotated[str, typer.Option(help="what was shadowed")],
    by: By,
    reflection: str = "",
    as_json: AsJson = False,
) -> None:
    """Add a shadow-log entry (one per day)."""
    try:
        amount = Decimal(hours)
    except ArithmeticError:
        fail(f"--hours: {hours!r} is not a number")
    command = build(
        ap.LogShadow, on=on, hours=amount, focus=focus, reflection=reflection, logged_by=by
    )
    send_update(
        participant,
        AspiringPrincipalJourney.log_shadow,
        command,
        ap.AspiringStatus,
        actor="logged_by",
        as_json=as_json,
    )


attendance_command(
    aspiring_app, ["training"], update=AspiringPrincipalJourney.record_vp_training,
    command=ap.RecordVpTraining, answer=ap.AspiringStatus,
    what="a vice/assistant principal's leadership training session",
)  # fmt: skip


@aspiring_app.command("coaching")
def aspiring_coaching(
    participant: str,
    on: Today,
    coach: Annotated[str, typer.Option()],
    focus: Annotated[str, typer.Option()],
    as_json: AsJson = False,
) -> None:
    """Record a coaching session for a vice/assistant principal."""
    command = build(ap.RecordCoaching, on=on, coach=coach, focus=focus)
    send_update(
        participant,
        AspiringPrincipalJourney.record_coaching,
        command,
        ap.AspiringStatus,
        actor="coach",
        as_json=as_json,
    )


@aspiring_app.command("withdraw")
def aspiring_withdraw(
    participant: str, by: By, reason: Annotated[str, typer.Option()], as_json: AsJson = False
) -> None:
    """End the participant's year early."""
    command = build(ap.WithdrawAspiring, reason=reason, withdrawn_by=by)
    send_update(
        participant,
        AspiringPrincipalJourney.withdraw,
        command,
        ap.AspiringStatus,
        actor="withdrawn_by",
        as_json=as_json,
    )


@aspiring_app.command("status")
def aspiring_status(participant: str, as_json: AsJson = False) -> None:
    """Institute days, shadowing, training, coaching, and what is complete or missing."""
    show_status(participant, ap.AspiringStatus, as_json=as_json)


@aspiring_app.command("list")
def aspiring_list(year: YearFile = SAMPLE_ASPIRING, as_json: AsJson = False) -> None:
    """Every participant of a year, from the event log: stage, institute days, shadowing,
    training, coaching, and how many components are missing (`status` names them)."""
    definition = load_aspiring_year(year)

    async def work(settings: Settings) -> None:
        prefix = aspiring_id(definition.program_year, "")
        people = [
            ap.status(ap.fold(events), definition)
            for events in (await logged_journeys(settings, prefix)).values()
        ]
        if as_json:
            console.print_json(json.dumps([p.model_dump(mode="json") for p in people]))
            return
        table = Table(
            "participant", "stage", "institute", "mentor", "shadowing", "training", "coaching",
            "missing", title=f"Aspiring Principals {definition.program_year}: {len(people)}",
        )  # fmt: skip
        for a in people:
            table.add_row(
                f"{a.full_name} ({a.employee_id})",
                a.stage.value,
                f"{a.institute_days_present} day(s)",
                a.mentor or "-",
                f"{a.shadow_hours} h in {a.shadow_logs} log(s)",
                str(a.vp_training_present),
                str(a.coaching_sessions),
                a.end_reason or (f"{len(a.missing)} missing" if a.missing else "complete"),
            )
        console.print(table)

    run_command(work)
