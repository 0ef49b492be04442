"""An aspiring principal's year: the Summer Institute, an optional shadowing fellowship with a
mentor principal and its shadow log, and VP/AP training and coaching.

`fold(events)` rebuilds the year; `decide_*` functions return the events a command causes or
raise `AspiringRefusal`. At the close the year is summed up: each component complete or what is
missing, so the office and the participant see the same account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from domain import dated_log
from domain.aspiring_principals.program import AspiringPrincipalsYear
from domain.attendance import (
    AttendanceStatus,
    RecordSessionAttendance,
    SessionAttendanceRecorded,
    check_mark,
)
from domain.calendar import is_after_today, not_yet
from domain.coaching import CoachAssignment
from domain.commands import Command, OfficePerson
from domain.dated_log import DatedLog
from domain.events import DomainEvent, Notice
from domain.refusals import Refusal

NewId = Callable[[], UUID]


class AspiringRefusal(Refusal):
    """A command the aspiring principal's year cannot accept, in words to act on."""


# --- events --------------------------------------------------------------------------------


class AspiringJoined(DomainEvent):
    event_type = "aspiring_principal.AspiringJoined"

    employee_id: str
    program_year: str
    tier1_credential_on: date
    nominated_by: str


class AspiringIdentified(DomainEvent):
    event_type = "aspiring_principal.AspiringIdentified"

    full_name: str
    email: str
    role: str
    school_id: str | None


class AspiringIneligible(DomainEvent):
    event_type = "aspiring_principal.AspiringIneligible"

    reason: str


class InstituteAttendanceRecorded(SessionAttendanceRecorded):
    event_type = "aspiring_principal.InstituteAttendanceRecorded"


class ShadowingPlaced(DomainEvent):
    event_type = "aspiring_principal.ShadowingPlaced"

    mentor_id: str
    mentor_name: str
    mentor_email: str
    mentor_school_id: str | None
    offered_by: str


class ShadowLogged(DomainEvent):
    event_type = "aspiring_principal.ShadowLogged"

    on: date
    hours: Decimal
    focus: str
    reflection: str
    logged_by: str


class VpTrainingRecorded(SessionAttendanceRecorded):
    event_type = "aspiring_principal.VpTrainingRecorded"


class CoachingSessionRecorded(DomainEvent):
    event_type = "aspiring_principal.CoachingSessionRecorded"

    on: date
    coach: str
    focus: str


class AspiringWithdrawn(DomainEvent):
    event_type = "aspiring_principal.AspiringWithdrawn"

    reason: str
    withdrawn_by: str


class AspiringYearSummed(DomainEvent):
    """The year closed: each component complete, or what is missing."""

    event_type = "aspiring_principal.AspiringYearSummed"

    completed: list[str]
    missing: list[str]


class AspiringNoticeSent(Notice):
    event_type = "aspiring_principal.AspiringNoticeSent"


class AspiringEnded(DomainEvent):
    event_type = "aspiring_principal.AspiringEnded"

    outcome: str


class CoachAssigned(CoachAssignment):
    event_type = "aspiring_principal.CoachAssigned"


# --- state ---------------------------------------------------------------------------------


class Stage(StrEnum):
    JOINED = "joined"
    ACTIVE = "active"
    INELIGIBLE = "ineligible"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"


class ShadowEntry(BaseModel):
    on: date
    hours: Decimal
    focus: str


class Aspiring(BaseModel):
    employee_id: str = ""
    full_name: str = ""
    email: str = ""
    role: str = ""
    school_id: str | None = None
    stage: Stage = Stage.JOINED
    institute: dict[str, AttendanceStatus] = Field(default_factory=dict)
    mentor_id: str | None = None
    mentor_name: str | None = None
    mentor_email: str | None = None
    shadow_log: list[ShadowEntry] = Field(default_factory=list)
    vp_training: dict[str, AttendanceStatus] = Field(default_factory=dict)
    coaching: list[date] = Field(default_factory=list)
    completed: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    end_reason: str | None = None
    ended: str | None = None
    coach_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.stage in (Stage.JOINED, Stage.ACTIVE)

    @property
    def shadow_hours(self) -> Decimal:
        return dated_log.total(e.hours for e in self.shadow_log)


