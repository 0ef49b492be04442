"""Who coaches a journey: the program office assigns a coach, and from then on only that coach
records the journey's coaching (the policy's `Case.coach_id`). A journey with no coach assigned
takes coaching from any coach, as journeys did before assignments were recorded.

Each pathway that is coached records its own `CoachAssignment` event (its own event type) and
keeps the coach in its state; the rule of the assignment is here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from pydantic import Field, field_validator

from domain.commands import Command, OfficePerson
from domain.events import DomainEvent
from domain.refusals import Refusal


class AssignCoach(Command):
    coach_id: str = Field(min_length=1, description="the coach's employee id, as HR lists them")
    assigned_by: OfficePerson

    @field_validator("coach_id")
    @classmethod
    def _bare_id(cls, value: str) -> str:
        return value.removeprefix("coach:")


class CoachAssignment(DomainEvent):
    """Base of each pathway's coach assignment (abstract: it has no event type)."""

    coach_id: str
    assigned_by: str
    replaces: str | None = None


def decide_assignment(
    current: str | None,
    cmd: AssignCoach,
    now: datetime,
    new_id: Callable[[], UUID],
    kind: type[CoachAssignment],
    refusal: type[Refusal],
    is_open: bool,
    participant: str,
) -> list[DomainEvent]:
    """The assignment, or a refusal: the journey has ended, the coach is its participant, or
    the coach is already its coach."""
    if not is_open:
        raise refusal("the journey has ended; no coach can be assigned", code="journey.ended")
    if cmd.coach_id == participant:
        raise refusal(
            f"{participant} is this journey's participant and cannot be its coach",
            code="coach.is_participant",
        )
    if current == cmd.coach_id:
        raise refusal(
            f"coach:{cmd.coach_id} is already this journey's coach", code="coach.already_assigned"
        )
    return [
        kind(
            event_id=new_id(), occurred_at=now, coach_id=cmd.coach_id,
            assigned_by=cmd.assigned_by, replaces=current,
        )
    ]  # fmt: skip


def assigned_in_words(e: CoachAssignment) -> str:
    replacing = f", replacing coach:{e.replaces}" if e.replaces else ""
    return f"coach:{e.coach_id} assigned as the journey's coach{replacing}"
