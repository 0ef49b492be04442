"""Dates people mean are days in the program's time zone: a session on 2027-07-26 cannot be
marked attended at 17:30 in Los Angeles on 2027-07-25, although it is already the 26th in UTC.

Each rule is tried on the eve of its date (16:59, 17:00 and 23:59 local, the last two already
the next day in UTC) and on the day itself, on an ordinary summer day and across both clock
changes (2027-11-07 and 2028-03-12 in America/Los_Angeles; 2027-03-14 for the commitment).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain import definitions
from domain.aspiring_principals import journey as ap
from domain.aspiring_principals.program import (
    SAMPLE_ASPIRING,
    AspiringDefinitionError,
    AspiringPrincipalsYear,
    load_aspiring_year,
)
from domain.calendar import local_date, local_midday, local_moment
from domain.events import DomainEvent
from domain.fellowship import journey as fs
from domain.fellowship.program import (
    SAMPLE_FELLOWSHIP,
    FellowshipDefinitionError,
    FellowshipProgram,
    Milestone,
    load_fellowship,
    parse_fellowship,
)
from domain.program import (
    SAMPLE_PROGRAM,
    ProgramDefinitionError,
    ProgramYear,
    Role,
    load_program_year,
    parse_program_year,
)
from domain.refusals import DefinitionError
from domain.service_commitment import journey as sc
from domain.service_commitment.rules import Crediting, RepaymentForm, ServiceRules
from domain.teacher_leader import journey as tl
from domain.teacher_leader.events import AttendanceStatus

LA = "America/Los_Angeles"
SUMMER = date(2027, 7, 26)  # Summer Institute, day 1 (PDT, UTC-7)
FALL_BACK = date(2027, 11, 7)  # PDT ends at 02:00
SPRING_FORWARD = date(2028, 3, 12)  # PST ends at 02:00
DAYS = [SUMMER, FALL_BACK, SPRING_FORWARD]

_ids = itertools.count(1)


def new_id() -> uuid.UUID:
    return uuid.UUID(int=next(_ids))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return local_moment(day, time(hour, minute), LA)


def eve(day: date) -> list[datetime]:
    before = day - timedelta(days=1)
    return [local(before, 16, 59), local(before, 17), local(before, 23, 59)]


def on(day: date) -> list[datetime]:
    return [local(day, 0), local(day, 16, 59), local(day, 17), local(day, 23, 59)]


def waits_for_the_local_day(
    day: date, decide: Callable[[datetime], object], refusal: type[Exception]
) -> list[str]:
    """Refused on the eve of `day`, accepted all through it; returns the refusals' words."""
    said = []
    for now in eve(day):
        with pytest.raises(refusal) as refused:
            decide(now)
        said.append(str(refused.value))
    for now in on(day):
        decide(now)
    return said


# --- the calendar ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2027, 7, 26, 0, 30, tzinfo=UTC), date(2027, 7, 25)),  # 17:30 PDT
        (datetime(2027, 7, 26, 6, 59, tzinfo=UTC), date(2027, 7, 25)),  # 23:59 PDT
        (datetime(2027, 7, 26, 7, 0, tzinfo=UTC), date(2027, 7, 26)),  # midnight PDT
        (datetime(2027, 11, 7, 6, 59, tzinfo=UTC), date(2027, 11, 6)),  # 23:59 PDT
        (datetime(2027, 11, 7, 9, 30, tzinfo=UTC), date(2027, 11, 7)),  # 01:30 PST, again
        (datetime(2027, 11, 8, 7, 59, tzinfo=UTC), date(2027, 11, 7)),  # 23:59 PST
        (datetime(2028, 3, 12, 7, 59, tzinfo=UTC), date(2028, 3, 11)),  # 23:59 PST
        (datetime(2028, 3, 12, 10, 0, tzinfo=UTC), date(2028, 3, 12)),  # 03:00 PDT
        (datetime(2028, 3, 13, 6, 59, tzinfo=UTC), date(2028, 3, 12)),  # 23:59 PDT
    ],
)
def test_the_local_date_of_a_moment(moment: datetime, day: date) -> None:
    assert local_date(moment, LA) == day
    assert local_date(moment.astimezone(ZoneInfo("Asia/Tokyo")), LA) == day


