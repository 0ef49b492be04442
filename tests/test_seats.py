"""Seats and a waitlist (`domain.seats`) as both users hold them: a fellowship's cohort and a
catalog program's seats; and a program journey's seat, waitlist and end without one (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain import seats
from domain.catalog import journey as pj
from domain.catalog import seats as ps
from domain.catalog.definition import CATALOG, ProgramDefinitionError, load_program
from domain.catalog.events import (
    ParticipantIdentified,
    ProgramEnrolled,
    ProgramPaused,
    ProgramResumed,
    ProgramWithdrawn,
)
from domain.catalog.journey import Stage
from domain.events import DomainEvent
from domain.fellowship import cohort
from domain.refusals import Refusal

NOW = datetime(2026, 9, 1, 19, tzinfo=UTC)
TRAINING = load_program(CATALOG / "instructional_leadership_training.toml")
INSTITUTE = load_program(CATALOG / "principals_leadership_institute.toml")
counter = iter(range(1, 1_000_000))


def new_id() -> uuid.UUID:
    return uuid.UUID(int=next(counter))


# --- the two users, behind one small interface ------------------------------------------------


class Cohort:
    """A fellowship cohort of `capacity` seats."""

    refusal: type[Refusal] = cohort.CohortRefusal

    def __init__(self, capacity: int, closes_at: datetime) -> None:
        self.book = cohort.CohortSeats(capacity=capacity, closes_at=closes_at)

    def claim(self, who: str, now: datetime = NOW) -> list[DomainEvent]:
        events = cohort.decide_claim(self.book, who, now, new_id)
        self._fold(events)
        return events

    def release(self, who: str, now: datetime = NOW) -> list[DomainEvent]:
        events = cohort.decide_release(self.book, who, "left", now, new_id)
        self._fold(events)
        return events

    def close(self, now: datetime = NOW) -> None:
        self._fold(
            [
                cohort.CohortClosed(
                    event_id=new_id(), occurred_at=now, seated=[], waitlist_expired=[]
                )
            ]
        )

    def _fold(self, events: list[DomainEvent]) -> None:
        for event in events:
            self.book = cohort.evolve(self.book, event)


class ProgramSeats:
    """A catalog program's seats of `capacity`."""

    refusal: type[Refusal] = ps.SeatsRefusal

    def __init__(self, capacity: int, closes_at: datetime) -> None:
        self.inp = ps.SeatsInput(
            program_key=TRAINING.key,
            title=TRAINING.title,
            school_year=TRAINING.school_year,
            capacity=capacity,
            closes_at=closes_at,
        )
        self.book = ps.new_book(self.inp)

    def claim(self, who: str, now: datetime = NOW) -> list[DomainEvent]:
        cmd = ps.ClaimProgramSeat(seats=self.inp, employee_id=who, journey_id=f"program/x/{who}")
        events = ps.decide_claim(self.book, self.inp, cmd, now, new_id)
        self._fold(events)
        return events

    def release(self, who: str, now: datetime = NOW) -> list[DomainEvent]:
        events = ps.decide_release(self.book, who, "withdrawn", now, new_id)
        self._fold(events)
        return events

    def close(self, now: datetime = NOW) -> None:
        self._fold(ps.close(self.book, now, new_id))

    def _fold(self, events: list[DomainEvent]) -> None:
        for event in events:
            self.book = ps.evolve(self.book, event)


Book = Cohort | ProgramSeats
USERS: list[Callable[[int, datetime], Book]] = [Cohort, ProgramSeats]
CLOSES = NOW + timedelta(days=30)


def kinds(events: list[DomainEvent]) -> list[str]:
    return [e.event_type for e in events]


def places(book: Book, *people: str) -> list[seats.Place | None]:
    found = [book.book.answer(p) for p in people]
    return [
        None if a is None else seats.Place(**a.model_dump(include={"seat", "waitlist_position"}))
        for a in found
    ]


@pytest.fixture(params=USERS, ids=["fellowship cohort", "program seats"])
def make(request: pytest.FixtureRequest) -> Callable[[int, datetime], Book]:
    maker: Callable[[int, datetime], Book] = request.param
    return maker


