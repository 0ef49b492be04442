"""Fellowship rules without Temporal: the program file, the cohort's seats, leaving early."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from domain.fellowship import cohort
from domain.fellowship.journey import (
    DisbursementPaid,
    Fellow,
    FellowshipRefusal,
    LeaveFellowship,
    LeaveKind,
    LeftProgram,
    ReportMilestone,
    Stage,
    WaiveEarlyExit,
    decide_early_exit_repayment,
    decide_leaving,
    decide_milestone,
    decide_waiver,
    evolve,
)
from domain.fellowship.program import (
    SAMPLE_FELLOWSHIP,
    EarlyExitRepayment,
    FellowshipDefinitionError,
    Milestone,
    load_fellowship,
    parse_fellowship,
)

NOW = datetime(2027, 11, 1, 12, tzinfo=UTC)
counter = iter(range(1, 100_000))


def new_id() -> uuid.UUID:
    return uuid.UUID(int=next(counter))


def test_the_sample_program_loads_with_its_assistance() -> None:
    program = load_fellowship(SAMPLE_FELLOWSHIP)
    assert program.cohort_capacity == 12
    assert program.assistance_cents == 3_000_000
    assert program.service.obligation_years == 4
    assert "teacher" in program.eligible_roles and "counselor" in program.eligible_roles


def test_a_broken_program_names_each_field() -> None:
    data = load_fellowship(SAMPLE_FELLOWSHIP).model_dump()
    data["cohort_capacity"] = 0
    data["terms"][1]["starts_on"] = data["terms"][0]["starts_on"]
    with pytest.raises(FellowshipDefinitionError) as error:
        parse_fellowship(data, "plf.toml")
    text = str(error.value)
    assert "cohort_capacity: Input should be greater than or equal to 1" in text
    data["cohort_capacity"] = 3
    with pytest.raises(FellowshipDefinitionError, match="fall-2027 must start after summer-2027"):
        parse_fellowship(data)


def test_seats_fill_in_order_then_the_waitlist_and_claims_repeat_their_answer() -> None:
    seats = cohort.CohortSeats(capacity=2)
    for fellow in ["a", "b", "c", "d"]:
        for event in cohort.decide_claim(seats, fellow, NOW, new_id):
            seats = cohort.evolve(seats, event)
    assert seats.seats == {"a": 1, "b": 2} and seats.waitlist == ["c", "d"]
    assert cohort.decide_claim(seats, "c", NOW, new_id) == []  # a retried claim
    assert seats.answer("d") == cohort.SeatAnswer(fellow_id="d", waitlist_position=2)

    released = cohort.decide_release(seats, "a", "withdrew", NOW, new_id)
    assert [type(e).__name__ for e in released] == ["SeatReleased", "SeatOffered"]
    for event in released:
        seats = cohort.evolve(seats, event)
    assert seats.seats == {"b": 2, "c": 1} and seats.waitlist == ["d"]
    with pytest.raises(cohort.CohortRefusal, match="already gave up"):
        cohort.decide_claim(seats, "a", NOW, new_id)
    assert cohort.decide_release(seats, "zz", "never here", NOW, new_id) == []


def test_no_seat_is_offered_once_the_cohort_has_closed() -> None:
    seats = cohort.fold(1, [])
    for fellow in ["a", "b"]:
        for event in cohort.decide_claim(seats, fellow, NOW, new_id):
            seats = cohort.evolve(seats, event)
    seats = cohort.evolve(
        seats,
        cohort.CohortClosed(
            event_id=new_id(), occurred_at=NOW, seated=["a"], waitlist_expired=["b"]
        ),
    )
    events = cohort.decide_release(seats, "a", "lapsed", NOW, new_id)
    assert [type(e).__name__ for e in events] == ["SeatReleased"]
    with pytest.raises(cohort.CohortRefusal, match="closed"):
        cohort.decide_claim(seats, "c", NOW, new_id)


def enrolled(paid: dict[str, int]) -> Fellow:
    f = Fellow(employee_id="f-1", full_name="F", stage=Stage.ENROLLED, enrolled_on=date(2027, 7, 1))
    for term, cents in paid.items():
        f = evolve(
            f,
            DisbursementPaid(
                event_id=new_id(),
                occurred_at=NOW,
                term_id=term,
                amount_cents=cents,
                idempotency_key=f"k/{term}",
                payroll_reference="P",
            ),
        )
    return f


def test_leaving_early_repays_every_term_paid_under_all_disbursed() -> None:
    program = load_fellowship(SAMPLE_FELLOWSHIP)
    f = enrolled({"summer-2027": 500_000, "fall-2027": 1_000_000})
    leave = LeaveFellowship(effective_on=date(2027, 11, 1), reason="resigned", recorded_by="hris")
    for event in decide_leaving(f, program, leave, NOW, new_id):
        f = evolve(f, event)
    assert decide_leaving(f, program, leave, NOW, new_id) == []  # the same report again
    owed = decide_early_exit_repayment(f, program, NOW, new_id)
    assert (owed.disbursed_cents, owed.owed_cents) == (1_500_000, 1_500_000)
    assert "summer-2027 $5,000.00, fall-2027 $10,000.00 = $15,000.00" in owed.explanation
    lenient = program.model_copy(update={"leaving_before_graduation": EarlyExitRepayment.NONE})
    assert decide_early_exit_repayment(f, lenient, NOW, new_id).owed_cents == 0

    f = evolve(f, owed)
    with pytest.raises(FellowshipRefusal, match="cannot waive"):
        decide_waiver(
            f,
            WaiveEarlyExit(decided_by="office:a", reason="r", amount_cents=2_000_000),
            NOW,
            new_id,
        )
    part = decide_waiver(
        f,
        WaiveEarlyExit(decided_by="office:a", reason="hardship", amount_cents=500_000),
        NOW,
        new_id,
    )
    assert evolve(f, part[0]).owed_cents == 1_000_000


def test_milestones_are_checked_against_the_calendar() -> None:
    program = load_fellowship(SAMPLE_FELLOWSHIP)
    f = enrolled({})
    future = ReportMilestone(
        milestone=Milestone.MED_CONFERRED, achieved_on=date(2027, 12, 1), reported_by="university"
    )
    with pytest.raises(FellowshipRefusal, match="in the future"):
        decide_milestone(f, program, future, NOW, new_id)
    early = future.model_copy(update={"achieved_on": date(2027, 6, 1)})
    with pytest.raises(FellowshipRefusal, match="before enrollment"):
        decide_milestone(f, program, early, NOW, new_id)
    ok = future.model_copy(update={"achieved_on": date(2027, 10, 30)})
    f = evolve(f, decide_milestone(f, program, ok, NOW, new_id)[0])
    assert decide_milestone(f, program, ok, NOW, new_id) == []
    with pytest.raises(FellowshipRefusal, match="already reported"):
        decide_milestone(
            f, program, ok.model_copy(update={"achieved_on": date(2027, 10, 31)}), NOW, new_id
        )
    left = LeftProgram(
        event_id=new_id(),
        occurred_at=NOW,
        kind=LeaveKind.WITHDREW,
        effective_on=NOW.date(),
        reason="r",
        recorded_by="x",
    )
    assert evolve(f, left).stage is Stage.LEFT


def test_after_enrollment_closes_no_seat_is_claimed_or_offered() -> None:
    closes = datetime(2027, 6, 25, 17, tzinfo=UTC)
    seats = cohort.fold(1, [], closes_at=closes)
    before = closes - timedelta(minutes=1)
    for fellow in ["a", "b"]:
        for event in cohort.decide_claim(seats, fellow, before, new_id):
            seats = cohort.evolve(seats, event)
    # At the deadline the lapsing seat is released, but not offered down the waitlist.
    events = cohort.decide_release(seats, "a", "lapsed", closes, new_id)
    assert [type(e).__name__ for e in events] == ["SeatReleased"]
    with pytest.raises(cohort.CohortRefusal, match="closed"):
        cohort.decide_claim(seats, "c", closes, new_id)
    assert [type(e).__name__ for e in cohort.decide_release(seats, "a", "x", before, new_id)] == [
        "SeatReleased",
        "SeatOffered",
    ]


def test_an_aspiring_principal_withdrawn_before_hr_answered_stays_withdrawn() -> None:
    from domain.aspiring_principals import journey as ap

    events = [
        ap.AspiringJoined(
            event_id=new_id(), occurred_at=NOW, employee_id="e-1", program_year="2027-28",
            tier1_credential_on=date(2026, 6, 1), nominated_by="hris",
        ),
        ap.AspiringWithdrawn(
            event_id=new_id(), occurred_at=NOW, reason="left", withdrawn_by="hris"
        ),
        ap.AspiringIdentified(
            event_id=new_id(), occurred_at=NOW, full_name="E", email="e@x", role="teacher",
            school_id="s",
        ),
    ]  # fmt: skip
    assert ap.fold(events).stage is ap.Stage.WITHDRAWN
    assert ap.fold([events[0], events[2]]).stage is ap.Stage.ACTIVE


async def test_the_office_lists_a_programs_fellows_from_the_log(
    pool: asyncpg.Pool, database_url: str
) -> None:
    from activities.eventstore import EventStore
    from domain.events import NewEvent
    from domain.fellowship import journey as fs
    from domain.teacher_leader.events import SelectionScores
    from tests.test_cli import run

    program = load_fellowship(SAMPLE_FELLOWSHIP)
    scores = SelectionScores(time=4, mindset=4, skillset=4, experience=4)
    story = [
        fs.FellowshipApplied(
            event_id=new_id(), occurred_at=NOW, employee_id="e-5", program_id=program.program_id,
            submitted_by="hris",
        ),
        fs.FellowIdentified(
            event_id=new_id(), occurred_at=NOW, full_name="Dana Cruz", email="d@x",
            role="teacher", school_id="s",
        ),
        fs.SelectionDecided(
            event_id=new_id(), occurred_at=NOW, selected=True, scores=scores, decided_by="o:a"
        ),
        fs.SeatGranted(event_id=new_id(), occurred_at=NOW, seat=1, from_waitlist=False),
        fs.Enrolled(
            event_id=new_id(), occurred_at=NOW, university_student_id="U-5",
            enrolled_on=date(2027, 6, 20), reported_by="university",
        ),
        fs.DisbursementPaid(
            event_id=new_id(), occurred_at=NOW, term_id="summer-2027", amount_cents=500_000,
            idempotency_key="k", payroll_reference="P-1",
        ),
    ]  # fmt: skip
    await EventStore(pool).append(
        f"fellowship/{program.program_id}/e-5", [NewEvent.of(e, "system") for e in story]
    )
    result = run("fellowship", "list", DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "Dana Cruz (e-5) │ enrolled │ summer-2027 │ $5,000.00 │ $0.00" in text
    assert "total │ │ │ $5,000.00 │ $0.00" in text