def test_the_eve_from_17_00_is_already_the_next_day_in_utc() -> None:
    for day in DAYS:
        assert [m.astimezone(UTC).date() == day for m in eve(day)][1:] == [True, True]
        assert all(local_date(m, LA) == day - timedelta(days=1) for m in eve(day))


@pytest.mark.parametrize("day", [date(2027, 3, 14), FALL_BACK, SPRING_FORWARD, SUMMER])
def test_local_noon_is_on_its_day_on_either_side_of_a_clock_change(day: date) -> None:
    noon = local_midday(day, LA)
    assert local_date(noon, LA) == day
    assert noon.astimezone(ZoneInfo(LA)).hour == 12


def test_a_moment_without_an_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        local_date(datetime(2027, 7, 26, 12), LA)


# --- teacher leader -------------------------------------------------------------------------


def teacher_program() -> ProgramYear:
    data = load_program_year(SAMPLE_PROGRAM).model_dump()
    for day in (FALL_BACK, SPRING_FORWARD):
        data["sessions"].append(
            {"session_id": f"on-{day}", "kind": "seminar", "title": f"Seminar {day}", "on": day}
        )
    data["coaching_cycles"] = [
        {"cycle_id": "fall", "title": "Fall cycle", "opens": FALL_BACK, "due": date(2028, 1, 31)},
        {
            "cycle_id": "spring",
            "title": "Spring cycle",
            "opens": SPRING_FORWARD,
            "due": date(2028, 5, 31),
        },
        {"cycle_id": "summer", "title": "Summer cycle", "opens": SUMMER, "due": date(2027, 9, 1)},
    ]
    return parse_program_year(data)


TEACHER_PROGRAM = teacher_program()
SESSION_ON = {
    SUMMER: "summer-1",
    FALL_BACK: f"on-{FALL_BACK}",
    SPRING_FORWARD: f"on-{SPRING_FORWARD}",
}
CYCLE_OPENS = {SUMMER: "summer", FALL_BACK: "fall", SPRING_FORWARD: "spring"}


def teacher_leader() -> tl.Journey:
    return tl.Journey(employee_id="e-1", role=Role.PEER_COACH, stage=tl.Stage.ACTIVE)


@pytest.mark.parametrize("day", DAYS)
def test_teacher_leader_attendance_waits_for_the_session_day(day: date) -> None:
    cmd = tl.RecordAttendance(
        session_id=SESSION_ON[day], status=AttendanceStatus.PRESENT, recorded_by="office:ana"
    )
    said = waits_for_the_local_day(
        day,
        lambda now: tl.decide_attendance(teacher_leader(), TEACHER_PROGRAM, cmd, now, new_id),
        tl.JourneyRefusal,
    )
    assert said[1].endswith(f"is on {day}; it has not happened yet")


@pytest.mark.parametrize("day", DAYS)
def test_a_make_up_cannot_be_dated_after_the_local_today(day: date) -> None:
    cmd = tl.RecordMakeUp(session_id="summer-1", completed_on=day, recorded_by="office:ana")
    said = waits_for_the_local_day(
        day,
        lambda now: tl.decide_make_up(teacher_leader(), TEACHER_PROGRAM, cmd, now, new_id),
        tl.JourneyRefusal,
    )
    assert "must be completed between 2027-07-26 and today" in said[2]


@pytest.mark.parametrize("day", DAYS)
def test_a_coaching_cycle_opens_on_its_local_day(day: date) -> None:
    cmd = tl.RecordCoachingStep(
        cycle_id=CYCLE_OPENS[day], step=tl.COACHING_ORDER[0], recorded_by="coach:lee"
    )
    said = waits_for_the_local_day(
        day,
        lambda now: tl.decide_coaching_step(teacher_leader(), TEACHER_PROGRAM, cmd, now, new_id),
        tl.JourneyRefusal,
    )
    assert said[0].endswith(f"opens on {day}")


