"""A catalog program's seats: a definition with `seats = N` has N places for the whole program
and a waitlist, kept by one `ProgramSeats` workflow per program and school year.

The rules are the engine's shared seats (`domain.seats`). A journey claims a seat as it starts
(after HR's look-up and the eligibility check), waits on the waitlist until a seat is offered
or enrollment closes (the end of the definition's `enrollment_closes`, in the program's time
zone), and gives its seat or place back when it ends early, so that while enrollment is open the
first on the waitlist is offered the seat. A journey of a program of several years keeps its
seat into the following years; a certification's renewals need none.

Two streams record it: the seats' own (`program_seats.*`, under `seats/<key>/<school year>`)
and each journey's (`program.SeatTaken`, `program.Waitlisted`, `program.NotSeated`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain import seats
from domain.calendar import local_moment
from domain.catalog.definition import ProgramDefinition
from domain.events import DomainEvent
from domain.refusals import Refusal
from domain.seats import Place, SeatBook

NewId = Callable[[], UUID]


# --- the seats' stream ----------------------------------------------------------------------


class SeatClaimed(DomainEvent):
    """A seat, or the next place on the waitlist (`seat` None), for one journey."""

    event_type = "program_seats.SeatClaimed"

    employee_id: str
    journey_id: str
    seat: int | None
    waitlist_position: int | None


class SeatReleased(DomainEvent):
    event_type = "program_seats.SeatReleased"

    employee_id: str
    reason: str


class SeatOffered(DomainEvent):
    """A seat given back, offered to the first on the waitlist."""

    event_type = "program_seats.SeatOffered"

    employee_id: str
    seat: int


class EnrollmentClosed(DomainEvent):
    event_type = "program_seats.EnrollmentClosed"

    seated: list[str]
    waitlist_expired: list[str]


# --- the journey's stream -------------------------------------------------------------------


class SeatTaken(DomainEvent):
    event_type = "program.SeatTaken"

    seat: int
    capacity: int
    from_waitlist: bool


class Waitlisted(DomainEvent):
    event_type = "program.Waitlisted"

    position: int
    capacity: int


class NotSeated(DomainEvent):
    """The journey ends without a seat: enrollment closed, or the seats refused the claim."""

    event_type = "program.NotSeated"

    reason: str


# --- the book -------------------------------------------------------------------------------


class SeatsInput(BaseModel):
    """What the seats workflow of one program and school year needs."""

    model_config = ConfigDict(frozen=True)

    program_key: str
    title: str
    school_year: str
    capacity: int = Field(ge=1)
    closes_at: datetime


class ProgramSeatBook(SeatBook):
    """The book of a program's seats, with each holder's journey (to offer a seat to)."""

    journeys: dict[str, str] = Field(default_factory=dict)


class SeatsRefusal(Refusal):
    """A claim the program's seats cannot take, in words to act on."""


class ClaimProgramSeat(BaseModel):
    model_config = ConfigDict(frozen=True)

    seats: SeatsInput
    employee_id: str
    journey_id: str


class ReleaseProgramSeat(BaseModel):
    model_config = ConfigDict(frozen=True)

    seats_id: str
    employee_id: str
    reason: str


class SeatOffer(BaseModel):
    model_config = ConfigDict(frozen=True)

    seat: int


def seats_id(program_key: str, school_year: str) -> str:
    return f"seats/{program_key}/{school_year}"


def seats_input(d: ProgramDefinition) -> SeatsInput:
    """The seats of a definition that has them: enrollment closes at the end of its last day."""
    assert d.seats is not None and d.enrollment_closes is not None  # the definition checks both
    return SeatsInput(
        program_key=d.key,
        title=d.title,
        school_year=d.school_year,
        capacity=d.seats,
        closes_at=local_moment(d.enrollment_closes + timedelta(days=1), time(0), d.time_zone),
    )


def new_book(inp: SeatsInput) -> ProgramSeatBook:
    return ProgramSeatBook(capacity=inp.capacity, closes_at=inp.closes_at)


def evolve(book: ProgramSeatBook, event: DomainEvent) -> ProgramSeatBook:
    book = book.model_copy(deep=True)
    match event:
        case SeatClaimed(seat=int() as seat):
            seats.seated(book, event.employee_id, seat)
            book.journeys[event.employee_id] = event.journey_id
        case SeatClaimed():
            seats.waitlisted(book, event.employee_id)
            book.journeys[event.employee_id] = event.journey_id
        case SeatReleased():
            seats.released(book, event.employee_id)
        case SeatOffered():
            seats.offered(book, event.employee_id, event.seat)
        case EnrollmentClosed():
            seats.closed(book)
        case _:
            raise TypeError(f"a program's seats have no event {event.event_type}")
    return book


def fold(inp: SeatsInput, events: Iterable[DomainEvent]) -> ProgramSeatBook:
    book = new_book(inp)
    for event in events:
        book = evolve(book, event)
    return book


def decide_claim(
    book: ProgramSeatBook,
    inp: SeatsInput,
    cmd: ClaimProgramSeat,
    now: datetime,
    ids: NewId,
) -> list[DomainEvent]:
    """A seat if one is free, else the next place on the waitlist; nothing if already answered."""
    if cmd.seats.program_key != inp.program_key or cmd.seats.school_year != inp.school_year:
        raise SeatsRefusal(
            f"these are the seats of {inp.program_key} {inp.school_year}, not of "
            f"{cmd.seats.program_key} {cmd.seats.school_year}",
            code="cohort.wrong_program",
        )
    place = seats.claim(
        book, cmd.employee_id, now, SeatsRefusal, named=f"{inp.title} {inp.school_year}"
    )
    if place is None:
        return []
    return [
        SeatClaimed(
            event_id=ids(),
            occurred_at=now,
            employee_id=cmd.employee_id,
            journey_id=cmd.journey_id,
            seat=place.seat,
            waitlist_position=place.waitlist_position,
        )
    ]


def decide_release(
    book: ProgramSeatBook, employee_id: str, reason: str, now: datetime, ids: NewId
) -> list[DomainEvent]:
    """Give up a seat or a waitlist place; while enrollment is open the seat is offered on."""
    given = seats.give_back(book, employee_id, now)
    if given is None:
        return []
    events: list[DomainEvent] = [
        SeatReleased(event_id=ids(), occurred_at=now, employee_id=employee_id, reason=reason)
    ]
    if given.offered_to is not None and given.seat is not None:
        events.append(
            SeatOffered(
                event_id=ids(), occurred_at=now, employee_id=given.offered_to, seat=given.seat
            )
        )
    return events


def close(book: ProgramSeatBook, now: datetime, ids: NewId) -> list[DomainEvent]:
    return [
        EnrollmentClosed(
            event_id=ids(),
            occurred_at=now,
            seated=book.seated_in_order(),
            waitlist_expired=list(book.waitlist),
        )
    ]


__all__ = ["Place", "ProgramSeatBook", "SeatsInput", "seats_id"]
