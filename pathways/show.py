"""What a person reads: a journey's status as a short table, an answer as one sentence.

Machines ask for `--json` and get the status as the journey answers it (amounts in cents);
people get money in dollars.
"""

from __future__ import annotations

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from domain.aspiring_principals.journey import AspiringStatus
from domain.catalog.journey import ProgramStatus
from domain.fellowship.journey import FellowshipStatus
from domain.money import dollars
from domain.service_commitment.journey import CommitmentStatus
from domain.teacher_leader.journey import JourneyStatus

Facts = list[tuple[str, str]]


def _teacher_leader(s: JourneyStatus) -> tuple[str, Facts]:
    role = s.role.label if s.role else "applicant"
    if s.stipend is not None:
        stipend = f"{'paid' if s.stipend.paid else 'withheld'} ({dollars(s.stipend.amount_cents)})"
    else:
        stipend = f"{dollars(s.stipend_cents_if_met)} if every requirement is met"
    facts: Facts = [("stage", s.stage.value)]
    if s.awaiting_signatures:
        facts.append(("awaiting", ", ".join(x.value for x in s.awaiting_signatures)))
    facts += [
        ("attendance", ", ".join(f"{k} {v}" for k, v in s.attendance.items()) or "none yet"),
        ("coaching", "; ".join(
            f"{c.cycle_id} {len(c.steps_done)}/4" + (" done" if c.complete else "")
            for c in s.coaching
        ) or "-"),
        ("deliverables", ", ".join(f"{k} {v}" for k, v in s.deliverables.items()) or "none yet"),
        ("stipend", stipend),
        ("reimbursement", dollars(s.reimbursement_cents)),
    ]  # fmt: skip
    facts += [("blocked by", b) for b in s.stipend_blockers]
    if s.end_reason:
        facts.append(("ended", s.end_reason))
    return f"{s.full_name or s.employee_id}, {role} at {s.school_id} ({s.program_year})", facts


def _fellowship(s: FellowshipStatus) -> tuple[str, Facts]:
    place = f"seat {s.seat}" if s.seat else (
        f"waitlist {s.waitlist_position}" if s.waitlist_position else "-"
    )  # fmt: skip
    facts: Facts = [
        ("stage", s.outcome or s.stage.value),
        ("place", place),
        ("terms paid", ", ".join(s.terms_paid) or "none"),
        ("assistance paid", dollars(s.disbursed_cents)),
        ("PD", f"{len(s.pd_attended)} attended, {len(s.pd_missed)} missed"),
        ("milestones", ", ".join(f"{k} {v}" for k, v in s.milestones.items()) or "none yet"),
        ("owed", dollars(s.owed_cents)),
    ]
    if s.commitment_workflow_id:
        facts.append(("commitment", s.commitment_workflow_id))
    if s.end_reason:
        facts.append(("ended", s.end_reason))
    return f"{s.full_name or s.employee_id}, fellowship {s.program_id}", facts


def _aspiring(s: AspiringStatus) -> tuple[str, Facts]:
    facts: Facts = [
        ("stage", s.stage.value),
        ("institute days", str(s.institute_days_present)),
        ("shadowing", f"{s.mentor or 'no mentor yet'}: {s.shadow_logs} entries, "
            f"{s.shadow_hours} hours"),
        ("VP/AP training", f"{s.vp_training_present} session(s) attended"),
        ("coaching", f"{s.coaching_sessions} session(s)"
            + (f" with coach:{s.coach_id}" if s.coach_id else "")),
    ]  # fmt: skip
    facts += [("complete", c) for c in s.completed] + [("missing", m) for m in s.missing]
    if s.end_reason:
        facts.append(("ended", s.end_reason))
    return f"{s.full_name or s.employee_id}, {s.role}, Aspiring Principals", facts