@pytest.mark.parametrize("day", DAYS)
def test_a_teacher_leaders_separation_dated_after_today_is_refused(day: date) -> None:
    cmd = tl.RecordSeparation(effective_on=day, reason="resigned")
    said = waits_for_the_local_day(
        day, lambda now: tl.check_separation_date(TEACHER_PROGRAM, cmd, now), tl.JourneyRefusal
    )
    assert said[1] == (
        f"the separation effective on {day} is in the future (today is "
        f"{day - timedelta(days=1)} in {LA}); send it on or after {day}"
    )


# --- fellowship -----------------------------------------------------------------------------


def fellowship_program() -> FellowshipProgram:
    data = load_fellowship(SAMPLE_FELLOWSHIP).model_dump()
    data["supplemental_pd"] += [
        {"session_id": f"pd-{day}", "title": f"PD {day}", "on": day} for day in DAYS
    ]
    return parse_fellowship(data)


FELLOWSHIP = fellowship_program()


def fellow(stage: fs.Stage = fs.Stage.ENROLLED) -> fs.Fellow:
    return fs.Fellow(employee_id="f-1", full_name="F", stage=stage, enrolled_on=date(2027, 6, 28))


@pytest.mark.parametrize("day", DAYS)
def test_fellowship_pd_waits_for_the_session_day(day: date) -> None:
    cmd = fs.RecordSupplementalPD(
        session_id=f"pd-{day}", status=AttendanceStatus.PRESENT, recorded_by="office:ana"
    )
    said = waits_for_the_local_day(
        day, lambda now: fs.decide_pd(fellow(), FELLOWSHIP, cmd, now, new_id), fs.FellowshipRefusal
    )
    assert said[2].endswith("it has not happened yet")


@pytest.mark.parametrize("day", DAYS)
def test_a_milestone_dated_after_the_local_today_is_refused(day: date) -> None:
    cmd = fs.ReportMilestone(milestone=Milestone.MED_CONFERRED, achieved_on=day, reported_by="u")
    said = waits_for_the_local_day(
        day,
        lambda now: fs.decide_milestone(fellow(), FELLOWSHIP, cmd, now, new_id),
        fs.FellowshipRefusal,
    )
    assert said[1].startswith(f"achieved_on {day} is in the future")


@pytest.mark.parametrize("day", DAYS)
def test_leaving_the_fellowship_dated_after_the_local_today_is_refused(day: date) -> None:
    cmd = fs.LeaveFellowship(
        kind=fs.LeaveKind.SEPARATED, effective_on=day, reason="moved", recorded_by="hris"
    )
    said = waits_for_the_local_day(
        day,
        lambda now: fs.decide_leaving(fellow(), FELLOWSHIP, cmd, now, new_id),
        fs.FellowshipRefusal,
    )
    assert said[1].endswith(f"send it on or after {day}")


def test_an_enrollment_dated_after_the_local_today_is_refused() -> None:
    day = date(2027, 6, 21)  # before enrollment closes on 2027-06-25 at 17:00
    cmd = fs.RecordEnrollment(university_student_id="U-1", enrolled_on=day)
    said = waits_for_the_local_day(
        day,
        lambda now: fs.decide_enrollment(fellow(fs.Stage.ADMITTED), FELLOWSHIP, cmd, now, new_id),
        fs.FellowshipRefusal,
    )
    assert said[0].startswith(f"enrolled_on {day} is in the future (today is 2027-06-20")


def test_a_fellow_who_did_not_complete_leaves_on_the_deadlines_local_date() -> None:
    late = FELLOWSHIP.model_copy(update={"graduate_by": datetime(2028, 9, 1, 6, 59, tzinfo=UTC)})
    assert late.graduate_by_date == date(2028, 8, 31)  # 23:59 PDT


