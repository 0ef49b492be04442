"""A teacher leader's journey through one program year: state, commands and rules.

`fold(events)` rebuilds the journey from its events. Each `decide_*` function checks a
command against the state and the program year and returns the events it causes, or raises
`JourneyRefusal` with a message a program officer can act on. Workflows call the same
functions in their update validators, so a refused command never enters the history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from domain import deliverables, ordered_steps
from domain.attendance import RecordSessionAttendance, check_make_up, check_mark
from domain.calendar import is_after_today, local_date, not_yet
from domain.commands import Command
from domain.deliverables import DeliverableState as DeliverableState
from domain.deliverables import DeliverableStatus as DeliverableStatus
from domain.events import DomainEvent
from domain.program import Cohort, ProgramYear, Role
from domain.refusals import Refusal
from domain.teacher_leader.events import (
    COACHING_ORDER,
    ApplicantIdentified,
    ApplicationDecided,
    ApplicationLapsed,
    ApplicationSubmitted,
    AttendanceRecorded,
    AttendanceStatus,
    CoachAssigned,
    CoachingStep,
    CoachingStepRecorded,
    CommitmentReminderSent,
    CommitmentRequested,
    CommitmentSigned,
    DecisionOutcome,
    DeliverableReviewed,
    DeliverableSubmitted,
    JoinedInstructionalLeadershipTeam,
    JourneyEnded,
    JourneyWithdrawn,
    MakeUpRecorded,
    NoticeSent,
    PaymentRequested,
    SelectionScores,
    SeparationRecorded,
    Signer,
    StipendDecided,
    SubstituteReimbursementDecided,
    YearClosed,
)


class JourneyRefusal(Refusal):
    """A command the journey cannot accept, in words a program officer can act on."""


class Stage(StrEnum):
    APPLIED = "applied"
    WAITLISTED = "waitlisted"
    COMMITMENT_PENDING = "commitment_pending"
    ACTIVE = "active"
    CLOSED = "closed"
    DECLINED = "declined"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"
    SEPARATED = "separated"


OPEN_STAGES = {Stage.APPLIED, Stage.WAITLISTED, Stage.COMMITMENT_PENDING, Stage.ACTIVE}


# --- commands ---------------------------------------------------------------------------


class Application(Command):
    employee_id: str = Field(min_length=1)
    role: Role
    school_id: str = Field(min_length=1)
    cohort: Cohort | None = None
    submitted_by: str = Field("hris", min_length=1)


class DecideApplication(Command):
    outcome: DecisionOutcome
    scores: SelectionScores
    decided_by: str = Field(min_length=1)
    note: str = ""


class SignCommitment(Command):
    signer_id: str = Field(min_length=1)


class RecordAttendance(RecordSessionAttendance):
    pass


class RecordMakeUp(Command):
    session_id: str = Field(min_length=1)
    completed_on: date
    recorded_by: str = Field(min_length=1)
    note: str = ""


class RecordCoachingStep(Command):
    cycle_id: str = Field(min_length=1)
    step: CoachingStep
    recorded_by: str = Field(min_length=1)
    note: str = ""


class SubmitDeliverable(deliverables.SubmitDeliverable):
    pass


class ReviewDeliverable(deliverables.ReviewDeliverable):
    pass


class CloseYear(Command):
    closed_by: str = Field(min_length=1)


class Withdraw(Command):
    withdrawn_by: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class RecordSeparation(Command):
    effective_on: date
    reason: str = Field(min_length=1)
    recorded_by: str = Field("hris", min_length=1)


def check_application(program: ProgramYear, application: Application, now: datetime) -> None:
    """Edge validation before a journey starts."""
    if application.role not in program.roles:
        offered = ", ".join(r.label for r in program.roles)
        raise JourneyRefusal(
            f"{application.role.label} is not offered in {program.program_year}; "
            f"offered: {offered}",
            code="application.role_not_offered",
        )
    if application.role is Role.TEAM_LEAD and application.cohort is None:
        cohorts = ", ".join(c.value for c in Cohort)
        raise JourneyRefusal(
            f"a Team Lead application needs a cohort: one of {cohorts}",
            code="application.cohort_required",
        )
    if application.role is not Role.TEAM_LEAD and application.cohort is not None:
        raise JourneyRefusal(
            f"cohorts apply to Team Leads only, not to {application.role.label}",
            code="application.cohort_not_applicable",
        )
    if now > program.application_deadline:
        raise JourneyRefusal(
            f"applications for {program.program_year} closed on "
            f"{program.application_deadline.isoformat()}",
            code="application.closed",
        )


# --- state --------------------------------------------------------------------------------


class Mark(BaseModel):
    status: AttendanceStatus
    recorded_by: str
    made_up_on: date | None = None


class Journey(BaseModel):
    """The journey as its events leave it."""

    employee_id: str = ""
    full_name: str = ""
    email: str = ""
    role: Role | None = None
    cohort: Cohort | None = None
    school_id: str = ""
    program_year: str = ""
    stage: Stage = Stage.APPLIED
    version: int = 0
    decision: DecisionOutcome | None = None
    scores: SelectionScores | None = None
    principal_id: str | None = None
    principal_name: str | None = None
    principal_email: str | None = None
    commitment_deadline: datetime | None = None
    signed: dict[Signer, str] = Field(default_factory=dict)
    coach_id: str | None = None
    reminders_sent: list[int] = Field(default_factory=list)
    attendance: dict[str, Mark] = Field(default_factory=dict)
    coaching: dict[str, list[CoachingStep]] = Field(default_factory=dict)
    deliverables: dict[str, DeliverableState] = Field(default_factory=dict)
    year_closed: bool = False
    stipend: StipendDecided | None = None
    reimbursement: SubstituteReimbursementDecided | None = None
    payments: dict[str, str] = Field(default_factory=dict, description="kind -> payroll ref")
    notices: list[str] = Field(default_factory=list)
    end_reason: str | None = None
    ended: bool = False

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def awaiting_signatures(self) -> list[Signer]:
        return [s for s in Signer if s not in self.signed]


def evolve(journey: Journey, event: DomainEvent) -> Journey:
    """Apply one event. Returns a new Journey; the one passed in is not changed."""
    j = journey.model_copy(deep=True)
    apply(j, event)
    return j


def fold(events: Iterable[DomainEvent], journey: Journey | None = None) -> Journey:
    """The journey after `events`. Returns a new Journey; the one passed in is not changed
    (it is copied once, not once per event)."""
    state = journey.model_copy(deep=True) if journey is not None else Journey()
    for event in events:
        apply(state, event)
    return state


def fold_into(journey: Journey | None, event: DomainEvent) -> Journey:
    """The same step in place, for a reader that owns its working state and folds many
    journeys' events as they arrive (a read model's rebuild): `journey` is changed and
    returned (None: a new Journey)."""
    state = journey if journey is not None else Journey()
    apply(state, event)
    return state


def apply(j: Journey, event: DomainEvent) -> None:
    """Apply one event to `j` in place: the one step every fold of a journey takes. An event
    the journey does not know raises TypeError and leaves `j` as it was."""
    match event:
        case ApplicationSubmitted():
            j.employee_id, j.role, j.cohort = event.employee_id, event.role, event.cohort
            j.school_id, j.program_year, j.stage = (
                event.school_id,
                event.program_year,
                Stage.APPLIED,
            )
        case ApplicantIdentified():
            j.full_name, j.email = event.full_name, event.email
        case ApplicationDecided():
            j.decision, j.scores = event.outcome, event.scores
            j.stage = {
                DecisionOutcome.ACCEPTED: Stage.COMMITMENT_PENDING,
                DecisionOutcome.WAITLISTED: Stage.WAITLISTED,
                DecisionOutcome.DECLINED: Stage.DECLINED,
            }[event.outcome]
        case CommitmentRequested():
            j.principal_id, j.principal_name = event.principal_id, event.principal_name
            j.principal_email, j.commitment_deadline = event.principal_email, event.deadline
        case CommitmentReminderSent():
            j.reminders_sent.append(event.days_before)
        case CommitmentSigned():
            j.signed[event.signer] = event.signer_id
        case JoinedInstructionalLeadershipTeam():
            j.stage = Stage.ACTIVE
        case ApplicationLapsed():
            j.stage, j.end_reason = Stage.LAPSED, event.reason
        case AttendanceRecorded():
            j.attendance[event.session_id] = Mark(
                status=event.status, recorded_by=event.recorded_by
            )
        case MakeUpRecorded():
            mark = j.attendance.get(event.session_id)
            status = mark.status if mark else AttendanceStatus.ABSENT
            j.attendance[event.session_id] = Mark(
                status=status, recorded_by=event.recorded_by, made_up_on=event.completed_on
            )
        case CoachingStepRecorded():
            j.coaching = ordered_steps.record(j.coaching, event.cycle_id, event.step)
        case DeliverableSubmitted() | DeliverableReviewed():
            j.deliverables = deliverables.evolve(j.deliverables, event)
        case YearClosed():
            j.year_closed, j.stage = True, Stage.CLOSED
        case StipendDecided():
            j.stipend = event
        case SubstituteReimbursementDecided():
            j.reimbursement = event
        case PaymentRequested():
            j.payments[event.kind] = event.payroll_reference
        case NoticeSent():
            j.notices.append(event.idempotency_key)
        case JourneyWithdrawn():
            j.stage, j.end_reason = Stage.WITHDRAWN, event.reason
        case SeparationRecorded():
            j.stage, j.end_reason = Stage.SEPARATED, event.reason
        case JourneyEnded():
            j.ended = True
        case CoachAssigned():
            j.coach_id = event.coach_id
        case _:
            raise TypeError(f"a teacher leader journey has no event {event.event_type}")
    j.version += 1


# --- decisions ------------------------------------------------------------------------------

NewId = Callable[[], UUID]


def _require_open(j: Journey, action: str) -> None:
    if not j.is_open:
        raise JourneyRefusal(
            f"cannot {action}: the journey is {j.stage.value}", code="journey.ended"
        )


def _require_active(j: Journey, action: str) -> None:
    _require_open(j, action)
    if j.stage is not Stage.ACTIVE:
        raise JourneyRefusal(
            f"cannot {action} before the joint commitment is signed (stage: {j.stage.value})",
            code="commitment.not_signed",
        )


def decide_application(
    j: Journey, cmd: DecideApplication, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    if j.stage not in (Stage.APPLIED, Stage.WAITLISTED):
        raise JourneyRefusal(
            f"the application was already decided: {j.stage.value}",
            code="application.already_decided",
        )
    if j.stage is Stage.WAITLISTED and cmd.outcome is DecisionOutcome.WAITLISTED:
        raise JourneyRefusal(
            "the application is already waitlisted", code="application.already_waitlisted"
        )
    return [
        ApplicationDecided(
            event_id=new_id(),
            occurred_at=now,
            outcome=cmd.outcome,
            scores=cmd.scores,
            decided_by=cmd.decided_by,
            note=cmd.note,
        )
    ]


def commitment_reminders(program: ProgramYear) -> list[tuple[int, datetime]]:
    """When to remind the signers who have not signed: each configured number of days before
    the commitment deadline, earliest first (a reminder whose moment has passed is skipped)."""
    deadline = program.commitment_deadline
    days = sorted(program.commitment_reminders_days_before, reverse=True)
    return [(d, deadline - timedelta(days=d)) for d in days]


def decide_signature(
    j: Journey, cmd: SignCommitment, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    if j.stage is not Stage.COMMITMENT_PENDING or j.principal_id is None:
        raise JourneyRefusal(
            f"there is no joint commitment awaiting signatures ({j.stage.value})",
            code="commitment.not_pending",
        )
    if j.commitment_deadline is not None and now > j.commitment_deadline:
        raise JourneyRefusal(
            f"the commitment deadline {j.commitment_deadline} has passed",
            code="commitment.deadline_passed",
        )
    if cmd.signer_id == j.employee_id:
        signer = Signer.TEACHER
    elif cmd.signer_id == j.principal_id:
        signer = Signer.PRINCIPAL
    else:
        raise JourneyRefusal(
            f"{cmd.signer_id} cannot sign: only the teacher ({j.employee_id}) and the principal "
            f"of school {j.school_id} ({j.principal_id}) sign this commitment",
            code="commitment.not_a_signer",
        )
    if signer in j.signed:
        raise JourneyRefusal(
            f"the {signer.value} has already signed", code="commitment.already_signed"
        )
    events: list[DomainEvent] = [
        CommitmentSigned(event_id=new_id(), occurred_at=now, signer=signer, signer_id=cmd.signer_id)
    ]
    if len(j.signed) + 1 == len(Signer):
        events.append(
            JoinedInstructionalLeadershipTeam(
                event_id=new_id(), occurred_at=now, school_id=j.school_id
            )
        )
    return events


def decide_attendance(
    j: Journey, program: ProgramYear, cmd: RecordAttendance, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_active(j, "record attendance")
    assert j.role is not None
    session = program.session(cmd.session_id)
    if session is None or not session.applies_to(j.role):
        known = ", ".join(s.session_id for s in program.sessions_for(j.role))
        raise JourneyRefusal(
            f"session {cmd.session_id!r} is not in the {program.program_year} calendar for "
            f"{j.role.label}; sessions: {known}",
            code="session.unknown",
        )
    if is_after_today(session.on, now, program.time_zone):
        raise JourneyRefusal(
            f"{session.title} is on {session.on}; it has not happened yet", code="date.in_future"
        )
    mark = j.attendance.get(cmd.session_id)
    check_mark(
        session.title,
        cmd,
        mark.status if mark else None,
        JourneyRefusal,
        mark.recorded_by if mark else None,
    )
    return [
        AttendanceRecorded(
            event_id=new_id(),
            occurred_at=now,
            session_id=cmd.session_id,
            status=cmd.status,
            recorded_by=cmd.recorded_by,
            correction_reason=cmd.correction_reason if mark else None,
        )
    ]


def decide_make_up(
    j: Journey, program: ProgramYear, cmd: RecordMakeUp, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_active(j, "record a make-up")
    assert j.role is not None
    session = program.session(cmd.session_id)
    if session is None or not session.applies_to(j.role):
        raise JourneyRefusal(
            f"session {cmd.session_id!r} is not in this journey's calendar", code="session.unknown"
        )
    mark = j.attendance.get(cmd.session_id)
    if mark is not None and mark.status is AttendanceStatus.PRESENT:
        raise JourneyRefusal(
            f"{session.title} was attended; there is nothing to make up", code="make_up.not_needed"
        )
    already = mark is not None and mark.made_up_on is not None
    check_make_up(
        session.title, session.on, cmd.completed_on, already, now, program.time_zone,
        JourneyRefusal,
    )  # fmt: skip
    return [
        MakeUpRecorded(
            event_id=new_id(),
            occurred_at=now,
            session_id=cmd.session_id,
            completed_on=cmd.completed_on,
            recorded_by=cmd.recorded_by,
            note=cmd.note,
        )
    ]


def decide_coaching_step(
    j: Journey, program: ProgramYear, cmd: RecordCoachingStep, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_active(j, "record coaching")
    cycle = program.cycle(cmd.cycle_id)
    if cycle is None:
        known = ", ".join(c.cycle_id for c in program.coaching_cycles)
        raise JourneyRefusal(
            f"no coaching cycle {cmd.cycle_id!r}; cycles: {known}", code="coaching.unknown_cycle"
        )
    ordered_steps.check_step(
        cycle,
        j.coaching.get(cmd.cycle_id, []),
        cmd.step,
        COACHING_ORDER,
        local_date(now, program.time_zone),
        JourneyRefusal,
    )
    return [
        CoachingStepRecorded(
            event_id=new_id(),
            occurred_at=now,
            cycle_id=cmd.cycle_id,
            step=cmd.step,
            recorded_by=cmd.recorded_by,
            note=cmd.note,
        )
    ]


def decide_submission(
    j: Journey, program: ProgramYear, cmd: SubmitDeliverable, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_active(j, "submit a deliverable")
    assert j.role is not None
    item = program.deliverable(j.role, cmd.deliverable_id)
    if item is None:
        known = ", ".join(d.deliverable_id for d in program.deliverables_for(j.role))
        raise JourneyRefusal(
            f"{cmd.deliverable_id!r} is not a deliverable of a {j.role.label}; "
            f"required: {known or 'none'}",
            code="deliverable.unknown",
        )
    deliverables.check_submission(
        item.title, j.deliverables.get(cmd.deliverable_id), JourneyRefusal
    )
    return [
        DeliverableSubmitted(
            event_id=new_id(),
            occurred_at=now,
            deliverable_id=cmd.deliverable_id,
            submitted_by=cmd.submitted_by,
            note=cmd.note,
        )
    ]


def decide_review(
    j: Journey, program: ProgramYear, cmd: ReviewDeliverable, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_active(j, "review a deliverable")
    deliverables.check_review(cmd, j.deliverables.get(cmd.deliverable_id), JourneyRefusal)
    return [
        DeliverableReviewed(
            event_id=new_id(),
            occurred_at=now,
            deliverable_id=cmd.deliverable_id,
            accepted=cmd.accepted,
            reviewed_by=cmd.reviewed_by,
            comment=cmd.comment,
        )
    ]


def decide_close(
    j: Journey, cmd: CloseYear, now: datetime, new_id: NewId, *, early: bool
) -> list[DomainEvent]:
    _require_active(j, "close the year")
    return [YearClosed(event_id=new_id(), occurred_at=now, closed_by=cmd.closed_by, early=early)]


def decide_withdrawal(j: Journey, cmd: Withdraw, now: datetime, new_id: NewId) -> list[DomainEvent]:
    _require_open(j, "withdraw")  # who may withdraw is domain.policy's
    return [
        JourneyWithdrawn(
            event_id=new_id(), occurred_at=now, withdrawn_by=cmd.withdrawn_by, reason=cmd.reason
        )
    ]


def check_separation_date(program: ProgramYear, cmd: RecordSeparation, now: datetime) -> None:
    """A separation is a fact: HR reports it on or after the day it takes effect."""
    if problem := not_yet("the separation effective on", cmd.effective_on, now, program.time_zone):
        raise JourneyRefusal(problem, code="date.in_future")


def decide_separation(
    j: Journey, cmd: RecordSeparation, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_open(j, "record a separation")
    return [
        SeparationRecorded(
            event_id=new_id(),
            occurred_at=now,
            effective_on=cmd.effective_on,
            reason=cmd.reason,
            recorded_by=cmd.recorded_by,
        )
    ]


# --- money ---------------------------------------------------------------------------------

STIPEND_RULE = (
    "stipend is paid in full when the teacher leader attended every PD session of the calendar "
    "for the role (a recorded make-up counts), completed every coaching cycle and had every "
    "required deliverable accepted; otherwise it is withheld"
)


def reason_heading(reason: str) -> str:
    """A withheld stipend's reason without what a person wrote into it (a withdrawal's reason,
    a reviewer's comment), so that reasons can be counted together."""
    for heading in ("withdrew from the program", "separated from the district"):
        if reason.startswith(heading + ":"):
            return heading
    if reason.startswith("deliverable '") and "' returned: " in reason:
        return reason.partition("' returned: ")[0] + "' returned"
    return reason