def test_capacity_then_the_waitlist_in_order(make: Callable[[int, datetime], Book]) -> None:
    book = make(2, CLOSES)
    for who in ("a", "b", "c", "d"):
        book.claim(who)
    assert places(book, "a", "b", "c", "d") == [
        seats.Place(seat=1),
        seats.Place(seat=2),
        seats.Place(waitlist_position=1),
        seats.Place(waitlist_position=2),
    ]


def test_a_claim_again_gets_the_same_answer_and_records_nothing(
    make: Callable[[int, datetime], Book],
) -> None:
    book = make(1, CLOSES)
    assert len(book.claim("a")) == 1 and len(book.claim("b")) == 1
    assert book.claim("a") == [] and book.claim("b") == []
    assert places(book, "a", "b") == [seats.Place(seat=1), seats.Place(waitlist_position=1)]


def test_a_seat_given_back_goes_to_the_first_on_the_waitlist(
    make: Callable[[int, datetime], Book],
) -> None:
    book = make(1, CLOSES)
    for who in ("a", "b", "c"):
        book.claim(who)
    events = book.release("a")
    assert [k.split(".")[1] for k in kinds(events)] == ["SeatReleased", "SeatOffered"]
    assert places(book, "a", "b", "c") == [
        None,
        seats.Place(seat=1),
        seats.Place(waitlist_position=1),
    ]
    # A waitlist place given back offers nothing; the rest move up.
    book.claim("d")
    assert [k.split(".")[1] for k in kinds(book.release("c"))] == ["SeatReleased"]
    assert places(book, "d") == [seats.Place(waitlist_position=1)]
    assert book.release("nobody") == []


def test_once_given_up_a_place_cannot_be_claimed_again(
    make: Callable[[int, datetime], Book],
) -> None:
    book = make(1, CLOSES)
    book.claim("a")
    book.release("a")
    with pytest.raises(book.refusal) as refused:
        book.claim("a")
    assert refused.value.code == "cohort.place_given_up"


def test_closed_refuses_claims_and_offers_no_seat(make: Callable[[int, datetime], Book]) -> None:
    book = make(1, CLOSES)
    book.claim("a")
    book.claim("b")
    with pytest.raises(book.refusal) as refused:
        book.claim("c", now=CLOSES)
    assert refused.value.code == "cohort.closed"
    assert [k.split(".")[1] for k in kinds(book.release("a", now=CLOSES))] == ["SeatReleased"]
    assert places(book, "b") == [seats.Place(waitlist_position=1)]
    early = make(1, CLOSES)
    early.close(NOW)  # closed by its event, before the moment
    with pytest.raises(early.refusal):
        early.claim("a")


def test_the_program_seats_keep_each_holders_journey_and_refuse_another_programs_claim() -> None:
    book = ProgramSeats(1, CLOSES)
    book.claim("a")
    book.claim("b")
    assert book.book.journeys == {"a": "program/x/a", "b": "program/x/b"}
    other = book.inp.model_copy(update={"school_year": "2027-28"})
    cmd = ps.ClaimProgramSeat(seats=other, employee_id="c", journey_id="program/x/c")
    with pytest.raises(ps.SeatsRefusal) as refused:
        ps.decide_claim(book.book, book.inp, cmd, NOW, new_id)
    assert refused.value.code == "cohort.wrong_program"
    book.close()
    closed = book.book
    assert closed.closed and closed.seated_in_order() == ["a"] and closed.waitlist == ["b"]


# --- the definitions ---------------------------------------------------------------------------


def test_the_training_has_thirty_seats_until_enrollment_closes_in_los_angeles() -> None:
    assert TRAINING.seats == 30 and TRAINING.enrollment_closes == date(2027, 1, 8)
    inp = ps.seats_input(TRAINING)
    assert inp.capacity == 30
    assert inp.closes_at == datetime(2027, 1, 9, 8, tzinfo=UTC)  # midnight after, PST
    assert ps.seats_id(TRAINING.key, TRAINING.school_year) == (
        "seats/instructional_leadership_training/2026-27"
    )
    roles = set(TRAINING.eligibility.roles)
    assert {"principal", "vice_principal", "coordinator", "program_director"} <= roles
    assert all("After hours" in s.title for p in TRAINING.parts for s in p.sessions)  # type: ignore[union-attr]


