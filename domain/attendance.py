"""Dated sessions with attendance: one semantics for every pathway (teacher leaders' PD,
fellows' supplemental PD, aspiring principals' Summer Institute and vice/assistant principals'
leadership training).

- A session is in the program's calendar and has happened (its date, in the program's time
  zone, is today or earlier) before its attendance can be recorded.
- Attendance is recorded once a session. The same status again is refused
  (`attendance.already_recorded`): nothing would change, and the caller learns it was there.
- A different status for a session already recorded is a **correction**: it needs a reason
  (`attendance.correction_needs_reason`) and is recorded as a new event carrying that reason,
  so the log keeps the first mark and why it changed. Nothing is ever silently overwritten.
- A missed session is made up where the pathway allows it (`MakeUpRecorded` for teacher
  leaders, `SessionMadeUp` for catalog courses); a make-up is not a correction: the session
  was missed. It is recorded once (`make_up.already_recorded`), on a day between the session
  and today in the program's time zone (`make_up.date_out_of_range`): `check_make_up`.

Each pathway keeps its own stored event type (`teacher_leader.AttendanceRecorded`,
`fellowship.SupplementalPDRecorded`, `aspiring_principal.InstituteAttendanceRecorded`,
`aspiring_principal.VpTrainingRecorded`); they
share the fields below. `correction_reason` is optional and absent from the stored payload
when there is none, so events recorded before it existed read and hash the same.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from domain.calendar import is_after_today
from domain.commands import Command
from domain.events import DomainEvent
from domain.refusals import Refusal


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


class RecordSessionAttendance(Command):
    session_id: str = Field(min_length=1)
    status: AttendanceStatus
    recorded_by: str = Field(min_length=1)
    correction_reason: str | None = Field(
        None, min_length=1, description="why a mark already recorded is changed"
    )


class SessionAttendanceRecorded(DomainEvent):
    """Base of each pathway's attendance event (abstract: it has no event type)."""

    session_id: str
    status: AttendanceStatus
    recorded_by: str
    correction_reason: str | None = None

    def payload(self) -> dict[str, Any]:
        data = super().payload()
        if data.get("correction_reason") is None:
            data.pop("correction_reason", None)
        return data


def check_mark(
    title: str,
    cmd: RecordSessionAttendance,
    previous: AttendanceStatus | None,
    refusal: type[Refusal],
    previous_by: str | None = None,
) -> None:
    """Refuse a mark that repeats the one recorded, or changes it without a reason."""
    if previous is None:
        return
    by = f" by {previous_by}" if previous_by else ""
    if previous == cmd.status:
        raise refusal(
            f"attendance for {title} is already recorded as {previous.value}{by}; nothing changed",
            code="attendance.already_recorded",
        )
    if cmd.correction_reason is None:
        raise refusal(
            f"attendance for {title} is recorded as {previous.value}{by}; to correct it to "
            f"{cmd.status.value}, give the reason for the correction",
            code="attendance.correction_needs_reason",
        )


def check_make_up(
    title: str,
    session_on: date,
    made_up_on: date,
    already_made_up: bool,
    now: datetime,
    time_zone: str,
    refusal: type[Refusal],
) -> None:
    """Refuse a second make-up of a session, or one dated before it or after today."""
    if already_made_up:
        raise refusal(f"a make-up for {title} is already recorded", code="make_up.already_recorded")
    if made_up_on < session_on or is_after_today(made_up_on, now, time_zone):
        raise refusal(
            f"a make-up for {title} must be completed between {session_on} and today",
            code="make_up.date_out_of_range",
        )