def stipend_blockers(
    j: Journey, program: ProgramYear, *, final: bool, today: date | None = None
) -> list[str]:
    """Every reason the stipend is (or, mid-year, would still be) withheld. Mid-year, `today`
    (in the program's time zone) tells a session that has happened without a mark from one
    still to come."""
    assert j.role is not None
    if j.stage is Stage.WITHDRAWN:
        return [f"withdrew from the program: {j.end_reason}"]
    if j.stage is Stage.SEPARATED:
        return [f"separated from the district: {j.end_reason}"]
    reasons: list[str] = []
    for session in program.sessions_for(j.role):
        mark = j.attendance.get(session.session_id)
        when = f"{session.title} {session.on.isoformat()}"
        if mark is None:
            happened = final or (today is not None and session.on < today)
            reasons.append(
                f"no attendance recorded for {when}" if happened else f"{when}: not yet attended"
            )
        elif mark.status is AttendanceStatus.ABSENT and mark.made_up_on is None:
            reasons.append(f"absent from {when} (no make-up recorded)")
    for cycle in program.coaching_cycles:
        if missing := ordered_steps.remaining(j.coaching.get(cycle.cycle_id, []), COACHING_ORDER):
            reasons.append(f"{cycle.title} incomplete (missing: {', '.join(missing)})")
    for item in program.deliverables_for(j.role):
        state = j.deliverables.get(item.deliverable_id)
        if state is None:
            reasons.append(f"deliverable '{item.title}' not submitted")
        elif state.status is DeliverableStatus.RETURNED:
            reasons.append(f"deliverable '{item.title}' returned: {state.comment}")
        elif state.status is DeliverableStatus.SUBMITTED:
            reasons.append(f"deliverable '{item.title}' submitted but not accepted")
    return reasons