# --- aspiring principals --------------------------------------------------------------------

ASPIRING = load_aspiring_year(SAMPLE_ASPIRING)


def aspiring(role: str = "vice_principal") -> ap.Aspiring:
    return ap.Aspiring(employee_id="e-7", role=role, stage=ap.Stage.ACTIVE)


def test_an_institute_day_waits_for_its_local_day() -> None:
    day = date(2027, 7, 20)
    cmd = ap.RecordInstituteDay(
        session_id="institute-day-1", status=AttendanceStatus.PRESENT, recorded_by="office:ana"
    )
    said = waits_for_the_local_day(
        day,
        lambda now: ap.decide_institute_day(aspiring(), ASPIRING, cmd, now, new_id),
        ap.AspiringRefusal,
    )
    assert said[1].endswith("is on 2027-07-20; it has not happened yet")


@pytest.mark.parametrize("day", [FALL_BACK, SPRING_FORWARD])
def test_coaching_in_role_waits_for_its_local_day(day: date) -> None:
    cmd = ap.RecordCoaching(on=day, coach="coach:lee", focus="evaluation")
    waits_for_the_local_day(
        day,
        lambda now: ap.decide_coaching(aspiring(), ASPIRING, cmd, now, new_id),
        ap.AspiringRefusal,
    )


# --- service commitment ---------------------------------------------------------------------

RULES = ServiceRules(
    obligation_years=1,
    qualifying_roles=["assistant_principal"],
    completion_window_years=2,
    crediting=Crediting.PRO_RATA_MONTHS,
    repayment=RepaymentForm.PRO_RATA,
)
COMMITMENT_DAYS = [date(2027, 3, 14), SUMMER, FALL_BACK]


def commitment(graduated_on: date, *events: DomainEvent) -> sc.Commitment:
    start = sc.CommitmentStarted(
        event_id=new_id(),
        occurred_at=local(graduated_on, 12),
        fellow_id="f-1",
        full_name="Fellow One",
        email="f-1@district.example",
        program="plf",
        graduated_on=graduated_on,
        assistance_cents=1_200_000,
        role="assistant_principal",
        school_id="a",
        obligation_years=1,
        deadline=date(graduated_on.year + 2, graduated_on.month, graduated_on.day),
    )
    return sc.fold([start, *events], RULES)


@pytest.mark.parametrize("day", COMMITMENT_DAYS)
@pytest.mark.parametrize("change", [sc.HrChange.LEAVE_START, sc.HrChange.SEPARATION])
def test_hr_events_dated_after_the_local_today_are_refused(day: date, change: sc.HrChange) -> None:
    cmd = sc.HrEvent(change=change, effective_on=day, reason="leave")
    state = commitment(date(2026, 7, 1))
    said = waits_for_the_local_day(
        day, lambda now: sc.decide_hr_event(state, RULES, cmd, now, new_id), sc.CommitmentRefusal
    )
    what = "leave start" if change is sc.HrChange.LEAVE_START else "separation"
    assert said[2] == (
        f"the {what} effective on {day} is in the future (today is "
        f"{day - timedelta(days=1)} in {LA}); send it on or after {day}"
    )


@pytest.mark.parametrize("day", COMMITMENT_DAYS)
def test_a_leave_ends_on_its_local_day(day: date) -> None:
    leave = sc.LeaveStarted(
        event_id=new_id(),
        occurred_at=local(date(2026, 9, 1), 9),
        reason="leave",
        defers=True,
        effective_on=date(2026, 9, 1),
        recorded_by="hris",
    )
    state = commitment(date(2026, 7, 1), leave)
    cmd = sc.HrEvent(change=sc.HrChange.LEAVE_END, effective_on=day)
    waits_for_the_local_day(
        day, lambda now: sc.decide_hr_event(state, RULES, cmd, now, new_id), sc.CommitmentRefusal
    )


