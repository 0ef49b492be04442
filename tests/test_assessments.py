"""Assessments with a score (`domain/assessments.py`): pass mark, retake wait, review, limit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.assessments import Attempt, Rules, check_attempt, is_failed, needs_review
from domain.refusals import Refusal

RULES = Rules(
    title="Area 1",
    max_score=96,
    pass_mark=60,
    retake_wait_days=14,
    review_after_failures=2,
    review_title="the review",
)
NOW = datetime(2027, 3, 1, 20, tzinfo=UTC)
TZ = "America/Los_Angeles"
BEGAN = date(2026, 8, 17)


def code(
    attempts: list[Attempt],
    on: date,
    score: int,
    reviewed: date | None = None,
    rules: Rules = RULES,
) -> str | None:
    try:
        check_attempt(
            rules, attempts, on, score, began_on=BEGAN, reviewed_on=reviewed, now=NOW,
            time_zone=TZ, refusal=Refusal,
        )  # fmt: skip
    except Refusal as refusal:
        return refusal.code
    return None


FAILED = Attempt(date(2026, 10, 1), 50, False)
FAILED_AGAIN = Attempt(date(2026, 10, 20), 55, False)


def test_a_first_attempt_in_range_is_accepted() -> None:
    assert code([], date(2026, 9, 1), 60) is None
    assert code([], date(2026, 9, 1), 0) is None
    assert code([], date(2026, 9, 1), 97) == "assessment.score_out_of_range"
    assert code([], date(2026, 9, 1), -1) == "assessment.score_out_of_range"


def test_dates_are_facts_and_come_in_order() -> None:
    assert code([], date(2027, 3, 2), 70) == "date.in_future"
    assert code([], date(2027, 3, 1), 70) is None  # noon in Los Angeles: today
    assert code([], date(2026, 8, 16), 70) == "assessment.before_start"
    assert code([FAILED], date(2026, 9, 30), 70) == "assessment.out_of_order"


def test_a_retake_waits_fourteen_days() -> None:
    assert code([FAILED], date(2026, 10, 14), 70) == "assessment.retake_too_soon"
    assert code([FAILED], date(2026, 10, 15), 70) is None


def test_after_two_failures_the_review_comes_first() -> None:
    tries = [FAILED, FAILED_AGAIN]
    assert needs_review(RULES, tries, None)
    assert code(tries, date(2026, 11, 10), 70) == "assessment.review_required"
    # Review attended before the last failure does not count; on or after it does.
    assert code(tries, date(2026, 11, 10), 70, reviewed=date(2026, 10, 7)) == (
        "assessment.review_required"
    )
    assert code(tries, date(2026, 11, 10), 70, reviewed=date(2026, 10, 28)) is None


def test_passed_is_final() -> None:
    passed = Attempt(date(2026, 10, 1), 72, True)
    assert code([passed], date(2026, 11, 1), 90) == "assessment.already_passed"


def test_a_limit_of_attempts() -> None:
    rules = Rules(title="Area 1", max_score=96, pass_mark=60, max_attempts=2)
    tries = [FAILED, FAILED_AGAIN]
    assert is_failed(rules, tries)
    assert code(tries, date(2026, 11, 10), 70, rules=rules) == "assessment.no_attempts_left"
    assert not is_failed(RULES, tries)


@pytest.mark.parametrize("score", [59, 60])
def test_the_pass_mark_is_inclusive(score: int) -> None:
    from domain.assessments import passes

    assert passes(RULES, score) is (score >= 60)
