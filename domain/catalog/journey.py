"""A leader's journey through a catalog program, run from its definition file.

`fold_into` rebuilds the journey from its events; each `decide_*` returns the events a command
causes or raises `ProgramRefusal`. Every part follows the engine's shared semantics (see
`domain.catalog.definition` for which module each kind uses); when a decision completes a part,
its `PartCompleted` is recorded with it, the training record a personnel file keeps.

The program completes when every required part of its final year is complete and no earlier
year closed incomplete: immediately, not at the year's end. A year of a longer program closes
on its last day (`ends`, in the program's time zone) and the next one follows. A certification
is then held until it expires: its renewal opens `renewal_opens_days_before` the expiry and is
earned by completing the parts marked `renewal` again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from domain import assessments, councils, dated_log, deliverables, milestones, ordered_steps
from domain.attendance import AttendanceStatus, RecordSessionAttendance, check_make_up, check_mark
from domain.calendar import local_date, not_yet
from domain.catalog import definition as defs
from domain.catalog.definition import (
    AwardKind,
    OnChange,
    ProgramDefinition,
    StipendBasis,
)
from domain.catalog.events import (
    AssessmentScored,
    CertificationExpired,
    CertificationRenewed,
    CoachAssigned,
    CouncilMemberLeft,
    CouncilMemberSeated,
    CouncilTrainingRecorded,
    HoursLapsed,
    LogEntryRecorded,
    MilestoneMarked,
    PartCompleted,
    ParticipantIdentified,
    ProgramCheckpoint,
    ProgramCompleted,
    ProgramEnded,
    ProgramEnrolled,
    ProgramIneligible,
    ProgramNoticeSent,
    ProgramPaused,
    ProgramResumed,
    ProgramRoleChanged,
    ProgramWithdrawn,
    SessionMadeUp,
    SessionMarked,
    StepTaken,
    StipendPaid,
    WorkReviewed,
    WorkSubmitted,
    YearClosed,
)
from domain.catalog.seats import NotSeated, SeatTaken, Waitlisted
from domain.commands import Command
from domain.councils import StakeholderGroup
from domain.deliverables import DeliverableState, ReviewDeliverable, SubmitDeliverable
from domain.events import DomainEvent
from domain.hr import HrChange
from domain.refusals import Refusal

NewId = Callable[[], UUID]


class ProgramRefusal(Refusal):
    """A command the program's journey cannot accept, in words to act on."""


class Stage(StrEnum):
    ENROLLED = "enrolled"
    ACTIVE = "active"
    PAUSED = "paused"
    CERTIFIED = "certified"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    RENEWED = "renewed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    SEPARATED = "separated"
    INELIGIBLE = "ineligible"
    WAITLISTED = "waitlisted"
    NOT_SEATED = "not_seated"


_STAGES = frozenset(stage.value for stage in Stage)
OPEN = frozenset({Stage.ENROLLED, Stage.ACTIVE, Stage.PAUSED, Stage.CERTIFIED, Stage.WAITLISTED})


# --- commands ------------------------------------------------------------------------------


class PartCommand(Command):
    part_id: str = Field(min_length=1)


class MarkSession(RecordSessionAttendance):
    part_id: str = Field(min_length=1)


class MakeUpSession(PartCommand):
    session_id: str = Field(min_length=1)
    made_up_on: date
    recorded_by: str = Field(min_length=1)
    note: str = ""


class RecordLogEntry(PartCommand):
    on: date
    amount: Decimal | None = Field(None, gt=0, max_digits=6, decimal_places=2)
    note: str = ""
    attendees: list[str] = Field(default_factory=list)
    logged_by: str = Field(min_length=1)


class SubmitWork(SubmitDeliverable):
    """`deliverable_id` is the part's id."""


class ReviewWork(ReviewDeliverable):
    """`deliverable_id` is the part's id."""


class TakeStep(PartCommand):
    step: str = Field(min_length=1)
    note: str = ""
    recorded_by: str = Field(min_length=1)


class ScoreAssessment(PartCommand):
    taken_on: date
    score: int
    recorded_by: str = Field(min_length=1)


class ReportMilestone(PartCommand):
    achieved_on: date
    reported_by: str = Field(min_length=1)
    reference: str = ""


class SeatMember(PartCommand):
    member_id: str = Field(min_length=1, description="an employee id, or the school roster's id")
    full_name: str = Field(min_length=1)
    group: StakeholderGroup
    seated_by: str = Field(min_length=1)


class MemberLeaves(PartCommand):
    member_id: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    recorded_by: str = Field(min_length=1)


class RecordMemberTraining(PartCommand):
    member_id: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    on: date
    recorded_by: str = Field(min_length=1)


class WithdrawFromProgram(Command):
    reason: str = Field(min_length=1)
    withdrawn_by: str = Field(min_length=1)


class HearHr(Command):
    """A change HR reported, as the program hears it."""

    change: HrChange
    effective_on: date
    role: str | None = None
    reason: str = ""
    reported_by: str = Field("hris", min_length=1)


# --- state ---------------------------------------------------------------------------------


class Attempt(BaseModel):
    taken_on: date
    score: int
    passed: bool


