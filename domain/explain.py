"""A journey's events as a timeline a person can read: who did what when, and why money moved."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from domain.aspiring_principals import journey as ap
from domain.events import DomainEvent
from domain.fellowship import cohort as fc
from domain.fellowship import journey as fs
from domain.money import dollars
from domain.service_commitment import journey as sc
from domain.teacher_leader import events as tl


@dataclass(frozen=True)
class Line:
    when: str
    actor: str
    what: str


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


def _repayment(e: sc.RepaymentDetermined) -> str:
    c = e.computation
    return (
        f"repayment determined: {dollars(c.owed_cents)} ({c.explanation}); served "
        f"{c.served_months} of {c.obligation_months} months, credited {c.credited_months} "
        f"({c.crediting.value}), assistance {dollars(c.assistance_cents)}"
    )


TEMPLATES: dict[type[DomainEvent], Callable[[Any], str]] = {
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
        f"joint commitment sent to principal {e.principal_id}, due {e.deadline.isoformat()}"
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
    sc.CommitmentStarted: lambda e: (
        f"service commitment of {e.obligation_years} years began "
        f"on graduation {e.graduated_on}; assistance {dollars(e.assistance_cents)}; "
        f"deadline {e.deadline}"
    ),
    sc.RoleChanged: lambda e: f"role changed to {e.role} from {e.effective_on}",
    sc.SchoolTransferred: lambda e: f"transferred to {e.school_id} from {e.effective_on}",
    sc.LeaveStarted: lambda e: (
        f"leave ({e.reason}) from {e.effective_on}" + (", clock paused" if e.defers else "")
    ),
    sc.LeaveEnded: lambda e: f"leave ended {e.effective_on}",
    sc.SeparationRecorded: lambda e: f"separated on {e.effective_on}: {e.reason}",
    sc.ServiceVerified: lambda e: (
        f"anniversary {e.anniversary}: HR reports {e.hr_role} at "
        f"{e.hr_school_id} ({e.hr_status}); "
        + ("matches" if e.matches else "DIFFERS from the record")
    ),
    sc.ObligationCompleted: lambda e: (
        f"obligation completed on {e.completed_on} ({e.served_months} months)"
    ),
    sc.ObligationBreached: lambda e: f"obligation breached on {e.breached_on}: {e.reason}",
    sc.RepaymentDetermined: _repayment,
    sc.RepaymentWaived: lambda e: (
        f"waived {dollars(e.waived_cents)} by {e.decided_by}: "
        f"{e.reason}; {dollars(e.remaining_cents)} remains"
    ),
    sc.RepaymentRequested: lambda e: (
        f"payroll asked for {dollars(e.amount_cents)}, key "
        f"{e.idempotency_key}, reference {e.payroll_reference}"
    ),
    sc.CommitmentNoticeSent: lambda e: f"notice to the {e.recipient}: {e.subject}",
    sc.CommitmentEnded: lambda e: f"commitment ended: {e.outcome}",
    fs.FellowshipApplied: lambda e: f"applied to fellowship {e.program_id}",
    fs.FellowIdentified: lambda e: (
        f"HR identified the applicant: {e.full_name}, {e.role} at {e.school_id}"
    ),
    fs.ApplicationIneligible: lambda e: f"not eligible: {e.reason}",
    fs.SelectionDecided: lambda e: (
        ("selected" if e.selected else "not selected")
        + f" (time {e.scores.time}, mindset {e.scores.mindset}, skillset {e.scores.skillset}, "
        f"experience {e.scores.experience})" + (f": {e.note}" if e.note else "")
    ),
    fs.SeatGranted: lambda e: (
        f"seat {e.seat} in the cohort" + (" (from the waitlist)" if e.from_waitlist else "")
    ),
    fs.Waitlisted: lambda e: f"cohort full: waitlisted at position {e.position}",
    fs.WaitlistExpired: lambda e: f"not admitted: {e.reason}",
    fs.Enrolled: lambda e: (
        f"enrolled at the university on {e.enrolled_on} (student id {e.university_student_id})"
    ),
    fs.EnrollmentLapsed: lambda e: f"lapsed: {e.reason}",
    fs.DisbursementPaid: lambda e: (
        f"financial assistance for {e.term_id}: payroll asked for {dollars(e.amount_cents)}, "
        f"key {e.idempotency_key}, reference {e.payroll_reference}"
    ),
    fs.SupplementalPDRecorded: lambda e: f"{e.status.value} at {e.session_id}",
    fs.MilestoneReported: lambda e: f"{e.milestone.label} on {e.achieved_on}",
    fs.Graduated: lambda e: (
        f"graduated {e.graduated_on}; assistance received {dollars(e.assistance_cents)}"
    ),
    fs.ServiceCommitmentBegun: lambda e: f"service commitment started: {e.commitment_workflow_id}",
    fs.LeftProgram: lambda e: (
        f"left the fellowship ({e.kind.value}) on {e.effective_on}: {e.reason}"
    ),
    fs.EarlyExitRepaymentDetermined: lambda e: (
        f"repayment determined: {dollars(e.owed_cents)} of {dollars(e.disbursed_cents)} paid, "
        f"rule {e.rule.value}: {e.explanation}"
    ),
    fs.EarlyExitRepaymentWaived: lambda e: (
        f"waived {dollars(e.waived_cents)} by {e.decided_by}: "
        f"{e.reason}; {dollars(e.remaining_cents)} remains"
    ),
    fs.EarlyExitRepaymentRequested: lambda e: (
        f"payroll asked for {dollars(e.amount_cents)}, key "
        f"{e.idempotency_key}, reference {e.payroll_reference}"
    ),
    fs.FellowNoticeSent: lambda e: f"notice to the {e.recipient}: {e.subject}",
    fs.FellowshipEnded: lambda e: f"fellowship ended: {e.outcome}",
    fc.SeatClaimed: lambda e: (
        f"{e.fellow_id}: seat {e.seat}"
        if e.seat is not None
        else f"{e.fellow_id}: waitlist position {e.waitlist_position}"
    ),
    fc.SeatReleased: lambda e: f"{e.fellow_id} gave up their place: {e.reason}",
    fc.SeatOffered: lambda e: f"seat {e.seat} offered to {e.fellow_id} from the waitlist",
    fc.CohortClosed: lambda e: (
        f"cohort closed: {len(e.seated)} seated; waitlist expired for "
        f"{', '.join(e.waitlist_expired) or 'nobody'}"
    ),
    ap.AspiringJoined: lambda e: (
        f"joined Aspiring Principals {e.program_year} (Tier I credential {e.tier1_credential_on})"
    ),
    ap.AspiringIdentified: lambda e: f"HR identified {e.full_name}, {e.role} at {e.school_id}",
    ap.AspiringIneligible: lambda e: f"not eligible: {e.reason}",
    ap.InstituteAttendanceRecorded: lambda e: f"{e.status.value} at {e.session_id}",
    ap.ShadowingPlaced: lambda e: (
        f"shadowing fellowship with {e.mentor_name} ({e.mentor_id}) at {e.mentor_school_id}"
    ),
    ap.ShadowLogged: lambda e: f"shadowed {e.hours} hours on {e.on}: {e.focus}",
    ap.VpTrainingRecorded: lambda e: f"{e.status.value} at training {e.session_id}",
    ap.CoachingSessionRecorded: lambda e: f"coaching on {e.on} with {e.coach}: {e.focus}",
    ap.AspiringWithdrawn: lambda e: f"withdrawn by {e.withdrawn_by}: {e.reason}",
    ap.AspiringYearSummed: lambda e: (
        "year closed. Completed: "
        + ("; ".join(e.completed) or "nothing")
        + (". Missing: " + "; ".join(e.missing) if e.missing else "")
    ),
    ap.AspiringNoticeSent: lambda e: f"notice to the {e.recipient}: {e.subject}",
    ap.AspiringEnded: lambda e: f"year ended: {e.outcome}",
}


def explain(events: Iterable[tuple[DomainEvent, str]]) -> list[Line]:
    """Each (event, actor) as a line; an event type without a template is still listed."""
    lines = []
    for event, actor in events:
        template = TEMPLATES.get(type(event))
        what = template(event) if template else f"{event.event_type} {event.payload()}"
        lines.append(Line(event.occurred_at.isoformat(timespec="minutes"), actor, what))
    return lines
