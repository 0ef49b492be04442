"""Milestones reported by outside systems mean the same wherever they are: once each (the same
report again changes nothing), in the program's order if it gives one, dated neither before the
journey's start nor in the future, complete when every one is reported."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeVar

import pytest

from domain import milestones
from domain.fellowship.journey import MilestoneReported
from domain.fellowship.program import Milestone
from domain.refusals import Refusal

NOW = datetime(2028, 6, 1, 2, tzinfo=UTC)  # 2028-05-31 in Los Angeles
ENROLLED = date(2027, 6, 28)
MED, TIER1 = Milestone.MED_CONFERRED, Milestone.TIER1_CREDENTIAL
M = TypeVar("M", bound=StrEnum)


class Step(StrEnum):
    FIRST = "first"
    SECOND = "second"
    THIRD = "third"


def code_of(decide: Callable[[], None]) -> str:
    with pytest.raises(Refusal) as refused:
        decide()
    return refused.value.code


def report(reported: dict[M, date], milestone: M, on: date, order: list[M] | None = None) -> None:
    milestones.check_report(
        reported,
        milestone,
        on,
        label=milestone.value,
        start=("enrollment", ENROLLED),
        order=order,
        now=NOW,
        time_zone="America/Los_Angeles",
        refusal=Refusal,
    )


def test_a_first_report_is_taken_and_the_same_report_again_is_a_repeat() -> None:
    report({}, MED, date(2028, 5, 20))
    reported = milestones.record({}, MED, date(2028, 5, 20))
    assert milestones.is_repeat(reported, MED, date(2028, 5, 20))
    assert not milestones.is_repeat(reported, MED, date(2028, 5, 21))


def test_a_milestone_reported_again_with_another_date_is_refused() -> None:
    reported = {MED: date(2028, 5, 20)}
    assert code_of(lambda: report(reported, MED, date(2028, 5, 21))) == (
        "milestone.already_reported"
    )


def test_without_an_order_milestones_come_in_any_order() -> None:
    report({}, TIER1, date(2028, 5, 1))
    report({TIER1: date(2028, 5, 1)}, MED, date(2028, 4, 1))


def test_with_an_order_a_milestone_ahead_of_its_turn_is_refused() -> None:
    order = list(Step)
    report({}, Step.FIRST, date(2028, 1, 1), order)
    assert code_of(lambda: report({}, Step.SECOND, date(2028, 1, 1), order)) == (
        "milestone.out_of_order"
    )
    done = {Step.FIRST: date(2028, 2, 1)}
    report(done, Step.SECOND, date(2028, 2, 1), order)
    assert code_of(lambda: report(done, Step.SECOND, date(2028, 1, 31), order)) == (
        "milestone.out_of_order"
    )


def test_a_date_before_the_start_or_after_the_local_today_is_refused() -> None:
    assert code_of(lambda: report({}, MED, date(2027, 6, 27))) == "milestone.before_enrollment"
    report({}, MED, date(2028, 5, 31))
    assert code_of(lambda: report({}, MED, date(2028, 6, 1))) == "date.in_future"


def test_complete_when_every_milestone_is_reported_on_the_latest_date() -> None:
    reported = milestones.record({}, TIER1, date(2028, 5, 1))
    assert not milestones.is_complete(reported, list(Milestone))
    assert milestones.missing(reported, list(Milestone)) == [MED]
    reported = milestones.record(reported, MED, date(2028, 4, 1))
    assert milestones.is_complete(reported, list(Milestone))
    assert milestones.completed_on(reported) == date(2028, 5, 1)


def test_the_milestone_event_is_stored_as_before() -> None:
    event = MilestoneReported.model_validate(
        {
            "event_id": "00000000-0000-0000-0000-000000000001",
            "occurred_at": NOW,
            "milestone": "med_conferred",
            "achieved_on": date(2028, 5, 20),
            "reported_by": "university",
        }
    )
    assert event.payload() == {
        "occurred_at": "2028-06-01T02:00:00Z",
        "milestone": "med_conferred",
        "achieved_on": "2028-05-20",
        "reported_by": "university",
        "reference": "",
    }
