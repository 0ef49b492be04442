"""One fellow's journey through a university fellowship: events, state, commands and rules.

Stages: applied -> (selected ->) admitted or waitlisted -> enrolled -> graduated, or one of the
endings: declined, ineligible, not admitted (the waitlist expired), lapsed (never enrolled),
left (withdrew, separated, or did not finish by the graduation deadline). Leaving after money
was paid owes what `EarlyExitRepayment` says, open to a waiver by the program office.

`fold(events)` rebuilds the state; each `decide_*` returns the events a command causes or
raises `FellowshipRefusal` with words a program officer can act on. Workflows run the same
functions in their update validators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from domain import milestones, waivers
from domain.attendance import (
    AttendanceStatus,
    RecordSessionAttendance,
    SessionAttendanceRecorded,
    check_mark,
)
from domain.calendar import is_after_today, not_yet
from domain.commands import Command
from domain.events import DomainEvent, Notice
from domain.fellowship.program import EarlyExitRepayment, FellowshipProgram, Milestone
from domain.milestones import MilestoneReport
from domain.money import dollars
from domain.payments import PaymentSent
from domain.refusals import Refusal
from domain.teacher_leader.events import SelectionScores
from domain.waivers import RepaymentWaiver, WaiveRepayment

NewId = Callable[[], UUID]


class FellowshipRefusal(Refusal):
    """A command the fellowship journey cannot accept, in words to act on."""


# --- events --------------------------------------------------------------------------------


class FellowshipApplied(DomainEvent):
    event_type = "fellowship.FellowshipApplied"

    employee_id: str
    program_id: str
    submitted_by: str
    statement: str = ""


class FellowIdentified(DomainEvent):
    """Who applied, as HR had them when the journey began."""

    event_type = "fellowship.FellowIdentified"

    full_name: str
    email: str
    role: str
    school_id: str | None


class ApplicationIneligible(DomainEvent):
    event_type = "fellowship.ApplicationIneligible"

    reason: str


class SelectionDecided(DomainEvent):
    event_type = "fellowship.SelectionDecided"

    selected: bool
    scores: SelectionScores
    decided_by: str
    note: str = ""


class SeatGranted(DomainEvent):
    event_type = "fellowship.SeatGranted"

    seat: int
    from_waitlist: bool


class Waitlisted(DomainEvent):
    event_type = "fellowship.Waitlisted"

    position: int


class WaitlistExpired(DomainEvent):
    event_type = "fellowship.WaitlistExpired"

    reason: str


class Enrolled(DomainEvent):
    event_type = "fellowship.Enrolled"

    university_student_id: str
    enrolled_on: date
    reported_by: str


class EnrollmentLapsed(DomainEvent):
    event_type = "fellowship.EnrollmentLapsed"

    reason: str


class DisbursementPaid(PaymentSent):
    event_type = "fellowship.DisbursementPaid"

    term_id: str


class SupplementalPDRecorded(SessionAttendanceRecorded):
    event_type = "fellowship.SupplementalPDRecorded"


class MilestoneReported(MilestoneReport):
    event_type = "fellowship.MilestoneReported"

    milestone: Milestone


class Graduated(DomainEvent):
    event_type = "fellowship.Graduated"

    graduated_on: date
    assistance_cents: int


class ServiceCommitmentBegun(DomainEvent):
    event_type = "fellowship.ServiceCommitmentBegun"

    commitment_workflow_id: str
    assistance_cents: int


class LeaveKind(StrEnum):
    WITHDREW = "withdrew"
    SEPARATED = "separated"
    DID_NOT_COMPLETE = "did_not_complete"


class LeftProgram(DomainEvent):
    event_type = "fellowship.LeftProgram"

    kind: LeaveKind
    effective_on: date
    reason: str
    recorded_by: str


class EarlyExitRepaymentDetermined(DomainEvent):
    event_type = "fellowship.EarlyExitRepaymentDetermined"

    rule: EarlyExitRepayment
    disbursed_cents: int
    owed_cents: int
    explanation: str


class EarlyExitRepaymentWaived(RepaymentWaiver):
    event_type = "fellowship.EarlyExitRepaymentWaived"


class EarlyExitRepaymentRequested(PaymentSent):
    event_type = "fellowship.EarlyExitRepaymentRequested"


class FellowNoticeSent(Notice):
    event_type = "fellowship.FellowNoticeSent"


class FellowshipEnded(DomainEvent):
    event_type = "fellowship.FellowshipEnded"

    outcome: str


# --- state ---------------------------------------------------------------------------------


class Stage(StrEnum):
    APPLIED = "applied"
    SELECTED = "selected"  # selected; the cohort is being asked for a seat
    WAITLISTED = "waitlisted"
    ADMITTED = "admitted"
    ENROLLED = "enrolled"
    GRADUATED = "graduated"
    DECLINED = "declined"
    INELIGIBLE = "ineligible"
    NOT_ADMITTED = "not_admitted"
    LAPSED = "lapsed"
    LEFT = "left"


OPEN = {Stage.APPLIED, Stage.SELECTED, Stage.WAITLISTED, Stage.ADMITTED, Stage.ENROLLED}


class Fellow(BaseModel):
    employee_id: str = ""
    program_id: str = ""
    full_name: str = ""
    email: str = ""
    role: str = ""
    school_id: str | None = None
    stage: Stage = Stage.APPLIED
    scores: SelectionScores | None = None
    seat: int | None = None
    waitlist_position: int | None = None
    university_student_id: str | None = None
    enrolled_on: date | None = None
    disbursed: dict[str, int] = Field(default_factory=dict)
    pd: dict[str, AttendanceStatus] = Field(default_factory=dict)
    milestones: dict[Milestone, date] = Field(default_factory=dict)
    graduated_on: date | None = None
    commitment_workflow_id: str | None = None
    left: LeaveKind | None = None
    left_on: date | None = None
    end_reason: str | None = None
    repayment_determined: bool = False
    owed_cents: int = 0
    waivers: list[str] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list, description="subjects e-mailed, in order")
    repayment_reference: str | None = None
    ended: str | None = None

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN

    @property
    def disbursed_cents(self) -> int:
        return sum(self.disbursed.values())

    @property
    def holds_seat(self) -> bool:
        return self.seat is not None

    def milestones_complete(self) -> bool:
        return milestones.is_complete(self.milestones, list(Milestone))


def evolve(f: Fellow, event: DomainEvent) -> Fellow:
    f = f.model_copy(deep=True)
    match event:
        case FellowshipApplied():
            f.employee_id, f.program_id = event.employee_id, event.program_id
        case FellowIdentified():
            f.full_name, f.email = event.full_name, event.email
            f.role, f.school_id = event.role, event.school_id
        case ApplicationIneligible():
            f.stage, f.end_reason = Stage.INELIGIBLE, event.reason
        case SelectionDecided():
            f.scores = event.scores
            f.stage = Stage.SELECTED if event.selected else Stage.DECLINED
            if not event.selected:
                f.end_reason = event.note or "not selected"
        case SeatGranted():
            f.stage, f.seat, f.waitlist_position = Stage.ADMITTED, event.seat, None
        case Waitlisted():
            f.stage, f.waitlist_position = Stage.WAITLISTED, event.position
        case WaitlistExpired():
            f.stage, f.end_reason = Stage.NOT_ADMITTED, event.reason
        case Enrolled():
            f.stage = Stage.ENROLLED
            f.university_student_id, f.enrolled_on = event.university_student_id, event.enrolled_on
        case EnrollmentLapsed():
            f.stage, f.end_reason = Stage.LAPSED, event.reason
        case DisbursementPaid():
            f.disbursed[event.term_id] = event.amount_cents
        case SupplementalPDRecorded():
            f.pd[event.session_id] = event.status
        case MilestoneReported():
            f.milestones = milestones.record(f.milestones, event.milestone, event.achieved_on)
        case Graduated():
            f.stage, f.graduated_on = Stage.GRADUATED, event.graduated_on
        case ServiceCommitmentBegun():
            f.commitment_workflow_id = event.commitment_workflow_id
        case LeftProgram():
            f.stage, f.left, f.left_on = Stage.LEFT, event.kind, event.effective_on
            f.end_reason = event.reason
        case EarlyExitRepaymentDetermined():
            f.repayment_determined, f.owed_cents = True, event.owed_cents
        case EarlyExitRepaymentWaived():
            f.owed_cents = event.remaining_cents
            f.waivers.append(event.reason)
        case EarlyExitRepaymentRequested():
            f.repayment_reference = event.payroll_reference
        case FellowshipEnded():
            f.ended = event.outcome
        case FellowNoticeSent():
            f.notices.append(event.subject)
        case _:
            raise TypeError(f"a fellowship journey has no event {event.event_type}")
    return f


def graduation_date(f: Fellow) -> date:
    """A fellow graduates on the day the last of the university's milestones was reported."""
    return milestones.completed_on(f.milestones)


