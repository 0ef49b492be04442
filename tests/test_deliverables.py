"""Deliverables mean the same wherever they are: one submission awaits review at a time, a
return needs a comment and may be resubmitted, accepted is final, and nobody reviews their own
submission; their events are stored exactly as before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain import deliverables
from domain.deliverables import (
    DeliverableState,
    DeliverableStatus,
    ReviewDeliverable,
    check_review,
    check_submission,
)
from domain.refusals import Refusal
from domain.teacher_leader.events import DeliverableReviewed, DeliverableSubmitted

AT = datetime(2028, 4, 10, 20, tzinfo=UTC)


def code_of(decide: Callable[[], None]) -> str:
    with pytest.raises(Refusal) as refused:
        decide()
    return refused.value.code


def submitted(by: str = "e-1001") -> DeliverableSubmitted:
    return DeliverableSubmitted(
        event_id=UUID(int=1), occurred_at=AT, deliverable_id="data-cycle", submitted_by=by
    )


def reviewed(accepted: bool, comment: str = "") -> DeliverableReviewed:
    return DeliverableReviewed(
        event_id=UUID(int=2),
        occurred_at=AT,
        deliverable_id="data-cycle",
        accepted=accepted,
        reviewed_by="office:ana",
        comment=comment,
    )


def review(accepted: bool = True, by: str = "office:ana", comment: str = "") -> ReviewDeliverable:
    return ReviewDeliverable(
        deliverable_id="data-cycle", accepted=accepted, reviewed_by=by, comment=comment
    )


def state_after(*events: DeliverableSubmitted | DeliverableReviewed) -> DeliverableState | None:
    items: dict[str, DeliverableState] = {}
    for event in events:
        items = deliverables.evolve(items, event)
    return items.get("data-cycle")


def test_a_first_submission_is_taken_and_awaits_review() -> None:
    check_submission("Data cycle", None, Refusal)
    after = state_after(submitted())
    assert after == DeliverableState(status=DeliverableStatus.SUBMITTED, submitted_by="e-1001")


def test_a_second_submission_while_one_awaits_review_is_refused() -> None:
    current = state_after(submitted())
    assert (
        code_of(lambda: check_submission("Data cycle", current, Refusal))
        == "deliverable.awaiting_review"
    )


def test_a_returned_deliverable_can_be_submitted_again_and_reviewed_again() -> None:
    current = state_after(submitted(), reviewed(False, "add May data"))
    assert current is not None and current.status is DeliverableStatus.RETURNED
    assert current.comment == "add May data"
    check_submission("Data cycle", current, Refusal)
    again = state_after(submitted(), reviewed(False, "add May data"), submitted())
    check_review(review(), again, Refusal)


def test_accepted_is_final() -> None:
    accepted = state_after(submitted(), reviewed(True))
    assert (
        code_of(lambda: check_submission("Data cycle", accepted, Refusal))
        == "deliverable.already_accepted"
    )
    assert code_of(lambda: check_review(review(), accepted, Refusal)) == (
        "deliverable.already_accepted"
    )
    returned_after = review(accepted=False, comment="on second thought")
    assert code_of(lambda: check_review(returned_after, accepted, Refusal)) == (
        "deliverable.already_accepted"
    )


def test_a_review_needs_a_submission_awaiting_it() -> None:
    assert code_of(lambda: check_review(review(), None, Refusal)) == (
        "deliverable.not_awaiting_review"
    )
    returned = state_after(submitted(), reviewed(False, "add May data"))
    assert code_of(lambda: check_review(review(), returned, Refusal)) == (
        "deliverable.not_awaiting_review"
    )


def test_a_return_needs_a_comment() -> None:
    current = state_after(submitted())
    assert code_of(lambda: check_review(review(accepted=False), current, Refusal)) == (
        "deliverable.comment_required"
    )
    check_review(review(accepted=False, comment="add May data"), current, Refusal)


@pytest.mark.parametrize("reviewer", ["e-1001", "office:e-1001", "director:e-1001"])
def test_nobody_reviews_their_own_submission(reviewer: str) -> None:
    current = state_after(submitted(by="e-1001"))
    assert code_of(lambda: check_review(review(by=reviewer), current, Refusal)) == (
        "deliverable.own_submission"
    )


def test_a_submission_by_a_system_is_reviewed_by_anyone_else() -> None:
    current = state_after(submitted(by="hris"))
    check_review(review(by="office:ana"), current, Refusal)
    assert code_of(lambda: check_review(review(by="hris"), current, Refusal)) == (
        "deliverable.own_submission"
    )


def test_a_review_keeps_who_submitted() -> None:
    after = state_after(submitted(by="e-1001"), reviewed(False, "add May data"))
    assert after is not None and after.submitted_by == "e-1001"


def test_the_events_are_stored_as_before() -> None:
    assert set(submitted().payload()) == {"occurred_at", "deliverable_id", "submitted_by", "note"}
    assert set(reviewed(True).payload()) == {
        "occurred_at",
        "deliverable_id",
        "accepted",
        "reviewed_by",
        "comment",
    }
    assert DeliverableSubmitted.event_type == "teacher_leader.DeliverableSubmitted"
    assert DeliverableReviewed.event_type == "teacher_leader.DeliverableReviewed"