def decide_stipend(
    j: Journey, program: ProgramYear, now: datetime, new_id: NewId
) -> StipendDecided:
    assert j.role is not None
    reasons = stipend_blockers(j, program, final=True)
    return StipendDecided(
        event_id=new_id(),
        occurred_at=now,
        paid=not reasons,
        amount_cents=0 if reasons else program.stipends_cents[j.role],
        role=j.role,
        rule=STIPEND_RULE,
        reasons=reasons,
    )


def substitute_days(j: Journey, program: ProgramYear) -> tuple[list[str], Decimal]:
    """Sessions attended in person on school days, and the substitute days they took."""
    assert j.role is not None
    sessions = [
        s
        for s in program.sessions_for(j.role)
        if s.substitute_days > 0
        and (mark := j.attendance.get(s.session_id)) is not None
        and mark.status is AttendanceStatus.PRESENT
    ]
    return [s.session_id for s in sessions], sum((s.substitute_days for s in sessions), Decimal(0))


def reimbursement_cents(days: Decimal, daily_rate_cents: int, partner_share: Decimal) -> int:
    """Partner's share of substitute cost, rounded half up to the cent."""
    exact = days * Decimal(daily_rate_cents) * partner_share
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def decide_reimbursement(
    j: Journey, program: ProgramYear, now: datetime, new_id: NewId
) -> SubstituteReimbursementDecided:
    sessions, days = substitute_days(j, program)
    rate = program.substitute_reimbursement
    return SubstituteReimbursementDecided(
        event_id=new_id(),
        occurred_at=now,
        school_id=j.school_id,
        sessions=sessions,
        substitute_days=days,
        daily_rate_cents=rate.daily_rate_cents,
        partner_share=rate.partner_share,
        amount_cents=reimbursement_cents(days, rate.daily_rate_cents, rate.partner_share),
    )