class CouncilSeat(BaseModel):
    full_name: str
    group: StakeholderGroup
    trained: list[str] = []


class ProgramJourneyState(BaseModel):
    employee_id: str = ""
    coach_id: str | None = None
    program_key: str = ""
    school_year: str = ""
    year_in_program: int = 1
    cycle: int = 1
    certified_until: date | None = None
    carried_hours: Decimal = Decimal(0)
    began_on: date | None = None
    full_name: str = ""
    email: str = ""
    role: str | None = None
    school_id: str | None = None
    stage: Stage = Stage.ENROLLED
    paused_reason: str = ""
    marks: dict[str, dict[str, AttendanceStatus]] = {}
    marked_by: dict[str, dict[str, str]] = {}
    made_up: dict[str, dict[str, date]] = {}
    logs: dict[str, dict[date, Decimal | None]] = {}
    work: dict[str, DeliverableState] = {}
    steps: dict[str, list[str]] = {}
    attempts: dict[str, list[Attempt]] = {}
    milestones: dict[str, date] = {}
    completed: dict[str, date] = {}
    council: dict[str, dict[str, CouncilSeat]] = {}
    paid: list[str] = []
    end_reason: str = ""
    year_closed: bool = False
    program_completed_on: date | None = None
    expires_on: date | None = None
    hours_earned: Decimal = Decimal(0)
    """Hours of every part completed, in every year of the journey."""
    paid_cents: int = 0
    """Every stipend paid, in every year."""
    seat: int | None = None
    waitlist_position: int | None = None

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN

    @property
    def waiting(self) -> bool:
        """On the program's waitlist (a program with seats), no seat yet."""
        return self.seat is None and self.waitlist_position is not None


#: What one run of a journey (a year, a renewal) holds. Each run begins with its enrollment, which
#: starts them afresh, so a fold of the whole stream reads the latest run as its workflow does.
PER_RUN = (
    "paused_reason", "marks", "marked_by", "made_up", "logs", "work", "steps", "attempts",
    "milestones", "completed", "council", "end_reason", "year_closed",
)  # fmt: skip


def new_state() -> ProgramJourneyState:
    return ProgramJourneyState()


def fold_into(state: ProgramJourneyState | None, event: DomainEvent) -> ProgramJourneyState:
    """The journey after `event`, changed in place (None: a journey with no events yet)."""
    s = state if state is not None else new_state()
    match event:
        case ProgramEnrolled():
            for name in PER_RUN:
                setattr(s, name, deepcopy(ProgramJourneyState.model_fields[name].default))
            s.employee_id, s.program_key = event.employee_id, event.program_key
            s.school_year, s.year_in_program = event.school_year, event.year_in_program
            s.cycle, s.certified_until = event.cycle, event.certified_until
            s.carried_hours, s.began_on = event.carried_hours, event.began_on
            s.stage = Stage.CERTIFIED if event.certified_until else Stage.ENROLLED
        case ParticipantIdentified():
            s.full_name, s.email, s.role, s.school_id = (
                event.full_name,
                event.email,
                event.role,
                event.school_id,
            )
            if s.stage is Stage.ENROLLED:
                s.stage = Stage.ACTIVE
        case ProgramIneligible():
            s.stage, s.end_reason = Stage.INELIGIBLE, event.reason
        case SessionMarked():
            s.marks.setdefault(event.part_id, {})[event.session_id] = event.status
            s.marked_by.setdefault(event.part_id, {})[event.session_id] = event.recorded_by
        case SessionMadeUp():
            s.made_up.setdefault(event.part_id, {})[event.session_id] = event.made_up_on
        case LogEntryRecorded():
            s.logs.setdefault(event.part_id, {})[event.on] = event.amount
        case WorkSubmitted() | WorkReviewed():
            s.work = deliverables.evolve(s.work, event)
        case StepTaken():
            s.steps.setdefault(event.cycle_id, []).append(event.step)
        case AssessmentScored():
            s.attempts.setdefault(event.part_id, []).append(
                Attempt(taken_on=event.taken_on, score=event.score, passed=event.passed)
            )
        case MilestoneMarked():
            s.milestones[event.part_id] = event.achieved_on
        case PartCompleted():
            s.completed[event.part_id] = event.completed_on
            s.hours_earned += event.hours
        case CouncilMemberSeated():
            s.council.setdefault(event.part_id, {})[event.member_id] = CouncilSeat(
                full_name=event.full_name, group=event.group
            )
        case CouncilMemberLeft():
            s.council.get(event.part_id, {}).pop(event.member_id, None)
        case CouncilTrainingRecorded():
            s.council[event.part_id][event.member_id].trained.append(event.topic)
        case ProgramPaused():
            s.stage, s.paused_reason = Stage.PAUSED, event.reason
        case ProgramRoleChanged():
            s.role = event.role
        case ProgramResumed():
            s.stage = Stage.CERTIFIED if s.certified_until else Stage.ACTIVE
            s.stage = Stage.WAITLISTED if s.waiting else s.stage
            s.paused_reason = ""
        case SeatTaken():
            s.seat, s.waitlist_position = event.seat, None
            if s.stage is Stage.WAITLISTED:
                s.stage = Stage.ACTIVE
        case Waitlisted():
            s.waitlist_position = event.position
            if s.stage is Stage.ACTIVE:
                s.stage = Stage.WAITLISTED
        case NotSeated():
            if s.is_open:  # a journey withdrawn while its claim was answered stays withdrawn
                s.stage, s.end_reason = Stage.NOT_SEATED, event.reason
        case ProgramWithdrawn():
            s.stage = Stage.SEPARATED if event.separated else Stage.WITHDRAWN
            s.end_reason = event.reason
        case YearClosed():
            s.year_closed = True
        case ProgramCompleted():
            s.program_completed_on, s.expires_on = event.completed_on, event.expires_on
            s.stage = Stage.COMPLETED
        case CertificationRenewed():
            s.expires_on, s.stage = event.expires_on, Stage.RENEWED
        case CertificationExpired():
            s.stage = Stage.EXPIRED
        case StipendPaid():
            s.paid.append(event.purpose)
            s.paid_cents += event.amount_cents
        case HoursLapsed() | ProgramNoticeSent() | ProgramCheckpoint():
            pass
        case ProgramEnded():
            s.stage = Stage(event.outcome) if event.outcome in _STAGES else s.stage
        case CoachAssigned():
            s.coach_id = event.coach_id
        case _:
            raise TypeError(f"a program journey has no event {type(event).__name__}")
    return s


