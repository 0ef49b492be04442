"""What happens in a career (`career.*` events): HR's events as applied, the journeys the
career follows, and what each journey answered when told an HR change.

The event types are a contract with every recorded history and the event log: never renamed.
"""

from __future__ import annotations

from datetime import date

from domain.events import DomainEvent


class CareerHrApplied(DomainEvent):
    """An HR event, applied to the career once (`hr_event_id` is HR's own id)."""

    event_type = "career.HrApplied"

    hr_event_id: str
    kind: str
    effective_on: date
    role: str | None = None
    school_id: str | None = None
    credential: str | None = None
    reason: str | None = None
    source: str
    """Who sent it: the API key's name, `hris`, or an operator."""
    baseline: bool = False
    """HR's record as it stood at a first import, not a change (rules do not read it)."""


class CareerJourneyJoined(DomainEvent):
    """A journey of the employee started through the engine's start path."""

    event_type = "career.JourneyJoined"

    journey_id: str
    pathway: str
    started_by: str


class CareerJourneyTold(DomainEvent):
    """A journey was told an HR change: it heard it, refused it (with its reason), or had
    already ended."""

    event_type = "career.JourneyTold"

    journey_id: str
    hr_event_id: str
    outcome: str
    """heard, refused or ended."""
    detail: str = ""


class CareerJourneyFinished(DomainEvent):
    """A journey the career follows is no longer running."""

    event_type = "career.JourneyFinished"

    journey_id: str
    outcome: str


class CareerRuleApplied(DomainEvent):
    """An enrollment rule set off by an HR event or a journey's end, and what it did: started a
    journey (or found it there), offered or required a program, or nothing (`skipped`, with
    why), or `refused` / `failed` with the start path's reason."""

    event_type = "career.RuleApplied"

    rule_id: str
    why: str
    action: str
    target: str
    trigger: str
    """The HR event id, or `ended:<journey id>`."""
    trigger_on: date
    outcome: str
    detail: str = ""
    journey_id: str | None = None
    due_on: date | None = None


class CareerNominated(DomainEvent):
    """A colleague nominated the employee for a pathway ("who will you bring along")."""

    event_type = "career.Nominated"

    nomination_id: str
    nominated_by: str
    nominator_title: str | None = None
    """The nominator's role as HR lists it (None: a colleague without a leadership title)."""
    target: str
    reason: str
    invitation_key: str


class CareerNominationAnswered(DomainEvent):
    """The nominee accepted or declined a nomination."""

    event_type = "career.NominationAnswered"

    nomination_id: str
    accepted: bool
    note: str = ""