# --- status -------------------------------------------------------------------------------


class CycleStatus(BaseModel):
    cycle_id: str
    steps_done: list[CoachingStep]
    complete: bool


class JourneyStatus(BaseModel):
    """What the status query answers: where the journey stands and what blocks the stipend."""

    employee_id: str
    full_name: str
    role: Role | None
    school_id: str
    program_year: str
    stage: Stage
    principal_id: str | None
    awaiting_signatures: list[Signer]
    coach_id: str | None = None
    attendance: dict[str, str]
    coaching: list[CycleStatus]
    deliverables: dict[str, str]
    stipend_cents_if_met: int
    stipend_blockers: list[str]
    stipend: StipendDecided | None
    reimbursement_cents: int
    payments: dict[str, str]
    end_reason: str | None
    events_recorded: int


def status(j: Journey, program: ProgramYear, today: date | None = None) -> JourneyStatus:
    role = j.role
    attendance: dict[str, str] = {}
    for session_id, mark in j.attendance.items():
        attendance[session_id] = (
            f"made up {mark.made_up_on.isoformat()}" if mark.made_up_on else mark.status.value
        )
    if role is not None:
        _, days = substitute_days(j, program)
        rate = program.substitute_reimbursement
        reimbursement = reimbursement_cents(days, rate.daily_rate_cents, rate.partner_share)
        blockers = stipend_blockers(j, program, final=j.year_closed or not j.is_open, today=today)
    else:
        reimbursement, blockers = 0, []
    return JourneyStatus(
        employee_id=j.employee_id,
        full_name=j.full_name,
        role=role,
        school_id=j.school_id,
        program_year=j.program_year,
        stage=j.stage,
        principal_id=j.principal_id,
        awaiting_signatures=j.awaiting_signatures if j.stage is Stage.COMMITMENT_PENDING else [],
        attendance=attendance,
        coaching=[
            CycleStatus(
                cycle_id=c.cycle_id,
                steps_done=j.coaching.get(c.cycle_id, []),
                complete=ordered_steps.is_complete(j.coaching.get(c.cycle_id, []), COACHING_ORDER),
            )
            for c in program.coaching_cycles
        ],
        deliverables={k: v.status.value for k, v in j.deliverables.items()},
        stipend_cents_if_met=program.stipends_cents.get(role, 0) if role else 0,
        stipend_blockers=blockers,
        stipend=j.stipend,
        reimbursement_cents=j.reimbursement.amount_cents if j.reimbursement else reimbursement,
        payments=j.payments,
        end_reason=j.end_reason,
        events_recorded=j.version,
        coach_id=j.coach_id,
    )