def evolve(state: ProgramJourneyState, event: DomainEvent) -> ProgramJourneyState:
    """The journey after `event`; `state` is not changed."""
    return fold_into(state.model_copy(deep=True), event)


def fold(events: Iterable[DomainEvent]) -> ProgramJourneyState:
    state = new_state()
    for event in events:
        fold_into(state, event)
    return state


# --- reading the journey --------------------------------------------------------------------


def renewing(s: ProgramJourneyState) -> bool:
    return s.certified_until is not None


def parts_of(s: ProgramJourneyState, d: ProgramDefinition) -> list[defs.Part]:
    """The parts this participant takes this year (or in this renewal)."""
    return d.parts_for(s.role, s.year_in_program, renewal=renewing(s))


def attended(s: ProgramJourneyState, part: defs.Course) -> list[defs.Session]:
    marks = s.marks.get(part.id, {})
    made_up = s.made_up.get(part.id, {})
    return [
        x for x in part.sessions if marks.get(x.id) is AttendanceStatus.PRESENT or x.id in made_up
    ]


def part_hours(s: ProgramJourneyState, part: defs.Part) -> Decimal:
    if isinstance(part, defs.Course):
        return sum((x.hours for x in attended(s, part)), Decimal(0))
    if isinstance(part, defs.Log) and part.unit == "hours":
        return dated_log.total(a for a in s.logs.get(part.id, {}).values() if a is not None)
    return Decimal(0)


def is_part_complete(s: ProgramJourneyState, part: defs.Part) -> bool:
    match part:
        case defs.Course():
            return len(attended(s, part)) >= part.needed()
        case defs.Log():
            entries = s.logs.get(part.id, {})
            amounts = (a for a in entries.values() if a is not None)
            return dated_log.reaches(
                len(entries),
                dated_log.total(amounts),
                min_entries=part.min_entries,
                min_amount=part.min_amount,
            )
        case defs.Deliverable():
            state = s.work.get(part.id)
            return state is not None and state.status is deliverables.DeliverableStatus.ACCEPTED
        case defs.Steps():
            return ordered_steps.is_complete(s.steps.get(part.id, []), part.steps)
        case defs.Assessment():
            return assessments.is_passed(_attempts(s, part))
        case defs.Milestone():
            return part.id in s.milestones
        case defs.Council():
            return not council_problems(s, part)
    raise TypeError(part)  # pragma: no cover - every kind is matched above


def missing_words(s: ProgramJourneyState, part: defs.Part) -> str:
    """What a part still lacks, in a sentence."""
    match part:
        case defs.Course():
            return f"{part.title}: {len(attended(s, part))} of {part.needed()} sessions attended"
        case defs.Log():
            entries = s.logs.get(part.id, {})
            amount = dated_log.total(a for a in entries.values() if a is not None)
            have = []
            if part.min_entries:
                have.append(f"{len(entries)} of {part.min_entries} entries")
            if part.min_amount:
                have.append(f"{amount} of {part.min_amount} {part.unit}")
            return f"{part.title}: {', '.join(have)}"
        case defs.Deliverable():
            state = s.work.get(part.id)
            return f"{part.title}: {state.status.value if state else 'not submitted'}"
        case defs.Steps():
            left = ordered_steps.remaining(s.steps.get(part.id, []), part.steps)
            return f"{part.title}: still to record {', '.join(left)}"
        case defs.Assessment():
            tries = _attempts(s, part)
            return f"{part.title}: not passed ({len(tries)} attempt(s))"
        case defs.Milestone():
            return f"{part.title}: not reported"
        case defs.Council():
            return f"{part.title}: " + "; ".join(council_problems(s, part))
    raise TypeError(part)  # pragma: no cover


