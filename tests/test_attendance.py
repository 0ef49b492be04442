"""Attendance means the same in every pathway: once a session, a change only as a correction
with its reason, and events without a correction stored exactly as before."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.attendance import AttendanceStatus, RecordSessionAttendance, check_mark
from domain.fellowship.journey import FellowshipRefusal, SupplementalPDRecorded
from domain.refusals import Refusal
from domain.teacher_leader.events import AttendanceRecorded

MARK = RecordSessionAttendance(session_id="s-1", status="present", recorded_by="office:ana")


def code_of(decide: object) -> str:
    assert callable(decide)
    with pytest.raises(Refusal) as refused:
        decide()
    return refused.value.code


def test_a_first_mark_is_taken() -> None:
    check_mark("Seminar 1", MARK, None, FellowshipRefusal)


def test_the_same_mark_again_is_refused_in_the_pathways_refusal() -> None:
    with pytest.raises(FellowshipRefusal):
        check_mark("Seminar 1", MARK, AttendanceStatus.PRESENT, FellowshipRefusal)
    assert (
        code_of(lambda: check_mark("Seminar 1", MARK, AttendanceStatus.PRESENT, Refusal))
        == "attendance.already_recorded"
    )


def test_a_changed_mark_needs_a_reason() -> None:
    absent = MARK.model_copy(update={"status": AttendanceStatus.ABSENT})
    assert (
        code_of(lambda: check_mark("Seminar 1", absent, AttendanceStatus.PRESENT, Refusal))
        == "attendance.correction_needs_reason"
    )
    corrected = absent.model_copy(update={"correction_reason": "left after an hour"})
    check_mark("Seminar 1", corrected, AttendanceStatus.PRESENT, Refusal)


@pytest.mark.parametrize("kind", [AttendanceRecorded, SupplementalPDRecorded])
def test_a_mark_without_a_correction_is_stored_as_before(
    kind: type[AttendanceRecorded] | type[SupplementalPDRecorded],
) -> None:
    at = datetime(2027, 7, 26, 18, tzinfo=UTC)
    event = kind(
        event_id=UUID(int=1), occurred_at=at, session_id="s-1", status="present", recorded_by="o"
    )
    assert set(event.payload()) == {"occurred_at", "session_id", "status", "recorded_by"}
    again = kind.model_validate({**event.payload(), "event_id": UUID(int=1)})
    assert again.correction_reason is None
