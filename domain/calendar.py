"""The calendar day people mean: a date in the program's time zone, not in UTC.

Deadlines and clocks are moments; a session "on 2027-07-26" or a separation "effective
2027-09-30" is a day where the program runs. A session that evening in Los Angeles is already
the next day in UTC, so every comparison of a moment with a calendar date goes through here.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

DEFAULT_TIME_ZONE = "America/Los_Angeles"


def known_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone this machine knows; a ValueError otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"{name!r} is not a known IANA time zone name (e.g. {DEFAULT_TIME_ZONE})"
        ) from None
    return name


# The field every definition carries; the default keeps inputs recorded before it readable.
TimeZone = Annotated[
    str,
    AfterValidator(known_time_zone),
    Field(description="IANA time zone whose calendar days the definition's dates are"),
]


def full_years(since: date, on: date) -> int:
    """Whole years from `since` to `on` (0 before the first anniversary, or before `since`)."""
    years = on.year - since.year - ((on.month, on.day) < (since.month, since.day))
    return max(years, 0)


def local_date(moment: datetime, time_zone: str) -> date:
    """The calendar day it is in `time_zone` at `moment` (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset")
    return moment.astimezone(ZoneInfo(time_zone)).date()


def local_moment(day: date, clock: time, time_zone: str) -> datetime:
    """The moment the clocks in `time_zone` show `clock` on `day`."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(time_zone))


def local_midday(day: date, time_zone: str) -> datetime:
    """Noon on `day` in `time_zone`: well inside the day on either side of a clock change."""
    return local_moment(day, time(12), time_zone)


def is_after_today(day: date, now: datetime, time_zone: str) -> bool:
    """Whether `day` has not begun yet in `time_zone` at `now`."""
    return day > local_date(now, time_zone)


def not_yet(what: str, day: date, now: datetime, time_zone: str) -> str | None:
    """Why a fact dated `day` cannot be recorded at `now`, or None once the day has begun."""
    today = local_date(now, time_zone)
    if day <= today:
        return None
    return (
        f"{what} {day} is in the future (today is {today} in {time_zone}); "
        f"send it on or after {day}"
    )


#: The zone a timeline is being laid out in (`domain.explain.explain`); None: ISO, in UTC.
SHOWING_IN: ContextVar[ZoneInfo | None] = ContextVar("showing_in", default=None)


def shown(moment: datetime) -> str:
    """A moment as a timeline shows it: the local time where the program runs (`2027-01-18
    17:00`) while `explain` lays one out in a zone; otherwise ISO, in UTC."""
    zone = SHOWING_IN.get()
    if zone is None:
        return moment.isoformat(timespec="minutes")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
