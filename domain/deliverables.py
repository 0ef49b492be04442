"""Deliverables: work a participant submits and the program office reviews, one semantics for
every pathway that has them (today the teacher leader's role deliverables).

- A deliverable is **submitted** by the participant, then **reviewed**: accepted, or returned
  with a comment saying what to change (`deliverable.comment_required`; a comment of only
  spaces is no comment).
- While a submission awaits review, a second submission is refused
  (`deliverable.awaiting_review`): the reviewer reads one version at a time.
- A returned deliverable may be submitted again, as often as it is returned; each submission
  and each review is its own event, so the log keeps every round.
- Accepted is final: submitting or reviewing an accepted deliverable again (accepting twice,
  or returning it after acceptance) is refused (`deliverable.already_accepted`).
- A review needs a submission awaiting it (`deliverable.not_awaiting_review`).
- Nobody reviews their own submission (`deliverable.own_submission`), whatever their role;
  `domain.policy` already keeps participants from reviewing and staff from acting on their own
  journey, and this holds even where a pathway's policy lets someone else submit.

Each pathway keeps its own stored event types (`teacher_leader.DeliverableSubmitted`,
`teacher_leader.DeliverableReviewed`); they share the fields below, unchanged from what was
stored before this module existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.commands import Command
from domain.events import DomainEvent
from domain.policy import Case, actor_of
from domain.refusals import Refusal


class DeliverableStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class SubmitDeliverable(Command):
    deliverable_id: str = Field(min_length=1)
    submitted_by: str = Field(min_length=1)
    note: str = ""


class ReviewDeliverable(Command):
    deliverable_id: str = Field(min_length=1)
    accepted: bool
    reviewed_by: str = Field(min_length=1)
    comment: str = ""


class DeliverableSubmission(DomainEvent):
    """Base of each pathway's submission event (abstract: it has no event type)."""

    deliverable_id: str
    submitted_by: str
    note: str = ""


class DeliverableReview(DomainEvent):
    """Base of each pathway's review event (abstract: it has no event type)."""

    deliverable_id: str
    accepted: bool
    reviewed_by: str
    comment: str = ""


class DeliverableState(BaseModel):
    status: DeliverableStatus
    comment: str = ""
    submitted_by: str = ""


Deliverables = Mapping[str, DeliverableState]


def evolve(
    items: Deliverables, event: DeliverableSubmission | DeliverableReview
) -> dict[str, DeliverableState]:
    """The deliverables after one of their events; `items` is not changed."""
    if isinstance(event, DeliverableSubmission):
        state = DeliverableState(
            status=DeliverableStatus.SUBMITTED, submitted_by=event.submitted_by
        )
    else:
        before = items.get(event.deliverable_id)
        state = DeliverableState(
            status=DeliverableStatus.ACCEPTED if event.accepted else DeliverableStatus.RETURNED,
            comment=event.comment,
            submitted_by=before.submitted_by if before else "",
        )
    return {**items, event.deliverable_id: state}


def check_submission(title: str, current: DeliverableState | None, refusal: type[Refusal]) -> None:
    """Refuse a submission of an accepted deliverable or one already awaiting review."""
    if current is None:
        return
    if current.status is DeliverableStatus.ACCEPTED:
        raise refusal(f"'{title}' was already accepted", code="deliverable.already_accepted")
    if current.status is DeliverableStatus.SUBMITTED:
        raise refusal(
            f"'{title}' is already submitted and awaiting review",
            code="deliverable.awaiting_review",
        )


def _same_person(a: str, b: str) -> bool:
    """`e-1001` and `office:e-1001` are one person; a system (`hris`) is only itself."""
    nobody = Case(employee_id="")
    try:
        first, second = actor_of(a, nobody).person_id, actor_of(b, nobody).person_id
    except Refusal:
        return a == b
    return a == b or (first is not None and first == second)


def check_review(
    cmd: ReviewDeliverable, current: DeliverableState | None, refusal: type[Refusal]
) -> None:
    """Refuse a review with no submission awaiting it, by the submitter, or a return without
    a comment."""
    if current is None or current.status is not DeliverableStatus.SUBMITTED:
        state = current.status.value if current else "not submitted"
        code = (
            "deliverable.already_accepted"
            if current is not None and current.status is DeliverableStatus.ACCEPTED
            else "deliverable.not_awaiting_review"
        )
        raise refusal(f"{cmd.deliverable_id!r} is not awaiting review ({state})", code=code)
    if current.submitted_by and _same_person(cmd.reviewed_by, current.submitted_by):
        raise refusal(
            f"{cmd.reviewed_by} submitted {cmd.deliverable_id!r} and cannot review it; someone "
            "else in the program office must",
            code="deliverable.own_submission",
        )
    if not cmd.accepted and not cmd.comment:
        raise refusal(
            "a returned deliverable needs a comment saying what to change",
            code="deliverable.comment_required",
        )
