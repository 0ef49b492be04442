"""A dated log means the same wherever it is kept: one entry a day inside the school year and
not in the future, no more than the daily limit, complete at the program's thresholds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.dated_log import DatedLog, check_entry, reaches, total
from domain.refusals import Refusal

SHADOW = DatedLog(
    entry="that shadow day",
    starts=date(2027, 8, 16),
    ends=date(2028, 6, 12),
    time_zone="America/Los_Angeles",
    unit="hours",
    max_per_day=Decimal(10),
)
COACHING = DatedLog(
    entry="that coaching session",
    starts=SHADOW.starts,
    ends=SHADOW.ends,
    time_zone=SHADOW.time_zone,
)
# 2027-10-16 02:00 UTC is still 2027-10-15 in Los Angeles.
NOW = datetime(2027, 10, 16, 2, tzinfo=UTC)
TODAY = date(2027, 10, 15)


def code_of(decide: Callable[[], None]) -> str:
    with pytest.raises(Refusal) as refused:
        decide()
    return refused.value.code


def log(
    on: date,
    amount: Decimal | None = Decimal(4),
    logged: tuple[date, ...] = (),
    kind: DatedLog = SHADOW,
) -> None:
    check_entry(kind, set(logged), on, amount, NOW, Refusal, code="shadowing.already_logged")


def test_an_entry_for_a_past_day_in_the_school_year_is_taken() -> None:
    log(TODAY)
    log(SHADOW.starts)
    log(TODAY, None, kind=COACHING)


def test_one_entry_per_day_refused_with_the_logs_own_code() -> None:
    assert code_of(lambda: log(TODAY, logged=(TODAY,))) == "shadowing.already_logged"
    with pytest.raises(Refusal) as refused:
        check_entry(COACHING, {TODAY}, TODAY, None, NOW, Refusal, code="coaching.already_recorded")
    assert refused.value.code == "coaching.already_recorded"
    assert str(refused.value) == "2027-10-15 is already logged; one entry per day"


def test_a_day_outside_the_school_year_is_refused() -> None:
    assert code_of(lambda: log(date(2027, 8, 15))) == "date.outside_school_year"


def test_a_day_after_the_local_today_is_refused() -> None:
    assert code_of(lambda: log(date(2027, 10, 16))) == "date.in_future"


def test_more_than_the_daily_limit_is_refused_and_the_limit_itself_is_taken() -> None:
    log(TODAY, Decimal(10))
    assert code_of(lambda: log(TODAY, Decimal("10.5"))) == "log.over_daily_limit"
    log(TODAY, Decimal(24), kind=COACHING)  # a log with no limit


def test_the_first_refusal_that_applies_is_given() -> None:
    assert code_of(lambda: log(date(2028, 7, 1), Decimal(11), (date(2028, 7, 1),))) == (
        "date.outside_school_year"
    )
    assert code_of(lambda: log(TODAY, Decimal(11), (TODAY,))) == "log.over_daily_limit"


def test_a_log_is_complete_at_its_thresholds() -> None:
    hours = total([Decimal(4), Decimal("4.5")])
    assert hours == Decimal("8.5")
    assert reaches(2, hours, min_entries=2, min_amount=Decimal("8.5"))
    assert not reaches(1, hours, min_entries=2, min_amount=Decimal(8))
    assert not reaches(2, hours, min_entries=2, min_amount=Decimal(9))
    assert reaches(3, Decimal(0), min_entries=3)
    assert reaches(0, Decimal(0))