def council_members(s: ProgramJourneyState, part: defs.Council) -> dict[str, councils.Member]:
    return {
        member_id: councils.Member(member_id, seat.full_name, seat.group, frozenset(seat.trained))
        for member_id, seat in s.council.get(part.id, {}).items()
    }


def council_problems(s: ProgramJourneyState, part: defs.Council) -> list[str]:
    members = council_members(s, part).values()
    problems = councils.composition_problems(members, part.composition())
    waiting = councils.untrained(members, part.topics)
    if waiting:
        problems.append(f"{len(waiting)} member(s) not yet trained: " + "; ".join(waiting))
    return problems


def checkpoint_missing(s: ProgramJourneyState, d: ProgramDefinition) -> list[str]:
    """What a review day finds still missing among the required parts."""
    return [
        missing_words(s, p) for p in parts_of(s, d) if p.required and not is_part_complete(s, p)
    ]


def required_complete(s: ProgramJourneyState, d: ProgramDefinition) -> bool:
    return all(is_part_complete(s, p) for p in parts_of(s, d) if p.required)


def year_hours(s: ProgramJourneyState, d: ProgramDefinition) -> Decimal:
    return sum((part_hours(s, p) for p in parts_of(s, d)), Decimal(0))


def _attempts(s: ProgramJourneyState, part: defs.Assessment) -> list[assessments.Attempt]:
    return [assessments.Attempt(a.taken_on, a.score, a.passed) for a in s.attempts.get(part.id, [])]


def rules_of(part: defs.Assessment, d: ProgramDefinition) -> assessments.Rules:
    review = d.part(part.review_part) if part.review_part else None
    return assessments.Rules(
        title=part.title,
        max_score=part.max_score,
        pass_mark=part.pass_mark,
        retake_wait_days=part.retake_wait_days,
        max_attempts=part.max_attempts,
        review_after_failures=part.review_after_failures,
        review_title=review.title if review else "the review training",
    )


# --- decisions -----------------------------------------------------------------------------


def _stamp(now: datetime, ids: NewId) -> dict[str, Any]:
    return {"event_id": ids(), "occurred_at": now}


def check_open(s: ProgramJourneyState) -> None:
    if s.stage is Stage.ENROLLED:
        raise ProgramRefusal(
            "the journey is still starting (looking the participant up in HR); try again",
            code="journey.starting",
        )
    if not s.is_open:
        reason = f": {s.end_reason}" if s.end_reason else ""
        raise ProgramRefusal(
            f"the journey has ended ({s.stage.value}{reason}); nothing more can be recorded",
            code="journey.ended",
        )
    check_year_open(s)
    if s.stage is Stage.WAITLISTED:
        raise ProgramRefusal(
            f"the participant is number {s.waitlist_position} on the waitlist; nothing is "
            "recorded until a seat is theirs",
            code="program.waitlisted",
        )
    if s.stage is Stage.PAUSED:
        raise ProgramRefusal(
            f"the journey is paused ({s.paused_reason}); it resumes when HR reports the return",
            code="program.paused",
        )


def check_year_open(s: ProgramJourneyState) -> None:
    """Once the year is summed up nothing more joins it: what comes while the journey pays
    and continues into its next year belongs to that year."""
    if s.year_closed:
        raise ProgramRefusal(
            f"the {s.school_year} year has closed; send it again once the next year has begun",
            code="program.year_closed",
        )


def _part(s: ProgramJourneyState, d: ProgramDefinition, part_id: str, kind: type[Any]) -> Any:
    part = d.part(part_id)
    if part is None:
        ids = ", ".join(p.id for p in d.parts)
        raise ProgramRefusal(
            f"{d.title} has no part {part_id!r} (parts: {ids})", code="program.unknown_part"
        )
    if not isinstance(part, kind):
        raise ProgramRefusal(
            f"{part.title} is a {part.kind}, not a {kind.__name__.lower()}",
            code="program.wrong_part_kind",
        )
    if part not in parts_of(s, d):
        why = (
            "is not part of a renewal"
            if renewing(s)
            else f"is not for {s.role or 'this participant'} in year {s.year_in_program}"
        )
        raise ProgramRefusal(f"{part.title} {why}", code="program.part_not_applicable")
    return part


def _with_completion(
    s: ProgramJourneyState,
    d: ProgramDefinition,
    part: defs.Part,
    events: list[DomainEvent],
    on: date,
    now: datetime,
    ids: NewId,
) -> list[DomainEvent]:
    """`events`, and the part's completion record if they complete it."""
    if part.id in s.completed:
        return events
    after = s.model_copy(deep=True)
    for event in events:
        fold_into(after, event)
    if not is_part_complete(after, part):
        return events
    done = PartCompleted(
        **_stamp(now, ids),
        part_id=part.id,
        title=part.title,
        provider=part.provider or d.provider,
        completed_on=on,
        hours=part_hours(after, part),
        competencies=list(part.competencies),
    )
    return [*events, done]


def _session(part: defs.Course, session_id: str) -> defs.Session:
    session = next((x for x in part.sessions if x.id == session_id), None)
    if session is None:
        known = ", ".join(x.id for x in part.sessions)
        raise ProgramRefusal(
            f"{part.title} has no session {session_id!r} (sessions: {known})",
            code="session.unknown",
        )
    return session