def did_not_complete_reason(f: Fellow, program: FellowshipProgram) -> str:
    """Why a fellow still enrolled at the program's graduate-by date did not complete."""
    missing = [m.label for m in milestones.missing(f.milestones, list(Milestone))]
    until = program.graduate_by.isoformat()
    return f"did not finish by {until}: {' and '.join(missing)} not reported"


def fold(events: Iterable[DomainEvent], fellow: Fellow | None = None) -> Fellow:
    f = fellow or Fellow()
    for event in events:
        f = evolve(f, event)
    return f


# --- commands ------------------------------------------------------------------------------


class FellowshipApplication(Command):
    employee_id: str = Field(min_length=1)
    submitted_by: str = Field("hris", min_length=1)
    statement: str = Field("", max_length=4000)


class DecideSelection(Command):
    selected: bool
    scores: SelectionScores
    decided_by: str = Field(min_length=1)
    note: str = ""


class RecordEnrollment(Command):
    university_student_id: str = Field(min_length=1, max_length=64)
    enrolled_on: date
    reported_by: str = Field("university", min_length=1)


class RecordSupplementalPD(RecordSessionAttendance):
    pass


class ReportMilestone(Command):
    milestone: Milestone
    achieved_on: date
    reported_by: str = Field(min_length=1, description="the university or HR")
    reference: str = ""


