"""What happens in a catalog program's journey, as stored events (`program.*`).

The event types are a contract with every recorded history and the event log: they are never
renamed, and a change of shape bumps `schema_version` with an upcaster. The part events share
the fields of the engine's shared parts (`domain.attendance`, `domain.deliverables`, ...) and
add the id of the part they belong to.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from domain.attendance import SessionAttendanceRecorded
from domain.coaching import CoachAssignment
from domain.councils import StakeholderGroup
from domain.deliverables import DeliverableReview, DeliverableSubmission
from domain.events import DomainEvent, Notice
from domain.milestones import MilestoneReport
from domain.ordered_steps import StepRecorded
from domain.payments import PaymentSent


class ProgramEnrolled(DomainEvent):
    """A leader joined a program (or a new year of it, or a renewal cycle of its certification)."""

    event_type = "program.ProgramEnrolled"

    employee_id: str
    program_key: str
    program_title: str
    school_year: str
    year_in_program: int
    enrolled_by: str
    began_on: date
    """The day this run of the journey began, in the program's time zone."""
    cycle: int = 1
    """1 for the first certification; 2 for its first renewal, and so on."""
    certified_until: date | None = None
    carried_hours: Decimal = Decimal(0)


class ParticipantIdentified(DomainEvent):
    """HR's record of the participant when the journey began."""

    event_type = "program.ParticipantIdentified"

    full_name: str
    email: str
    role: str
    school_id: str | None


class ProgramIneligible(DomainEvent):
    event_type = "program.ProgramIneligible"

    reason: str


class SessionMarked(SessionAttendanceRecorded):
    event_type = "program.SessionMarked"

    part_id: str


class SessionMadeUp(DomainEvent):
    event_type = "program.SessionMadeUp"

    part_id: str
    session_id: str
    made_up_on: date
    recorded_by: str
    note: str = ""


class LogEntryRecorded(DomainEvent):
    event_type = "program.LogEntryRecorded"

    part_id: str
    on: date
    amount: Decimal | None = None
    note: str = ""
    attendees: list[str] = Field(default_factory=list)
    logged_by: str


class WorkSubmitted(DeliverableSubmission):
    event_type = "program.WorkSubmitted"


class WorkReviewed(DeliverableReview):
    event_type = "program.WorkReviewed"


class StepTaken(StepRecorded):
    """`cycle_id` is the part's id."""

    event_type = "program.StepTaken"

    step: str


class AssessmentScored(DomainEvent):
    event_type = "program.AssessmentScored"

    part_id: str
    taken_on: date
    score: int
    max_score: int
    passed: bool
    attempt: int
    recorded_by: str


class MilestoneMarked(MilestoneReport):
    event_type = "program.MilestoneMarked"

    part_id: str


class PartCompleted(DomainEvent):
    """A part is complete: what a personnel file keeps of a training (SB 513): the provider,
    the date, the hours and the competencies it covered."""

    event_type = "program.PartCompleted"

    part_id: str
    title: str
    provider: str
    completed_on: date
    hours: Decimal
    competencies: list[str]


class ProgramPaused(DomainEvent):
    event_type = "program.ProgramPaused"

    reason: str
    paused_by: str
    effective_on: date


class ProgramRoleChanged(DomainEvent):
    """HR reported a new title: the parts and stipends for a title follow it from now on."""

    event_type = "program.ProgramRoleChanged"

    role: str
    effective_on: date
    reported_by: str


class ProgramResumed(DomainEvent):
    event_type = "program.ProgramResumed"

    reason: str
    resumed_by: str
    effective_on: date


class ProgramWithdrawn(DomainEvent):
    event_type = "program.ProgramWithdrawn"

    reason: str
    withdrawn_by: str
    effective_on: date
    separated: bool = False


class YearClosed(DomainEvent):
    """A program year ended: complete, or what was missing."""

    event_type = "program.YearClosed"

    year_in_program: int
    completed: list[str]
    missing: list[str]
    complete: bool
    hours: Decimal


class ProgramCompleted(DomainEvent):
    """The whole program is complete: the record a personnel file keeps (SB 513)."""

    event_type = "program.ProgramCompleted"

    title: str
    provider: str
    completed_on: date
    hours: Decimal
    competencies: list[str]
    award: str | None
    certificate_id: str | None = None
    expires_on: date | None = None


class CertificationRenewed(DomainEvent):
    event_type = "program.CertificationRenewed"

    title: str
    renewed_on: date
    expires_on: date


class CertificationExpired(DomainEvent):
    event_type = "program.CertificationExpired"

    title: str
    expired_on: date


class StipendPaid(PaymentSent):
    event_type = "program.StipendPaid"

    basis: str
    purpose: str
    hours: Decimal | None = None


class HoursLapsed(DomainEvent):
    """Hours below the stipend's threshold that were not paid before they expired."""

    event_type = "program.HoursLapsed"

    hours: Decimal
    earned_in: str


class ProgramNoticeSent(Notice):
    event_type = "program.ProgramNoticeSent"


class ProgramEnded(DomainEvent):
    event_type = "program.ProgramEnded"

    outcome: str


class CouncilMemberSeated(DomainEvent):
    event_type = "program.CouncilMemberSeated"

    part_id: str
    member_id: str
    full_name: str
    group: StakeholderGroup
    seated_by: str


class CouncilMemberLeft(DomainEvent):
    event_type = "program.CouncilMemberLeft"

    part_id: str
    member_id: str
    reason: str
    recorded_by: str


class CouncilTrainingRecorded(DomainEvent):
    event_type = "program.CouncilTrainingRecorded"

    part_id: str
    member_id: str
    topic: str
    on: date
    recorded_by: str


class ProgramCheckpoint(DomainEvent):
    """A review day: what was still missing then (nothing, when on track)."""

    event_type = "program.ProgramCheckpoint"

    on: date
    title: str
    missing: list[str]


class CoachAssigned(CoachAssignment):
    event_type = "program.CoachAssigned"
