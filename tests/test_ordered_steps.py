"""Ordered steps mean the same wherever they are: one step after another in the cycle's order,
complete when every step is recorded, and not before the cycle opens (late is still taken)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from domain import ordered_steps
from domain.ordered_steps import check_step, is_complete, remaining
from domain.program import CoachingCycleWindow
from domain.refusals import Refusal
from domain.teacher_leader.events import COACHING_ORDER, CoachingStep, CoachingStepRecorded

CYCLE = CoachingCycleWindow(
    cycle_id="mid-year",
    title="Mid-year coaching cycle",
    opens=date(2027, 10, 1),
    due=date(2028, 1, 31),
)
IN_WINDOW = date(2027, 10, 15)
PLANNING, OBSERVATION, FEEDBACK, COACHING = COACHING_ORDER


def code_of(decide: Callable[[], None]) -> str:
    with pytest.raises(Refusal) as refused:
        decide()
    return refused.value.code


def check(done: list[CoachingStep], step: CoachingStep, today: date = IN_WINDOW) -> None:
    check_step(CYCLE, done, step, COACHING_ORDER, today, Refusal)


def test_steps_are_taken_in_order() -> None:
    done: list[CoachingStep] = []
    for step in COACHING_ORDER:
        check(done, step)
        done = ordered_steps.record({"mid-year": done}, "mid-year", step)["mid-year"]
    assert done == COACHING_ORDER


@pytest.mark.parametrize(
    ("done", "step"),
    [([], OBSERVATION), ([PLANNING], FEEDBACK), ([PLANNING], PLANNING), ([PLANNING], COACHING)],
)
def test_a_step_out_of_order_is_refused_naming_the_next_and_the_order(
    done: list[CoachingStep], step: CoachingStep
) -> None:
    with pytest.raises(Refusal) as refused:
        check(done, step)
    assert refused.value.code == "coaching.out_of_order"
    expected = COACHING_ORDER[len(done)]
    assert f"the next step is {expected.value}" in str(refused.value)
    assert "(planning → observation → feedback → coaching)" in str(refused.value)


def test_a_cycle_is_complete_when_every_step_is_done_and_takes_no_more() -> None:
    assert not is_complete(COACHING_ORDER[:3], COACHING_ORDER)
    assert is_complete(COACHING_ORDER, COACHING_ORDER)
    assert remaining(COACHING_ORDER[:1], COACHING_ORDER) == [OBSERVATION, FEEDBACK, COACHING]
    assert remaining(COACHING_ORDER, COACHING_ORDER) == []
    assert code_of(lambda: check(list(COACHING_ORDER), PLANNING)) == "coaching.cycle_complete"


def test_a_step_is_taken_once_the_cycle_opens_and_late_after_it_is_due() -> None:
    check([], PLANNING, CYCLE.opens)
    check([PLANNING], OBSERVATION, CYCLE.due)
    check([PLANNING], OBSERVATION, date(2028, 5, 20))
    assert code_of(lambda: check([], PLANNING, date(2027, 9, 30))) == "coaching.cycle_not_open"


def test_order_is_checked_before_the_window() -> None:
    assert code_of(lambda: check([], FEEDBACK, date(2027, 9, 30))) == "coaching.out_of_order"


def test_recording_a_step_leaves_the_cycles_given_unchanged() -> None:
    before = {"mid-year": [PLANNING], "end-of-year": []}
    after = ordered_steps.record(before, "end-of-year", PLANNING)
    assert before == {"mid-year": [PLANNING], "end-of-year": []}
    assert after == {"mid-year": [PLANNING], "end-of-year": [PLANNING]}


def test_the_step_event_is_stored_as_before() -> None:
    event = CoachingStepRecorded(
        event_id=UUID(int=1),
        occurred_at=datetime(2027, 10, 15, 20, tzinfo=UTC),
        cycle_id="mid-year",
        step=PLANNING,
        recorded_by="coach:lee",
    )
    assert event.payload() == {
        "occurred_at": "2027-10-15T20:00:00Z",
        "cycle_id": "mid-year",
        "step": "planning",
        "recorded_by": "coach:lee",
        "note": "",
    }
    assert CoachingStepRecorded.event_type == "teacher_leader.CoachingStepRecorded"