def _commitment(s: CommitmentStatus) -> tuple[str, Facts]:
    if s.starting:  # HR's record of the fellow is still being read: nothing served is known
        starting: Facts = [
            ("standing", "starting: reading HR's record of the fellow"),
            ("deadline", str(s.deadline or "-")),
        ]
        if s.separated_on:
            starting.append(("separated", str(s.separated_on)))
        if s.held_hr_changes:
            starting.append(
                ("held", f"{s.held_hr_changes} HR change(s), applied once HR's record of the "
                         "fellow is read")
            )  # fmt: skip
        return f"{s.fellow_id}, service commitment as of {s.as_of}", starting
    facts: Facts = [
        ("standing", s.standing.value),
        ("serving", f"{s.role or '-'} at {s.school_id or '-'}"
            + ("" if s.qualifying_now else " (not qualifying)")
            + (" (on leave)" if s.on_leave else "")),
        ("served", f"{s.served_months} months, {s.remaining_months} to go"),
        ("paused", f"{s.paused_days} days"),
        ("deadline", str(s.deadline or "-")),
        ("owed if left today", dollars(s.owed_if_left_today_cents)),
        ("owed", dollars(s.owed_cents)),
    ]  # fmt: skip
    if s.separated_on:
        facts.append(("separated", str(s.separated_on)))
    facts += [("waived", w) for w in s.waivers]
    return f"{s.fellow_id}, service commitment as of {s.as_of}", facts


def _program(s: ProgramStatus) -> tuple[str, Facts]:
    year = f"year {s.year_in_program} of {s.years}, " if s.years > 1 else ""
    facts: Facts = [("stage", s.stage.value), ("hours", str(s.hours))]
    if s.coach_id:
        facts.append(("coach", f"coach:{s.coach_id}"))
    facts += [(("" if p.required else "optional: ") + p.title, p.progress) for p in s.parts]
    if s.completed_on:
        facts.append(("completed", str(s.completed_on)))
    if s.certified_until:
        facts.append(("certified until", str(s.certified_until)))
    if s.renewal_opens:
        facts.append(("renewal opens", str(s.renewal_opens)))
    if s.end_reason:
        facts.append(("ended" if s.stage.value != "paused" else "paused", s.end_reason))
    title = (
        f"{s.full_name or s.employee_id}, {s.program_title} {s.school_year} ({year}cycle {s.cycle})"
    )
    return title, facts


def status_facts(status: BaseModel) -> tuple[str, Facts]:
    if isinstance(status, JourneyStatus):
        return _teacher_leader(status)
    if isinstance(status, FellowshipStatus):
        return _fellowship(status)
    if isinstance(status, AspiringStatus):
        return _aspiring(status)
    if isinstance(status, CommitmentStatus):
        return _commitment(status)
    if isinstance(status, ProgramStatus):
        return _program(status)
    raise TypeError(f"no view of {type(status).__name__}")


def status_table(journey: str, status: BaseModel) -> Table:
    title, facts = status_facts(status)
    table = Table(title=f"{journey}: {title}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in facts:
        table.add_row(label, value)
    return table


def sentence(journey: str, status: BaseModel) -> str:
    """One line after an action: where the journey now stands."""
    _, facts = status_facts(status)
    stage = facts[0][1]
    blockers = sum(label == "blocked by" for label, _ in facts)
    more = f"; {blockers} thing(s) still block the stipend" if blockers else ""
    owed = dict(facts).get("owed")
    if owed and owed != dollars(0):
        more += f"; {owed} owed"
    return f"recorded: {journey} is {stage}{more}"


def emit(
    console: Console, journey: str, status: BaseModel, *, as_json: bool, after: bool = False
) -> None:
    """Print a status for machines (`--json`) or people (a sentence after an action, a table
    when asked)."""
    if as_json:
        console.print_json(status.model_dump_json())
    elif after:
        console.print(sentence(journey, status), highlight=False, soft_wrap=True)
    else:
        console.print(status_table(journey, status))