def test_the_institute_is_for_every_principal_with_its_modules_through_the_year() -> None:
    assert INSTITUTE.seats is None and INSTITUTE.eligibility.roles == ("principal",)
    titles = [p.title for p in INSTITUTE.parts]
    assert "SREB: Creating a High Performance Learning Culture" in titles
    culture = INSTITUTE.part("high-performance-culture")
    assert culture is not None and culture.kind == "course"
    words = " ".join(s.title for s in culture.sessions)
    assert "Baldrige" in words and "Strategic Plan" in words
    days = [s.on for p in INSTITUTE.parts for s in p.sessions]  # type: ignore[union-attr]
    assert min(days) >= date(2026, 8, 17) and max(days) <= date(2027, 6, 11)


def test_seats_need_the_day_enrollment_closes() -> None:
    data = TRAINING.model_dump()
    data["enrollment_closes"] = None
    with pytest.raises(ValueError, match="seats: a program with seats needs enrollment_closes"):
        type(TRAINING).model_validate(data)
    data = TRAINING.model_dump()
    data["seats"] = 0
    with pytest.raises(ValueError, match="seats"):
        type(TRAINING).model_validate(data)
    assert issubclass(ProgramDefinitionError, ValueError)


# --- a program journey with a seat, on the waitlist, without one --------------------------------


def journey(*more: DomainEvent) -> pj.ProgramJourneyState:
    events: list[DomainEvent] = [
        ProgramEnrolled(
            event_id=new_id(),
            occurred_at=NOW,
            employee_id="e-1",
            program_key=TRAINING.key,
            program_title=TRAINING.title,
            school_year=TRAINING.school_year,
            year_in_program=1,
            enrolled_by="office:ana",
            began_on=TRAINING.starts,
        ),
        ParticipantIdentified(
            event_id=new_id(),
            occurred_at=NOW,
            full_name="A",
            email="a@x",
            role="principal",
            school_id=None,
        ),
        *more,
    ]
    return pj.fold(events)


def stamp() -> dict[str, Any]:
    return {"event_id": new_id(), "occurred_at": NOW}


def test_a_waitlisted_journey_records_nothing_until_a_seat_is_offered() -> None:
    s = journey(ps.Waitlisted(**stamp(), position=3, capacity=30))
    assert s.stage is Stage.WAITLISTED and s.is_open and s.waiting
    status = pj.status(s, TRAINING)
    assert (status.waitlist_position, status.seat, status.seats) == (3, None, 30)
    mark = pj.MarkSession(
        part_id="observing-for-rigor", session_id="rigor-1", status="present", recorded_by="o:x"
    )
    with pytest.raises(pj.ProgramRefusal) as refused:
        pj.decide_mark(s, TRAINING, mark, NOW, new_id)
    assert refused.value.code == "program.waitlisted"
    # Withdrawing from the waitlist is allowed.
    out = pj.WithdrawFromProgram(reason="changed plans", withdrawn_by="office:ana")
    assert pj.decide_withdrawal(s, out, NOW, new_id, TRAINING.time_zone)
    pj.fold_into(s, ps.SeatTaken(**stamp(), seat=7, capacity=30, from_waitlist=True))
    assert (s.stage, s.seat, s.waitlist_position) == (Stage.ACTIVE, 7, None)


def test_a_leave_while_waitlisted_resumes_onto_the_waitlist_and_closing_ends_it() -> None:
    on = TRAINING.starts + timedelta(days=14)
    s = journey(
        ps.Waitlisted(**stamp(), position=1, capacity=30),
        ProgramPaused(**stamp(), reason="on leave: surgery", paused_by="hris", effective_on=on),
        ProgramResumed(**stamp(), reason="returned", resumed_by="hris", effective_on=on),
    )
    assert s.stage is Stage.WAITLISTED
    pj.fold_into(s, ps.NotSeated(**stamp(), reason="no seat came free"))
    assert (s.stage, s.is_open, s.end_reason) == (Stage.NOT_SEATED, False, "no seat came free")


def test_a_journey_withdrawn_while_its_claim_was_answered_stays_withdrawn() -> None:
    withdrawn = ProgramWithdrawn(
        **stamp(), reason="x", withdrawn_by="office:ana", effective_on=TRAINING.starts
    )
    s = journey(withdrawn, ps.NotSeated(**stamp(), reason="closed"))
    assert s.stage is Stage.WITHDRAWN and s.end_reason == "x"
    s = journey(withdrawn, ps.SeatTaken(**stamp(), seat=1, capacity=30, from_waitlist=False))
    assert s.stage is Stage.WITHDRAWN and s.seat == 1