def decide_mark(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: MarkSession, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Course = _part(s, d, cmd.part_id, defs.Course)
    session = _session(part, cmd.session_id)
    if problem := not_yet(f"{part.title}, session", session.on, now, d.time_zone):
        raise ProgramRefusal(problem, code="date.in_future")
    previous = s.marks.get(part.id, {}).get(session.id)
    by = s.marked_by.get(part.id, {}).get(session.id)
    check_mark(session.title or session.id, cmd, previous, ProgramRefusal, by)
    mark = SessionMarked(
        **_stamp(now, ids),
        part_id=part.id,
        session_id=session.id,
        status=cmd.status,
        recorded_by=cmd.recorded_by,
        correction_reason=cmd.correction_reason,
    )
    return _with_completion(s, d, part, [mark], session.on, now, ids)


def decide_make_up(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: MakeUpSession, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Course = _part(s, d, cmd.part_id, defs.Course)
    if not part.make_ups:
        raise ProgramRefusal(f"{part.title} has no make-ups", code="program.no_make_ups")
    session = _session(part, cmd.session_id)
    if s.marks.get(part.id, {}).get(session.id) is not AttendanceStatus.ABSENT:
        raise ProgramRefusal(
            f"only a session recorded as missed is made up; {session.id!r} is not",
            code="make_up.not_needed",
        )
    already = session.id in s.made_up.get(part.id, {})
    title = session.title or session.id
    check_make_up(title, session.on, cmd.made_up_on, already, now, d.time_zone, ProgramRefusal)
    made_up = SessionMadeUp(
        **_stamp(now, ids),
        part_id=part.id,
        session_id=cmd.session_id,
        made_up_on=cmd.made_up_on,
        recorded_by=cmd.recorded_by,
        note=cmd.note,
    )
    return _with_completion(s, d, part, [made_up], cmd.made_up_on, now, ids)


def decide_log(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: RecordLogEntry, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Log = _part(s, d, cmd.part_id, defs.Log)
    if part.unit and cmd.amount is None:
        raise ProgramRefusal(
            f"{part.title} counts {part.unit}: give the amount", code="log.amount_required"
        )
    if not part.unit and cmd.amount is not None:
        raise ProgramRefusal(f"{part.title} counts entries, not amounts", code="log.no_amount")
    if part.with_attendees and not cmd.attendees:
        raise ProgramRefusal(
            f"{part.title} names who attended each time", code="log.attendees_required"
        )
    log = dated_log.DatedLog(
        entry=part.entry,
        starts=d.starts,
        ends=d.ends,
        time_zone=d.time_zone,
        unit=part.unit,
        max_per_day=part.max_per_day,
    )
    logged = s.logs.get(part.id, {})
    dated_log.check_entry(
        log, logged, cmd.on, cmd.amount, now, ProgramRefusal, code="log.already_logged"
    )
    entry = LogEntryRecorded(
        **_stamp(now, ids),
        part_id=part.id,
        on=cmd.on,
        amount=cmd.amount,
        note=cmd.note,
        attendees=list(cmd.attendees),
        logged_by=cmd.logged_by,
    )
    return _with_completion(s, d, part, [entry], cmd.on, now, ids)


def decide_submit(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: SubmitWork, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Deliverable = _part(s, d, cmd.deliverable_id, defs.Deliverable)
    deliverables.check_submission(part.title, s.work.get(part.id), ProgramRefusal)
    return [
        WorkSubmitted(
            **_stamp(now, ids),
            deliverable_id=part.id,
            submitted_by=cmd.submitted_by,
            note=cmd.note,
        )
    ]


def decide_review(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: ReviewWork, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Deliverable = _part(s, d, cmd.deliverable_id, defs.Deliverable)
    deliverables.check_review(cmd, s.work.get(part.id), ProgramRefusal)
    review = WorkReviewed(
        **_stamp(now, ids),
        deliverable_id=part.id,
        accepted=cmd.accepted,
        reviewed_by=cmd.reviewed_by,
        comment=cmd.comment,
    )
    return _with_completion(s, d, part, [review], local_date(now, d.time_zone), now, ids)


def decide_step(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: TakeStep, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Steps = _part(s, d, cmd.part_id, defs.Steps)
    if cmd.step not in part.steps:
        raise ProgramRefusal(
            f"{part.title} has no step {cmd.step!r} ({' → '.join(part.steps)})",
            code="program.unknown_step",
        )
    if part.needs_note and not cmd.note:
        raise ProgramRefusal(
            f"{part.title}: each step is recorded with its words (the goal, the review)",
            code="program.note_required",
        )
    today = local_date(now, d.time_zone)
    done = s.steps.get(part.id, [])
    ordered_steps.check_step(part, done, cmd.step, part.steps, today, ProgramRefusal)
    step = StepTaken(
        **_stamp(now, ids),
        cycle_id=part.id,
        step=cmd.step,
        recorded_by=cmd.recorded_by,
        note=cmd.note,
    )
    return _with_completion(s, d, part, [step], today, now, ids)


def reviewed_on(s: ProgramJourneyState, d: ProgramDefinition, part: defs.Assessment) -> date | None:
    """The latest day the participant attended the assessment's review training."""
    review = d.part(part.review_part) if part.review_part else None
    if not isinstance(review, defs.Course):
        return None
    days = [x.on for x in attended(s, review)]
    days += list(s.made_up.get(review.id, {}).values())
    return max(days, default=None)


def decide_score(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: ScoreAssessment, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Assessment = _part(s, d, cmd.part_id, defs.Assessment)
    if renewing(s):
        check_renewal_open(s, d, cmd.taken_on)
    rules = rules_of(part, d)
    tries = _attempts(s, part)
    assessments.check_attempt(
        rules,
        tries,
        cmd.taken_on,
        cmd.score,
        began_on=s.began_on or d.starts,
        reviewed_on=reviewed_on(s, d, part),
        now=now,
        time_zone=d.time_zone,
        refusal=ProgramRefusal,
    )
    scored = AssessmentScored(
        **_stamp(now, ids),
        part_id=part.id,
        taken_on=cmd.taken_on,
        score=cmd.score,
        max_score=part.max_score,
        passed=assessments.passes(rules, cmd.score),
        attempt=len(tries) + 1,
        recorded_by=cmd.recorded_by,
    )
    return _with_completion(s, d, part, [scored], cmd.taken_on, now, ids)


def decide_milestone(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: ReportMilestone, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Milestone = _part(s, d, cmd.part_id, defs.Milestone)
    reported = {part.id: s.milestones[part.id]} if part.id in s.milestones else {}
    if milestones.is_repeat(reported, part.id, cmd.achieved_on):
        return []  # the same report again (a system retrying) changes nothing
    milestones.check_report(
        reported,
        part.id,
        cmd.achieved_on,
        label=part.title,
        start=("the journey began", s.began_on),
        order=None,
        now=now,
        time_zone=d.time_zone,
        refusal=ProgramRefusal,
    )
    marked = MilestoneMarked(
        **_stamp(now, ids),
        part_id=part.id,
        achieved_on=cmd.achieved_on,
        reported_by=cmd.reported_by,
        reference=cmd.reference,
    )
    return _with_completion(s, d, part, [marked], cmd.achieved_on, now, ids)


def decide_seat(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: SeatMember, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Council = _part(s, d, cmd.part_id, defs.Council)
    councils.check_seat(
        council_members(s, part), cmd.member_id, cmd.group, part.composition(), ProgramRefusal
    )
    seated = CouncilMemberSeated(
        **_stamp(now, ids),
        part_id=part.id,
        member_id=cmd.member_id,
        full_name=cmd.full_name,
        group=cmd.group,
        seated_by=cmd.seated_by,
    )
    return _with_completion(s, d, part, [seated], local_date(now, d.time_zone), now, ids)


def decide_member_leaves(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: MemberLeaves, now: datetime, ids: NewId
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Council = _part(s, d, cmd.part_id, defs.Council)
    councils.check_member(council_members(s, part), cmd.member_id, ProgramRefusal)
    left = CouncilMemberLeft(
        **_stamp(now, ids),
        part_id=part.id,
        member_id=cmd.member_id,
        reason=cmd.reason,
        recorded_by=cmd.recorded_by,
    )
    return [left]


def decide_member_training(
    s: ProgramJourneyState,
    d: ProgramDefinition,
    cmd: RecordMemberTraining,
    now: datetime,
    ids: NewId,
) -> list[DomainEvent]:
    check_open(s)
    part: defs.Council = _part(s, d, cmd.part_id, defs.Council)
    councils.check_training(
        council_members(s, part), cmd.member_id, cmd.topic, part.topics, ProgramRefusal
    )
    if problem := not_yet("on", cmd.on, now, d.time_zone):
        raise ProgramRefusal(problem, code="date.in_future")
    trained = CouncilTrainingRecorded(
        **_stamp(now, ids),
        part_id=part.id,
        member_id=cmd.member_id,
        topic=cmd.topic,
        on=cmd.on,
        recorded_by=cmd.recorded_by,
    )
    return _with_completion(s, d, part, [trained], cmd.on, now, ids)


def decide_withdrawal(
    s: ProgramJourneyState, cmd: WithdrawFromProgram, now: datetime, ids: NewId, time_zone: str
) -> list[DomainEvent]:
    if not s.is_open:
        check_open(s)
    check_year_open(s)
    return [
        ProgramWithdrawn(
            **_stamp(now, ids),
            reason=cmd.reason,
            withdrawn_by=cmd.withdrawn_by,
            effective_on=local_date(now, time_zone),
        )
    ]


def decide_hr(
    s: ProgramJourneyState, d: ProgramDefinition, cmd: HearHr, now: datetime, ids: NewId
) -> list[DomainEvent]:
    """What HR's change does to the journey, as the definition's `hr` rules say; nothing when
    the program does not care (a transfer, a new title it is also for)."""
    if not s.is_open:
        check_open(s)
    check_year_open(s)
    if problem := not_yet("effective_on", cmd.effective_on, now, d.time_zone):
        raise ProgramRefusal(problem, code="date.in_future")
    stamp = _stamp(now, ids)
    reason = cmd.reason or cmd.change.value.replace("_", " ")
    paused = s.stage is Stage.PAUSED
    if cmd.change is HrChange.ROLE_CHANGE and cmd.role and cmd.role != s.role:
        # The new title first: the parts and stipends for a title follow it from now on.
        changed = ProgramRoleChanged(
            **stamp, role=cmd.role, effective_on=cmd.effective_on, reported_by=cmd.reported_by
        )
        return [changed, *decide_hr(fold_into(s.model_copy(deep=True), changed), d, cmd, now, ids)]
    match cmd.change:
        case HrChange.SEPARATION:
            return [
                ProgramWithdrawn(
                    **stamp,
                    reason=f"left the district {cmd.effective_on}: {reason}",
                    withdrawn_by=cmd.reported_by,
                    effective_on=cmd.effective_on,
                    separated=True,
                )
            ]
        case HrChange.ROLE_CHANGE:
            if not cmd.role:
                raise ProgramRefusal("a role change needs the new role", code="hr.role_required")
            if cmd.role in d.eligibility.roles:
                if paused and s.paused_reason.startswith("took the role"):
                    return [
                        ProgramResumed(
                            **stamp,
                            reason=f"back in the role {cmd.role}",
                            resumed_by=cmd.reported_by,
                            effective_on=cmd.effective_on,
                        )
                    ]
                return []
            why = f"took the role {cmd.role}, which {d.title} is not for"
            return _hr_rule(d.hr.role_change, why, cmd, stamp, paused)
        case HrChange.LEAVE_START:
            return _hr_rule(d.hr.leave, f"on leave: {reason}", cmd, stamp, paused)
        case HrChange.LEAVE_END:
            if paused and s.paused_reason.startswith("on leave"):
                if s.role not in d.eligibility.roles and d.hr.role_change is OnChange.PAUSE:
                    why = f"took the role {s.role}, which {d.title} is not for"
                    return [
                        ProgramPaused(
                            **stamp, reason=why, paused_by=cmd.reported_by,
                            effective_on=cmd.effective_on,
                        )
                    ]  # fmt: skip
                return [
                    ProgramResumed(
                        **stamp,
                        reason="returned from leave",
                        resumed_by=cmd.reported_by,
                        effective_on=cmd.effective_on,
                    )
                ]
            return []
    return []


def _hr_rule(
    rule: OnChange, why: str, cmd: HearHr, stamp: dict[str, Any], paused: bool
) -> list[DomainEvent]:
    if rule is OnChange.END:
        return [
            ProgramWithdrawn(
                **stamp, reason=why, withdrawn_by=cmd.reported_by, effective_on=cmd.effective_on
            )
        ]
    if rule is OnChange.PAUSE and not paused:
        return [
            ProgramPaused(
                **stamp, reason=why, paused_by=cmd.reported_by, effective_on=cmd.effective_on
            )
        ]
    return []


# --- certification ---------------------------------------------------------------------------


def renewal_opens(s: ProgramJourneyState, d: ProgramDefinition) -> date | None:
    if s.certified_until is None or d.award is None:
        return None
    return s.certified_until - timedelta(days=d.award.renewal_opens_days_before)


def check_renewal_open(s: ProgramJourneyState, d: ProgramDefinition, on: date) -> None:
    opens = renewal_opens(s, d)
    if opens is not None and on < opens:
        raise ProgramRefusal(
            f"the renewal of {d.award.title if d.award else d.title} opens on {opens}, "
            f"{d.award.renewal_opens_days_before if d.award else 0} days before it expires on "
            f"{s.certified_until}",
            code="certification.renewal_not_open",
        )


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def completion_events(
    s: ProgramJourneyState,
    d: ProgramDefinition,
    journey_id: str,
    incomplete_years: Iterable[int],
    now: datetime,
    ids: NewId,
) -> list[DomainEvent]:
    """The program's completion (or a certification's renewal), once every required part of
    its final year (or renewal) is complete and no earlier year closed incomplete; none
    otherwise."""
    if s.stage not in (Stage.ACTIVE, Stage.CERTIFIED) or not required_complete(s, d):
        return []
    final_year = renewing(s) or s.year_in_program >= d.years
    if not final_year or list(incomplete_years):
        return []
    on = max((day for day in s.completed.values()), default=local_date(now, d.time_zone))
    award = d.award
    if renewing(s) and award is not None and s.certified_until is not None:
        assert award.valid_years is not None
        return [
            CertificationRenewed(
                **_stamp(now, ids),
                title=award.title,
                renewed_on=on,
                expires_on=add_years(s.certified_until, award.valid_years),
            )
        ]
    expires = (
        add_years(on, award.valid_years)
        if award is not None and award.kind is AwardKind.CERTIFICATION and award.valid_years
        else None
    )
    competencies: list[str] = []
    for part in parts_of(s, d):
        competencies += [c for c in part.competencies if c not in competencies]
    return [
        ProgramCompleted(
            **_stamp(now, ids),
            title=d.title,
            provider=d.provider,
            completed_on=on,
            hours=year_hours(s, d),
            competencies=competencies,
            award=award.title if award else None,
            certificate_id=f"{journey_id}/{d.school_year}" if award else None,
            expires_on=expires,
        )
    ]


def completing(
    s: ProgramJourneyState,
    d: ProgramDefinition,
    events: list[DomainEvent],
    journey_id: str,
    incomplete_years: Iterable[int],
    now: datetime,
    ids: NewId,
) -> list[DomainEvent]:
    """`events` and the program's completion, if they complete it."""
    after = s.model_copy(deep=True)
    for event in events:
        fold_into(after, event)
    return events + completion_events(after, d, journey_id, incomplete_years, now, ids)


def close_year(
    s: ProgramJourneyState, d: ProgramDefinition, now: datetime, ids: NewId
) -> list[DomainEvent]:
    """The year's last day has passed: what was complete and what was missing."""
    parts = parts_of(s, d)
    return [
        YearClosed(
            **_stamp(now, ids),
            year_in_program=s.year_in_program,
            completed=[p.title for p in parts if is_part_complete(s, p)],
            missing=[
                missing_words(s, p) for p in parts if p.required and not is_part_complete(s, p)
            ],
            complete=required_complete(s, d),
            hours=year_hours(s, d),
        )
    ]


# --- money -----------------------------------------------------------------------------------


class Payment(BaseModel):
    purpose: str
    basis: StipendBasis
    amount_cents: int
    memo: str
    hours: Decimal | None = None


def stipends_due(
    s: ProgramJourneyState, d: ProgramDefinition, *, completed: bool
) -> tuple[list[Payment], Decimal]:
    """The stipends the journey owes as its year ends (completed, closed, or left), not yet
    paid: the completion stipend only when `completed`; and the hours carried to next year
    below an hourly stipend's threshold."""
    due: list[Payment] = []
    carry = Decimal(0)
    year = f"{s.school_year}"
    for index, stipend in enumerate(d.stipends):
        if stipend.for_roles and s.role not in stipend.for_roles:
            continue
        purpose = f"stipend/{year}/{stipend.basis.value}/{index}"
        if purpose in s.paid:
            continue
        if stipend.basis is StipendBasis.COMPLETION:
            if completed:
                due.append(
                    Payment(
                        purpose=purpose,
                        basis=stipend.basis,
                        amount_cents=stipend.amount_cents,
                        memo=f"{d.title}: completion stipend",
                    )
                )
            continue
        if stipend.basis is StipendBasis.SESSION:
            sessions = sum(
                len(attended(s, p)) for p in parts_of(s, d) if isinstance(p, defs.Course)
            )
            if sessions:
                due.append(
                    Payment(
                        purpose=purpose,
                        basis=stipend.basis,
                        amount_cents=stipend.amount_cents * sessions,
                        memo=f"{d.title}: {sessions} session(s) attended, {year}",
                    )
                )
            continue
        hours = year_hours(s, d) + s.carried_hours
        threshold = stipend.hours_threshold or Decimal(0)
        if hours and hours >= threshold:
            cents = int((hours * stipend.amount_cents).quantize(Decimal(1), ROUND_HALF_UP))
            due.append(
                Payment(
                    purpose=purpose,
                    basis=stipend.basis,
                    amount_cents=cents,
                    memo=f"{d.title}: {hours} hours, {year}",
                    hours=hours,
                )
            )
        elif hours:
            carry = hours
    return due, carry


def status(s: ProgramJourneyState, d: ProgramDefinition) -> ProgramStatus:
    parts = parts_of(s, d)
    return ProgramStatus(
        coach_id=s.coach_id,
        employee_id=s.employee_id,
        full_name=s.full_name,
        program_key=d.key,
        program_title=d.title,
        school_year=s.school_year or d.school_year,
        year_in_program=s.year_in_program,
        years=d.years,
        cycle=s.cycle,
        stage=s.stage,
        parts=[
            PartStatus(
                part_id=p.id,
                title=p.title,
                kind=p.kind,
                required=p.required,
                complete=is_part_complete(s, p),
                progress=(
                    "complete"
                    if is_part_complete(s, p)
                    else missing_words(s, p).removeprefix(f"{p.title}: ")
                ),
            )
            for p in parts
        ],
        hours=year_hours(s, d),
        certified_until=s.expires_on or s.certified_until,
        completed_on=s.program_completed_on,
        renewal_opens=renewal_opens(s, d),
        end_reason=s.end_reason or s.paused_reason,
        seat=s.seat,
        waitlist_position=s.waitlist_position,
        seats=d.seats,
    )


class PartStatus(BaseModel):
    part_id: str
    title: str
    kind: str
    required: bool
    complete: bool
    progress: str


class ProgramStatus(BaseModel):
    employee_id: str
    full_name: str
    program_key: str
    program_title: str
    school_year: str
    year_in_program: int
    years: int
    cycle: int
    stage: Stage
    parts: list[PartStatus]
    hours: Decimal
    certified_until: date | None = None
    completed_on: date | None = None
    renewal_opens: date | None = None
    end_reason: str = ""
    seat: int | None = None
    waitlist_position: int | None = None
    seats: int | None = None
    coach_id: str | None = None


__all__ = [
    "CertificationExpired",
    "HoursLapsed",
    "ProgramEnded",
    "ProgramNoticeSent",
    "StipendPaid",
]
