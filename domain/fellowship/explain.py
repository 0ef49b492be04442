"""How each event of a fellowship and its cohort reads in a timeline (`audit explain`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.events import DomainEvent
from domain.fellowship import cohort as fc
from domain.fellowship import journey as fs
from domain.money import dollars

SENTENCES: Mapping[type[DomainEvent], Callable[[Any], str]] = {
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
}