def evolve(a: Aspiring, event: DomainEvent) -> Aspiring:
    a = a.model_copy(deep=True)
    match event:
        case AspiringJoined():
            a.employee_id = event.employee_id
        case AspiringIdentified():
            a.full_name, a.email, a.role, a.school_id = (
                event.full_name,
                event.email,
                event.role,
                event.school_id,
            )
            if a.stage is Stage.JOINED:  # not if withdrawn while HR was asked
                a.stage = Stage.ACTIVE
        case AspiringIneligible():
            a.stage, a.end_reason = Stage.INELIGIBLE, event.reason
        case InstituteAttendanceRecorded():
            a.institute[event.session_id] = event.status
        case ShadowingPlaced():
            a.mentor_id, a.mentor_name, a.mentor_email = (
                event.mentor_id,
                event.mentor_name,
                event.mentor_email,
            )
        case ShadowLogged():
            a.shadow_log.append(ShadowEntry(on=event.on, hours=event.hours, focus=event.focus))
        case VpTrainingRecorded():
            a.vp_training[event.session_id] = event.status
        case CoachingSessionRecorded():
            a.coaching.append(event.on)
        case AspiringWithdrawn():
            a.stage, a.end_reason = Stage.WITHDRAWN, event.reason
        case AspiringYearSummed():
            a.completed, a.missing = event.completed, event.missing
            a.stage = Stage.INCOMPLETE if event.missing else Stage.COMPLETED
        case AspiringEnded():
            a.ended = event.outcome
        case AspiringNoticeSent():
            pass
        case CoachAssigned():
            a.coach_id = event.coach_id
        case _:
            raise TypeError(f"an aspiring principal journey has no event {event.event_type}")
    return a


def fold(events: Iterable[DomainEvent]) -> Aspiring:
    a = Aspiring()
    for event in events:
        a = evolve(a, event)
    return a


# --- commands and decisions ----------------------------------------------------------------


class AspiringNomination(Command):
    employee_id: str = Field(min_length=1)
    tier1_credential_on: date
    nominated_by: str = Field("hris", min_length=1)


class RecordInstituteDay(RecordSessionAttendance):
    pass


class OfferShadowing(Command):
    mentor_id: str = Field(min_length=1)
    offered_by: OfficePerson


class LogShadow(Command):
    on: date
    hours: Decimal = Field(gt=0, decimal_places=2)
    focus: str = Field(min_length=3, max_length=200)
    reflection: str = Field("", max_length=4000)
    logged_by: str = Field(min_length=1)


class RecordVpTraining(RecordSessionAttendance):
    pass


class RecordCoaching(Command):
    on: date
    coach: str = Field(min_length=1)
    focus: str = Field(min_length=3, max_length=200)


class WithdrawAspiring(Command):
    reason: str = Field(min_length=1)
    withdrawn_by: str = Field(min_length=1)


def check_eligibility(year: AspiringPrincipalsYear, role: str) -> str | None:
    if role in year.eligible_roles:
        return None
    return (
        f"HR lists the participant as {role!r}; Aspiring Principals is for "
        f"{', '.join(year.eligible_roles)} with a Tier I credential"
    )


def check_nomination(
    year: AspiringPrincipalsYear, nomination: AspiringNomination, now: datetime
) -> None:
    """A nomination names a Tier I credential already earned: a date still to come (in the
    program's time zone) is refused, whichever way the nomination arrives."""
    earned = nomination.tier1_credential_on
    if problem := not_yet("the Tier I credential dated", earned, now, year.time_zone):
        raise AspiringRefusal(problem, code="date.in_future")


def _require_active(a: Aspiring, action: str) -> None:
    if a.stage is not Stage.ACTIVE:
        code = "journey.starting" if a.stage is Stage.JOINED else "journey.ended"
        raise AspiringRefusal(f"cannot {action}: the year is {a.stage.value}", code=code)


def _past(on: date, now: datetime, year: AspiringPrincipalsYear, what: str) -> None:
    if is_after_today(on, now, year.time_zone):
        raise AspiringRefusal(f"{what} is on {on}; it has not happened yet", code="date.in_future")


def shadow_log(year: AspiringPrincipalsYear) -> DatedLog:
    """The shadow log: hours a day with the mentor principal, inside the school year."""
    return DatedLog(
        entry="that shadow day",
        starts=year.school_year_starts,
        ends=year.school_year_ends,
        time_zone=year.time_zone,
        unit="hours",
        max_per_day=year.shadowing.max_hours_per_day,
    )