@pytest.mark.parametrize(
    ("graduated_on", "day"),
    [
        (date(2026, 3, 14), date(2027, 3, 14)),
        (date(2026, 7, 26), SUMMER),
        (date(2026, 11, 8), FALL_BACK),
    ],
)
def test_a_one_year_obligation_is_met_on_its_local_day(graduated_on: date, day: date) -> None:
    """Served in full from the day's first local moment (on the first anniversary, or the day
    before when a short month's leftover days add up), not from 17:00 the evening before, when
    the UTC date turns."""
    state = commitment(graduated_on)
    assert sc.completion_date(state, RULES, graduated_on) == day
    for now in eve(day):
        assert state.served_as_of(local_date(now, RULES.time_zone)) == 11
    for now in [*on(day), local_midday(day, RULES.time_zone)]:
        assert state.served_as_of(local_date(now, RULES.time_zone)) == 12
    assert sc.status(state, RULES, local_date(eve(day)[2], LA)).remaining_months == 1


# --- definitions name their time zone -------------------------------------------------------


def test_every_sample_definition_names_los_angeles() -> None:
    assert load_program_year(SAMPLE_PROGRAM).time_zone == LA
    assert ASPIRING.time_zone == LA
    program = load_fellowship(SAMPLE_FELLOWSHIP)
    assert (program.time_zone, program.service.time_zone) == (LA, LA)


def test_a_definition_recorded_before_time_zones_reads_as_los_angeles() -> None:
    data = load_program_year(SAMPLE_PROGRAM).model_dump(mode="json")
    del data["time_zone"]
    assert parse_program_year(data).time_zone == LA


def test_an_unknown_time_zone_is_refused_naming_the_field() -> None:
    data = load_program_year(SAMPLE_PROGRAM).model_dump(mode="json")
    data["time_zone"] = "America/Springfield"
    with pytest.raises(ProgramDefinitionError) as refused:
        parse_program_year(data, "year.toml")
    assert str(refused.value) == (
        "year.toml is not valid: time_zone: 'America/Springfield' is not a known IANA time "
        "zone name (e.g. America/Los_Angeles)"
    )


def test_an_unknown_time_zone_is_refused_in_every_kind_of_definition() -> None:
    year = ASPIRING.model_dump(mode="json") | {"time_zone": "PST"}
    with pytest.raises(AspiringDefinitionError, match=r"^a\.toml is not valid: time_zone: 'PST'"):
        definitions.parse(AspiringPrincipalsYear, year, "a.toml", AspiringDefinitionError)
    rules = RULES.model_dump(mode="json") | {"time_zone": "Los Angeles"}
    with pytest.raises(ValueError, match=r"time_zone: 'Los Angeles' is not a known IANA"):
        definitions.parse(ServiceRules, rules, "r.toml", DefinitionError)
    fellowship = load_fellowship(SAMPLE_FELLOWSHIP).model_dump(mode="json")
    del fellowship["service"]["time_zone"]
    with pytest.raises(FellowshipDefinitionError) as refused:
        parse_fellowship(fellowship | {"time_zone": "Mars/Olympus_Mons"}, "f.toml")
    assert str(refused.value) == (
        "f.toml is not valid: time_zone: 'Mars/Olympus_Mons' is not a known IANA time zone "
        "name (e.g. America/Los_Angeles)"
    )


def test_a_fellowships_service_keeps_the_programs_time_zone() -> None:
    data = load_fellowship(SAMPLE_FELLOWSHIP).model_dump(mode="json")
    del data["service"]["time_zone"]
    program = parse_fellowship(data | {"time_zone": "America/New_York"})
    assert program.service.time_zone == "America/New_York"
    data["service"]["time_zone"] = "America/Chicago"
    with pytest.raises(FellowshipDefinitionError) as refused:
        parse_fellowship(data | {"time_zone": "America/New_York"})
    assert "service.time_zone (America/Chicago) must be the program's time_zone" in str(
        refused.value
    )
