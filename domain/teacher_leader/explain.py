"""How each event of Teacher Leader Pathways reads in an auditor's timeline (`audit explain`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.calendar import shown
from domain.coaching import assigned_in_words
from domain.events import DomainEvent
from domain.money import dollars
from domain.teacher_leader import events as tl


def _stipend(e: tl.StipendDecided) -> str:
    if e.paid:
        return f"stipend paid: {dollars(e.amount_cents)} to the {e.role.label}. Rule: {e.rule}"
    return "stipend withheld: " + "; ".join(e.reasons) + f". Rule: {e.rule}"


def _reimbursement(e: tl.SubstituteReimbursementDecided) -> str:
    return (
        f"substitute reimbursement to {e.school_id}: {dollars(e.amount_cents)} = "
        f"{e.substitute_days} day(s) x {dollars(e.daily_rate_cents)} x partner share "
        f"{e.partner_share} (sessions: {', '.join(e.sessions) or 'none'})"
    )


SENTENCES: Mapping[type[DomainEvent], Callable[[Any], str]] = {
    tl.CoachAssigned: assigned_in_words,
    tl.ApplicationSubmitted: lambda e: (
        f"applied as {e.role.label} at {e.school_id}" + (f" ({e.cohort.value})" if e.cohort else "")
    ),
    tl.ApplicantIdentified: lambda e: f"HR identified the applicant: {e.full_name}",
    tl.ApplicationDecided: lambda e: (
        f"application {e.outcome.value} (time {e.scores.time}, "
        f"mindset {e.scores.mindset}, skillset {e.scores.skillset}, experience "
        f"{e.scores.experience})" + (f": {e.note}" if e.note else "")
    ),
    tl.CommitmentRequested: lambda e: (
        f"joint commitment sent to principal {e.principal_id}, due {shown(e.deadline)}"
    ),
    tl.CommitmentReminderSent: lambda e: (
        f"reminder {e.days_before} days before the deadline "
        f"to the {', '.join(s.value for s in e.awaiting)}"
    ),
    tl.CommitmentSigned: lambda e: f"joint commitment signed by the {e.signer.value}",
    tl.JoinedInstructionalLeadershipTeam: lambda e: f"joined the ILT of {e.school_id}",
    tl.ApplicationLapsed: lambda e: f"application lapsed: {e.reason}",
    tl.AttendanceRecorded: lambda e: f"{e.status.value} at {e.session_id}",
    tl.MakeUpRecorded: lambda e: f"make-up for {e.session_id} completed {e.completed_on}",
    tl.CoachingStepRecorded: lambda e: f"coaching {e.cycle_id}: {e.step.value}",
    tl.DeliverableSubmitted: lambda e: f"deliverable {e.deliverable_id} submitted",
    tl.DeliverableReviewed: lambda e: (
        f"deliverable {e.deliverable_id} "
        + ("accepted" if e.accepted else f"returned: {e.comment}")
    ),
    tl.YearClosed: lambda e: "year closed" + (" early" if e.early else " on its date"),
    tl.StipendDecided: _stipend,
    tl.SubstituteReimbursementDecided: _reimbursement,
    tl.PaymentRequested: lambda e: (
        f"payroll asked for {dollars(e.amount_cents)} "
        f"({e.kind}) to {e.payee_id}, key {e.idempotency_key}, reference {e.payroll_reference}"
    ),
    tl.NoticeSent: lambda e: f"notice to {e.recipient_id}: {e.subject}",
    tl.JourneyWithdrawn: lambda e: f"withdrawn by {e.withdrawn_by}: {e.reason}",
    tl.SeparationRecorded: lambda e: f"separated on {e.effective_on}: {e.reason}",
    tl.JourneyEnded: lambda e: f"journey ended: {e.outcome}",
}