def coaching_log(year: AspiringPrincipalsYear) -> DatedLog:
    """Coaching in role: sessions, one a day, counted against the year's number."""
    return DatedLog(
        entry="that coaching session",
        starts=year.school_year_starts,
        ends=year.school_year_ends,
        time_zone=year.time_zone,
    )


def decide_institute_day(
    a: Aspiring, year: AspiringPrincipalsYear, cmd: RecordInstituteDay, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_active(a, "record attendance")
    day = year.institute_day(cmd.session_id)
    if day is None:
        known = ", ".join(s.session_id for s in year.summer_institute)
        raise AspiringRefusal(
            f"unknown Summer Institute day {cmd.session_id!r}; days: {known}",
            code="session.unknown",
        )
    _past(day.on, now, year, day.title)
    previous = a.institute.get(cmd.session_id)
    check_mark(day.title, cmd, previous, AspiringRefusal)
    return [
        InstituteAttendanceRecorded(
            event_id=new_id(),
            occurred_at=now,
            session_id=cmd.session_id,
            status=cmd.status,
            recorded_by=cmd.recorded_by,
            correction_reason=cmd.correction_reason if previous else None,
        )
    ]


def check_shadowing_offer(a: Aspiring, cmd: OfferShadowing) -> None:
    _require_active(a, "offer a shadowing fellowship")
    if a.mentor_id is not None:
        raise AspiringRefusal(
            f"already shadowing {a.mentor_name} ({a.mentor_id})", code="shadowing.already_placed"
        )
    if cmd.mentor_id == a.employee_id:
        raise AspiringRefusal("a participant cannot mentor themself", code="shadowing.self_mentor")


def decide_shadowing(
    a: Aspiring,
    cmd: OfferShadowing,
    mentor_role: str,
    mentor_active: bool,
    mentor: tuple[str, str, str | None],
    now: datetime,
    new_id: NewId,
) -> list[DomainEvent]:
    """The mentor as HR has them: only an active principal can be shadowed."""
    check_shadowing_offer(a, cmd)
    name, email, school = mentor
    if mentor_role != "principal" or not mentor_active:
        raise AspiringRefusal(
            f"{cmd.mentor_id} ({name}) is {'an inactive ' if not mentor_active else ''}"
            f"{mentor_role} in HR; the mentor must be a serving principal",
            code="shadowing.mentor_not_principal",
        )
    return [
        ShadowingPlaced(
            event_id=new_id(),
            occurred_at=now,
            mentor_id=cmd.mentor_id,
            mentor_name=name,
            mentor_email=email,
            mentor_school_id=school,
            offered_by=cmd.offered_by,
        )
    ]


def decide_shadow_log(
    a: Aspiring, year: AspiringPrincipalsYear, cmd: LogShadow, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_active(a, "log shadowing")
    if a.mentor_id is None:
        raise AspiringRefusal(
            "there is no shadowing fellowship to log: offer one first", code="shadowing.not_placed"
        )
    dated_log.check_entry(
        shadow_log(year),
        {e.on for e in a.shadow_log},
        cmd.on,
        cmd.hours,
        now,
        AspiringRefusal,
        code="shadowing.already_logged",
    )
    return [
        ShadowLogged(
            event_id=new_id(),
            occurred_at=now,
            on=cmd.on,
            hours=cmd.hours,
            focus=cmd.focus,
            reflection=cmd.reflection,
            logged_by=cmd.logged_by,
        )
    ]


def decide_vp_training(
    a: Aspiring, year: AspiringPrincipalsYear, cmd: RecordVpTraining, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_active(a, "record VP/AP training")
    if a.role not in year.vp_roles:
        raise AspiringRefusal(
            f"VP/AP training is for {', '.join(year.vp_roles)}, not {a.role}",
            code="role.not_eligible",
        )
    session = year.training(cmd.session_id)
    if session is None:
        known = ", ".join(s.session_id for s in year.vp_training) or "none"
        raise AspiringRefusal(
            f"unknown training {cmd.session_id!r}; trainings: {known}", code="session.unknown"
        )
    _past(session.on, now, year, session.title)
    previous = a.vp_training.get(cmd.session_id)
    check_mark(session.title, cmd, previous, AspiringRefusal)
    return [
        VpTrainingRecorded(
            event_id=new_id(),
            occurred_at=now,
            session_id=cmd.session_id,
            status=cmd.status,
            recorded_by=cmd.recorded_by,
            correction_reason=cmd.correction_reason if previous else None,
        )
    ]


def decide_coaching(
    a: Aspiring, year: AspiringPrincipalsYear, cmd: RecordCoaching, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    _require_active(a, "record coaching")
    if a.role not in year.vp_roles:
        raise AspiringRefusal(
            f"coaching in role is for {', '.join(year.vp_roles)}, not {a.role}",
            code="role.not_eligible",
        )
    dated_log.check_entry(
        coaching_log(year),
        set(a.coaching),
        cmd.on,
        None,
        now,
        AspiringRefusal,
        code="coaching.already_recorded",
    )
    return [
        CoachingSessionRecorded(
            event_id=new_id(), occurred_at=now, on=cmd.on, coach=cmd.coach, focus=cmd.focus
        )
    ]


def decide_withdrawal(
    a: Aspiring, cmd: WithdrawAspiring, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    if not a.is_open:
        raise AspiringRefusal(f"the year has already ended ({a.stage.value})", code="journey.ended")
    return [
        AspiringWithdrawn(
            event_id=new_id(), occurred_at=now, reason=cmd.reason, withdrawn_by=cmd.withdrawn_by
        )
    ]


def sum_up(a: Aspiring, year: AspiringPrincipalsYear) -> tuple[list[str], list[str]]:
    """(completed, missing), each a sentence a person can read."""
    done: list[str] = []
    missing: list[str] = []
    absent = [
        s.title
        for s in year.summer_institute
        if a.institute.get(s.session_id) is not AttendanceStatus.PRESENT
    ]
    if absent:
        missing.append("Summer Institute: not present at " + "; ".join(absent))
    else:
        done.append(f"Summer Institute: all {len(year.summer_institute)} days")
    if a.mentor_id is not None:
        logs, hours = len(a.shadow_log), a.shadow_hours
        need = year.shadowing
        text = f"shadowing {a.mentor_name}: {logs} log entries, {hours} hours"
        if dated_log.reaches(logs, hours, min_entries=need.min_logs, min_amount=need.min_hours):
            done.append(text)
        else:
            missing.append(f"{text} (needs {need.min_logs} entries and {need.min_hours} hours)")
    if a.role in year.vp_roles:
        untrained = [
            s.title
            for s in year.vp_training
            if a.vp_training.get(s.session_id) is not AttendanceStatus.PRESENT
        ]
        if untrained:
            missing.append("VP/AP training: not present at " + "; ".join(untrained))
        elif year.vp_training:
            done.append(f"VP/AP training: all {len(year.vp_training)} sessions")
        sessions = len(a.coaching)
        if dated_log.reaches(sessions, Decimal(0), min_entries=year.vp_coaching_sessions):
            done.append(f"coaching: {sessions} sessions")
        else:
            missing.append(f"coaching: {sessions} of {year.vp_coaching_sessions} sessions")
    return done, missing


class AspiringStatus(BaseModel):
    employee_id: str
    full_name: str
    role: str
    stage: Stage
    institute_days_present: int
    mentor: str | None
    shadow_logs: int
    shadow_hours: Decimal
    vp_training_present: int
    coaching_sessions: int
    completed: list[str]
    missing: list[str]
    end_reason: str | None
    coach_id: str | None = None


def status(a: Aspiring, year: AspiringPrincipalsYear) -> AspiringStatus:
    # While the year runs: where it stands; once summed up: the record; if ended early: nothing.
    done, missing = sum_up(a, year) if a.is_open else (a.completed, a.missing)
    return AspiringStatus(
        coach_id=a.coach_id,
        employee_id=a.employee_id,
        full_name=a.full_name,
        role=a.role,
        stage=a.stage,
        institute_days_present=sum(v is AttendanceStatus.PRESENT for v in a.institute.values()),
        mentor=a.mentor_name,
        shadow_logs=len(a.shadow_log),
        shadow_hours=a.shadow_hours,
        vp_training_present=sum(v is AttendanceStatus.PRESENT for v in a.vp_training.values()),
        coaching_sessions=len(a.coaching),
        completed=done,
        missing=missing,
        end_reason=a.end_reason,
    )
