"""What happens in a teacher leader's program year, as events named in the past tense."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain import separation
from domain.attendance import AttendanceStatus as AttendanceStatus
from domain.attendance import SessionAttendanceRecorded
from domain.coaching import CoachAssignment
from domain.deliverables import DeliverableReview, DeliverableSubmission
from domain.events import DomainEvent
from domain.ordered_steps import StepRecorded
from domain.payments import PaymentSent
from domain.program import Cohort, Role


class DecisionOutcome(StrEnum):
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"


class SelectionScores(BaseModel):
    """The selection rubric from the seed: time, mindset, skillset and experience (1-4)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: int = Field(ge=1, le=4)
    mindset: int = Field(ge=1, le=4)
    skillset: int = Field(ge=1, le=4)
    experience: int = Field(ge=1, le=4)

    @property
    def total(self) -> int:
        return self.time + self.mindset + self.skillset + self.experience


class Signer(StrEnum):
    TEACHER = "teacher"
    PRINCIPAL = "principal"


class CoachingStep(StrEnum):
    PLANNING = "planning"
    OBSERVATION = "observation"
    FEEDBACK = "feedback"
    COACHING = "coaching"


COACHING_ORDER = list(CoachingStep)


class ApplicationSubmitted(DomainEvent):
    event_type = "teacher_leader.ApplicationSubmitted"

    employee_id: str
    role: Role
    cohort: Cohort | None
    school_id: str
    program_year: str
    submitted_by: str


class ApplicantIdentified(DomainEvent):
    """The applicant's name and address as the HR system had them when the journey began."""

    event_type = "teacher_leader.ApplicantIdentified"

    full_name: str
    email: str


class ApplicationDecided(DomainEvent):
    event_type = "teacher_leader.ApplicationDecided"

    outcome: DecisionOutcome
    scores: SelectionScores
    decided_by: str
    note: str = ""


class CommitmentRequested(DomainEvent):
    event_type = "teacher_leader.CommitmentRequested"

    principal_id: str
    principal_name: str
    principal_email: str
    deadline: AwareDatetime


class CommitmentReminderSent(DomainEvent):
    event_type = "teacher_leader.CommitmentReminderSent"

    days_before: int
    awaiting: list[Signer]


class CommitmentSigned(DomainEvent):
    event_type = "teacher_leader.CommitmentSigned"

    signer: Signer
    signer_id: str


class JoinedInstructionalLeadershipTeam(DomainEvent):
    event_type = "teacher_leader.JoinedInstructionalLeadershipTeam"

    school_id: str


class ApplicationLapsed(DomainEvent):
    event_type = "teacher_leader.ApplicationLapsed"

    reason: str


class AttendanceRecorded(SessionAttendanceRecorded):
    event_type = "teacher_leader.AttendanceRecorded"


class MakeUpRecorded(DomainEvent):
    event_type = "teacher_leader.MakeUpRecorded"

    session_id: str
    completed_on: date
    recorded_by: str
    note: str = ""


class CoachingStepRecorded(StepRecorded):
    event_type = "teacher_leader.CoachingStepRecorded"

    step: CoachingStep


class DeliverableSubmitted(DeliverableSubmission):
    event_type = "teacher_leader.DeliverableSubmitted"


class DeliverableReviewed(DeliverableReview):
    event_type = "teacher_leader.DeliverableReviewed"


class YearClosed(DomainEvent):
    event_type = "teacher_leader.YearClosed"

    closed_by: str
    early: bool


class StipendDecided(DomainEvent):
    """The money decision with everything an auditor needs to check it."""

    event_type = "teacher_leader.StipendDecided"

    paid: bool
    amount_cents: int
    role: Role
    rule: str
    reasons: list[str]


class SubstituteReimbursementDecided(DomainEvent):
    event_type = "teacher_leader.SubstituteReimbursementDecided"

    school_id: str
    sessions: list[str]
    substitute_days: Decimal
    daily_rate_cents: int
    partner_share: Decimal
    amount_cents: int


class PaymentRequested(PaymentSent):
    event_type = "teacher_leader.PaymentRequested"

    kind: str
    payee_id: str


class NoticeSent(DomainEvent):
    event_type = "teacher_leader.NoticeSent"

    recipient_id: str
    subject: str
    idempotency_key: str


class JourneyWithdrawn(DomainEvent):
    event_type = "teacher_leader.JourneyWithdrawn"

    withdrawn_by: str
    reason: str


class SeparationRecorded(separation.SeparationRecorded):
    event_type = "teacher_leader.SeparationRecorded"


class JourneyEnded(DomainEvent):
    event_type = "teacher_leader.JourneyEnded"

    outcome: str


class CoachAssigned(CoachAssignment):
    event_type = "teacher_leader.CoachAssigned"
