"""Separation and leave as HR reports them, the same in every pathway.

- A separation is a fact with an effective date: it is refused when the date is after the
  program's local today (it must have happened), and recorded once; HR sending the same one
  again changes nothing.
- Its event has one shape everywhere (`SeparationRecorded` below); each pathway stores it under
  its own event type (`teacher_leader.SeparationRecorded`, `service_commitment.SeparationRecorded`),
  as it always has. What it ends is the pathway's: a teacher leader's year closes with the
  reimbursement the school earned; a service commitment is breached unless already served.
- A leave that defers an obligation pauses its clock: `domain.service_commitment.journey.
  deadline_as_of` moves the deadline a day for each day of leave.
"""

from __future__ import annotations

from datetime import date

from domain.events import DomainEvent


class SeparationRecorded(DomainEvent):
    """Base of each pathway's separation event (abstract: it has no event type)."""

    effective_on: date
    reason: str
    recorded_by: str
