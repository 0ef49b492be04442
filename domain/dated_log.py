"""A dated log with thresholds: entries a participant (or their coach) keeps day by day, complete
once it reaches what the program asks. One semantics for every pathway that keeps one: the
aspiring principal's `ShadowLog` (hours with a mentor principal) and their coaching in role
(sessions counted against the year's number).

- An entry is for one local date in the program's time zone, with an amount where the log
  counts one (hours of shadowing) or none where it counts entries (coaching sessions).
- The date lies inside the log's span, the school year (`date.outside_school_year`), and has
  happened: today or earlier (`date.in_future`).
- An amount is more than zero (the command says so) and no more than the log's daily limit
  where it has one (`log.over_daily_limit`).
- **One entry per day**: a second entry for a day already logged is refused, with the code
  that log has always used (`shadowing.already_logged`, `coaching.already_recorded`). An entry
  is never changed or removed.
- The first refusal that applies is the one given, in the order above.
- **Thresholds**: the log is complete when it has at least the entries and at least the total
  amount the program asks (`reaches`); either may be absent. Below them it is what is missing
  when the year is summed up.

Each pathway keeps its stored event types (`aspiring_principal.ShadowLogged`,
`aspiring_principal.CoachingSessionRecorded`) and shapes as they were.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.calendar import is_after_today
from domain.refusals import Refusal


@dataclass(frozen=True)
class DatedLog:
    """What the program says about one log."""

    entry: str
    """What one entry is called in a sentence: "that shadow day"."""
    starts: date
    ends: date
    time_zone: str
    unit: str = ""
    """What the amount counts ("hours"); empty for a log that counts entries."""
    max_per_day: Decimal | None = None


def check_entry(
    log: DatedLog,
    logged: Collection[date],
    on: date,
    amount: Decimal | None,
    now: datetime,
    refusal: type[Refusal],
    *,
    code: str,
) -> None:
    """Refuse an entry outside the log's span, in the future, over the daily limit, or for a
    day already logged (refused with `code`, the log's own)."""
    if not log.starts <= on <= log.ends:
        raise refusal(
            f"{on} is outside the school year {log.starts} to {log.ends}",
            code="date.outside_school_year",
        )
    if is_after_today(on, now, log.time_zone):
        raise refusal(f"{log.entry} is on {on}; it has not happened yet", code="date.in_future")
    if amount is not None and log.max_per_day is not None and amount > log.max_per_day:
        raise refusal(
            f"{amount} {log.unit} in one day is more than {log.max_per_day}",
            code="log.over_daily_limit",
        )
    if on in logged:
        raise refusal(f"{on} is already logged; one entry per day", code=code)


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal(0))


def reaches(
    entries: int,
    amount: Decimal,
    *,
    min_entries: int | None = None,
    min_amount: Decimal | None = None,
) -> bool:
    """Whether a log of `entries` entries totalling `amount` meets the program's thresholds."""
    return (min_entries is None or entries >= min_entries) and (
        min_amount is None or amount >= min_amount
    )