class LeaveFellowship(Command):
    kind: LeaveKind = LeaveKind.WITHDREW
    effective_on: date
    reason: str = Field(min_length=1)
    recorded_by: str = Field(min_length=1)


WaiveEarlyExit = WaiveRepayment


# --- decisions -----------------------------------------------------------------------------


def check_eligibility(program: FellowshipProgram, role: str) -> str | None:
    """Why HR's job title cannot apply, or None."""
    if role in program.eligible_roles:
        return None
    allowed = ", ".join(program.eligible_roles)
    return f"HR lists the applicant as {role!r}; the fellowship is open to {allowed}"


def decide_selection(
    f: Fellow, program: FellowshipProgram, cmd: DecideSelection, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    if f.stage is not Stage.APPLIED:
        raise FellowshipRefusal(
            f"the application was already decided (stage: {f.stage.value})",
            code="application.already_decided",
        )
    if not f.full_name:
        raise FellowshipRefusal(
            "the applicant is still being looked up in HR; try again shortly",
            code="journey.starting",
        )
    if now > program.selection_closes_at:
        raise FellowshipRefusal(
            f"selection closed at {program.selection_closes_at.isoformat()}",
            code="selection.closed",
        )
    return [
        SelectionDecided(
            event_id=new_id(),
            occurred_at=now,
            selected=cmd.selected,
            scores=cmd.scores,
            decided_by=cmd.decided_by,
            note=cmd.note,
        )
    ]


def decide_enrollment(
    f: Fellow, program: FellowshipProgram, cmd: RecordEnrollment, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    if f.stage is Stage.ENROLLED and f.university_student_id == cmd.university_student_id:
        return []  # the university sent the same report again
    if f.stage is not Stage.ADMITTED:
        raise FellowshipRefusal(
            f"only an admitted fellow can enroll (stage: {f.stage.value})",
            code="enrollment.not_admitted",
        )
    if now > program.enrollment_closes_at:
        raise FellowshipRefusal(
            f"enrollment closed at {program.enrollment_closes_at.isoformat()}",
            code="enrollment.closed",
        )
    if problem := not_yet("enrolled_on", cmd.enrolled_on, now, program.time_zone):
        raise FellowshipRefusal(problem, code="date.in_future")
    return [
        Enrolled(
            event_id=new_id(),
            occurred_at=now,
            university_student_id=cmd.university_student_id,
            enrolled_on=cmd.enrolled_on,
            reported_by=cmd.reported_by,
        )
    ]


def decide_pd(
    f: Fellow, program: FellowshipProgram, cmd: RecordSupplementalPD, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    if f.stage is not Stage.ENROLLED:
        raise FellowshipRefusal(
            f"PD is recorded for enrolled fellows (stage: {f.stage.value})",
            code="enrollment.required",
        )
    session = program.session(cmd.session_id)
    if session is None:
        known = ", ".join(s.session_id for s in program.supplemental_pd) or "none"
        raise FellowshipRefusal(
            f"unknown session {cmd.session_id!r}; sessions: {known}", code="session.unknown"
        )
    if is_after_today(session.on, now, program.time_zone):
        raise FellowshipRefusal(
            f"{session.title} is on {session.on}; it has not happened yet", code="date.in_future"
        )
    previous = f.pd.get(cmd.session_id)
    check_mark(session.title, cmd, previous, FellowshipRefusal)
    return [
        SupplementalPDRecorded(
            event_id=new_id(),
            occurred_at=now,
            session_id=cmd.session_id,
            status=cmd.status,
            recorded_by=cmd.recorded_by,
            correction_reason=cmd.correction_reason if previous else None,
        )
    ]


def decide_milestone(
    f: Fellow, program: FellowshipProgram, cmd: ReportMilestone, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    if milestones.is_repeat(f.milestones, cmd.milestone, cmd.achieved_on):
        return []  # a repeated report
    if f.stage is not Stage.ENROLLED:
        raise FellowshipRefusal(
            f"milestones are reported for enrolled fellows (stage: {f.stage.value})",
            code="enrollment.required",
        )
    milestones.check_report(
        f.milestones,
        cmd.milestone,
        cmd.achieved_on,
        label=cmd.milestone.label,
        start=("enrollment", f.enrolled_on),
        order=None,  # the university confers the M.Ed. and the credential in either order
        now=now,
        time_zone=program.time_zone,
        refusal=FellowshipRefusal,
    )
    return [
        MilestoneReported(
            event_id=new_id(),
            occurred_at=now,
            milestone=cmd.milestone,
            achieved_on=cmd.achieved_on,
            reported_by=cmd.reported_by,
            reference=cmd.reference,
        )
    ]


def decide_leaving(
    f: Fellow, program: FellowshipProgram, cmd: LeaveFellowship, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    if f.stage is Stage.LEFT and f.left is cmd.kind:
        return []  # HR sent the same separation twice
    if not f.is_open:
        raise FellowshipRefusal(
            f"the fellowship has already ended (stage: {f.stage.value})", code="journey.ended"
        )
    if cmd.kind is LeaveKind.DID_NOT_COMPLETE:
        raise FellowshipRefusal(
            "'did not complete' is recorded by the graduation deadline",
            code="leave.kind_not_allowed",
        )
    what = f"leaving ({cmd.kind.value}) effective on"
    if problem := not_yet(what, cmd.effective_on, now, program.time_zone):
        raise FellowshipRefusal(problem, code="date.in_future")
    return [
        LeftProgram(
            event_id=new_id(),
            occurred_at=now,
            kind=cmd.kind,
            effective_on=cmd.effective_on,
            reason=cmd.reason,
            recorded_by=cmd.recorded_by,
        )
    ]


def decide_early_exit_repayment(
    f: Fellow, program: FellowshipProgram, now: datetime, new_id: NewId
) -> EarlyExitRepaymentDetermined:
    """What leaving before graduation costs: the rule, what was paid, what is owed."""
    paid = f.disbursed_cents
    terms = ", ".join(f"{t} {dollars(c)}" for t, c in f.disbursed.items()) or "nothing"
    if program.leaving_before_graduation is EarlyExitRepayment.ALL_DISBURSED:
        owed = paid
        explanation = (
            f"left before graduating ({f.end_reason}); the rule repays all assistance paid: "
            f"{terms} = {dollars(paid)}"
        )
    else:
        owed = 0
        explanation = f"left before graduating; the rule repays nothing (paid: {terms})"
    return EarlyExitRepaymentDetermined(
        event_id=new_id(),
        occurred_at=now,
        rule=program.leaving_before_graduation,
        disbursed_cents=paid,
        owed_cents=owed,
        explanation=explanation,
    )


def decide_waiver(
    f: Fellow, cmd: WaiveEarlyExit, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    return [
        waivers.decide_waiver(
            EarlyExitRepaymentWaived,
            cmd,
            owed_cents=f.owed_cents,
            determined=f.repayment_determined,
            sent_to_payroll=f.repayment_reference is not None,
            refusal=FellowshipRefusal,
            now=now,
            new_id=new_id,
        )
    ]


def next_disbursement(f: Fellow, program: FellowshipProgram) -> str | None:
    """The first term not yet paid, while the fellow is enrolled."""
    if f.stage is not Stage.ENROLLED:
        return None
    return next((t.term_id for t in program.terms if t.term_id not in f.disbursed), None)


# --- status --------------------------------------------------------------------------------


class FellowshipStatus(BaseModel):
    employee_id: str
    full_name: str
    program_id: str
    stage: Stage
    seat: int | None = Field(description="while the fellow holds it")
    waitlist_position: int | None = Field(
        description="the place given when waitlisted; the cohort's roster has the live order"
    )
    university_student_id: str | None
    disbursed_cents: int
    terms_paid: list[str]
    terms_remaining: list[str]
    pd_attended: list[str]
    pd_missed: list[str]
    milestones: dict[str, date]
    graduated_on: date | None
    commitment_workflow_id: str | None
    owed_cents: int
    repayment_reference: str | None
    end_reason: str | None
    outcome: str | None
    notices: list[str] = Field(default_factory=list, description="subjects e-mailed, in order")


def status(f: Fellow, program: FellowshipProgram) -> FellowshipStatus:
    return FellowshipStatus(
        employee_id=f.employee_id,
        full_name=f.full_name,
        program_id=program.program_id,
        stage=f.stage,
        seat=f.seat if f.stage in (Stage.ADMITTED, Stage.ENROLLED, Stage.GRADUATED) else None,
        waitlist_position=f.waitlist_position if f.stage is Stage.WAITLISTED else None,
        university_student_id=f.university_student_id,
        disbursed_cents=f.disbursed_cents,
        terms_paid=list(f.disbursed),
        terms_remaining=[t.term_id for t in program.terms if t.term_id not in f.disbursed]
        if f.stage is Stage.ENROLLED
        else [],
        pd_attended=[s for s, a in f.pd.items() if a is AttendanceStatus.PRESENT],
        pd_missed=[s for s, a in f.pd.items() if a is AttendanceStatus.ABSENT],
        milestones={m.value: d for m, d in f.milestones.items()},
        graduated_on=f.graduated_on,
        commitment_workflow_id=f.commitment_workflow_id,
        owed_cents=f.owed_cents,
        repayment_reference=f.repayment_reference,
        end_reason=f.end_reason,
        outcome=f.ended,
        notices=f.notices,
    )
