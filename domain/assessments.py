"""Assessments with a score: one semantics for every program that certifies proficiency (today
Evaluation Certification's five areas of evaluation).

- An attempt has a date (a fact: not in the future in the program's time zone,
  `date.in_future`, and not before the journey began, `assessment.before_start`) and a whole
  score from 0 to the assessment's maximum (`assessment.score_out_of_range`). It **passes** at
  the pass mark or above.
- Attempts come in date order (`assessment.out_of_order`): a score is recorded the day it is
  known, never slipped in before one already recorded.
- **Passed is final**: another attempt after a pass is refused (`assessment.already_passed`).
- **A retake waits**: after a failed attempt the next one is on or after the failed one's date
  plus the retake wait (`assessment.retake_too_soon`).
- **Review before trying again**: after the configured number of failed attempts in a row, the
  next attempt needs the review training attended on or after the last failed one
  (`assessment.review_required`); the program says which training that is.
- **A limit of attempts**, where the program sets one: once reached without a pass, no attempt
  is accepted (`assessment.no_attempts_left`) and the assessment is failed for the cycle.
- The first refusal that applies is the one given, in the order above.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.calendar import not_yet
from domain.refusals import Refusal


@dataclass(frozen=True)
class Attempt:
    taken_on: date
    score: int
    passed: bool


@dataclass(frozen=True)
class Rules:
    """What the program says about one assessment."""

    title: str
    max_score: int
    pass_mark: int
    retake_wait_days: int = 0
    max_attempts: int | None = None
    review_after_failures: int | None = None
    """After this many failed attempts in a row, the review training comes before the next."""
    review_title: str = "the review training"


def passes(rules: Rules, score: int) -> bool:
    return score >= rules.pass_mark


def is_passed(attempts: Sequence[Attempt]) -> bool:
    return any(a.passed for a in attempts)


def failures_in_a_row(attempts: Sequence[Attempt]) -> int:
    count = 0
    for attempt in reversed(attempts):
        if attempt.passed:
            break
        count += 1
    return count


def is_failed(rules: Rules, attempts: Sequence[Attempt]) -> bool:
    """No pass, and no attempt left."""
    return (
        not is_passed(attempts)
        and rules.max_attempts is not None
        and len(attempts) >= rules.max_attempts
    )


def needs_review(rules: Rules, attempts: Sequence[Attempt], reviewed_on: date | None) -> bool:
    """Whether the next attempt waits for the review training (attended on `reviewed_on`, the
    latest day the participant attended it; None: never)."""
    if rules.review_after_failures is None or is_passed(attempts):
        return False
    if failures_in_a_row(attempts) < rules.review_after_failures:
        return False
    return reviewed_on is None or reviewed_on < attempts[-1].taken_on


def next_attempt_from(rules: Rules, attempts: Sequence[Attempt]) -> date | None:
    """The first day another attempt may be taken (None: no attempt has been taken yet)."""
    if not attempts:
        return None
    return attempts[-1].taken_on + timedelta(days=rules.retake_wait_days)


def check_attempt(
    rules: Rules,
    attempts: Sequence[Attempt],
    taken_on: date,
    score: int,
    *,
    began_on: date,
    reviewed_on: date | None,
    now: datetime,
    time_zone: str,
    refusal: type[Refusal],
) -> None:
    """Refuse an attempt the rules above do not allow."""
    if problem := not_yet("taken_on", taken_on, now, time_zone):
        raise refusal(problem, code="date.in_future")
    if taken_on < began_on:
        raise refusal(
            f"{rules.title}: taken_on {taken_on} is before the journey began on {began_on}",
            code="assessment.before_start",
        )
    if not 0 <= score <= rules.max_score:
        raise refusal(
            f"{rules.title}: a score is a whole number from 0 to {rules.max_score} (got {score})",
            code="assessment.score_out_of_range",
        )
    if attempts and taken_on < attempts[-1].taken_on:
        raise refusal(
            f"{rules.title}: taken_on {taken_on} is before the last attempt, on "
            f"{attempts[-1].taken_on}",
            code="assessment.out_of_order",
        )
    if is_passed(attempts):
        passed = next(a for a in attempts if a.passed)
        raise refusal(
            f"{rules.title} was already passed on {passed.taken_on} ({passed.score} of "
            f"{rules.max_score})",
            code="assessment.already_passed",
        )
    earliest = next_attempt_from(rules, attempts)
    if earliest is not None and taken_on < earliest:
        raise refusal(
            f"{rules.title}: a retake comes {rules.retake_wait_days} days after the failed "
            f"attempt of {attempts[-1].taken_on}, on or after {earliest}",
            code="assessment.retake_too_soon",
        )
    if needs_review(rules, attempts, reviewed_on):
        raise refusal(
            f"{rules.title}: after {failures_in_a_row(attempts)} failed attempts, "
            f"{rules.review_title} comes before the next attempt (attended on or after "
            f"{attempts[-1].taken_on})",
            code="assessment.review_required",
        )
    if rules.max_attempts is not None and len(attempts) >= rules.max_attempts:
        raise refusal(
            f"{rules.title}: all {rules.max_attempts} attempts are used without a pass",
            code="assessment.no_attempts_left",
        )
