"""Milestones reported by outside systems: facts another institution owns (the university
confers the M.Ed., the state the credential), reported to a journey once each. One semantics
for every pathway that has them (today the fellowship's university milestones).

- A milestone is reported by the system that owns it (`domain.policy`: the university, HR, or
  program office staff on their behalf), with the date it was achieved.
- **Once each**: the same milestone with the same date again changes nothing (a system that
  retries its report must not fail); with another date it is refused
  (`milestone.already_reported`): a correction is the program office's, not a second report.
- The date is a fact: not in the future in the program's time zone (`date.in_future`), and
  not before the journey's start for it (a fellow's enrollment: `milestone.before_enrollment`).
- **Order is the program's**: milestones in any order where it says nothing; where it gives
  an order, a milestone before the ones ahead of it are reported is refused
  (`milestone.out_of_order`), and so is a date before the last one reported.
- The milestones are **complete** when every one the program asks for is reported; they were
  completed on the latest date reported (a fellow graduates that day).
- The first refusal that applies is the one given, in the order above.

Each pathway keeps its stored event type (`fellowship.MilestoneReported`) with the fields of
`MilestoneReport` below, unchanged from what was stored before this module existed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TypeVar

from domain.calendar import not_yet
from domain.events import DomainEvent
from domain.refusals import Refusal

M = TypeVar("M", bound=str)


class MilestoneReport(DomainEvent):
    """Base of each pathway's milestone event (abstract: it has no event type); the pathway adds
    `milestone`, typed by its own list."""

    achieved_on: date
    reported_by: str
    reference: str = ""


def record(reported: Mapping[M, date], milestone: M, on: date) -> dict[M, date]:
    """The milestones after one more was reported; `reported` is not changed."""
    return {**reported, milestone: on}


def is_repeat(reported: Mapping[M, date], milestone: M, on: date) -> bool:
    """The same report again: nothing to record."""
    return reported.get(milestone) == on


def check_report(
    reported: Mapping[M, date],
    milestone: M,
    on: date,
    *,
    label: str,
    start: tuple[str, date | None],
    order: Sequence[M] | None,
    now: datetime,
    time_zone: str,
    refusal: type[Refusal],
) -> None:
    """Refuse a report of a milestone already reported with another date, out of the program's
    order, or dated before the journey's `start` (what it is, and its date) or in the future."""
    if milestone in reported:
        raise refusal(
            f"{label} was already reported for {reported[milestone]}",
            code="milestone.already_reported",
        )
    if order is not None:
        ahead = [m for m in order[: order.index(milestone)] if m not in reported]
        if ahead:
            raise refusal(
                f"{label} comes after {', '.join(str(m) for m in ahead)}, not yet reported",
                code="milestone.out_of_order",
            )
        if reported and on < max(reported.values()):
            raise refusal(
                f"{label} on {on} is before the last milestone, on {max(reported.values())}",
                code="milestone.out_of_order",
            )
    what, began = start
    if began is not None and on < began:
        raise refusal(
            f"achieved_on {on} is before {what} on {began}", code="milestone.before_enrollment"
        )
    if problem := not_yet("achieved_on", on, now, time_zone):
        raise refusal(problem, code="date.in_future")


def is_complete(reported: Mapping[M, date], required: Sequence[M]) -> bool:
    return all(m in reported for m in required)


def completed_on(reported: Mapping[M, date]) -> date:
    """The day the last milestone was achieved."""
    return max(reported.values())


def missing(reported: Mapping[M, date], required: Sequence[M]) -> list[M]:
    return [m for m in required if m not in reported]
