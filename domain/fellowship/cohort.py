"""A fellowship cohort's seats: capacity enforced, then a waitlist served in order.

The rules are the engine's shared seats (`domain.seats`): one cohort decides every fellow's
seat, so two selections at the same moment cannot both take the last seat; claims are
idempotent per fellow (a retried claim gets the same answer); a seat released before
enrollment closes goes to the first fellow still on the waitlist. The cohort's stored event
types (`fellowship_cohort.*`) and their fields are unchanged from before that module existed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain import seats
from domain.events import DomainEvent
from domain.fellowship.program import FellowshipProgram
from domain.refusals import Refusal
from domain.seats import Place, SeatBook

NewId = Callable[[], UUID]


class SeatClaimed(DomainEvent):
    event_type = "fellowship_cohort.SeatClaimed"

    fellow_id: str
    seat: int | None
    waitlist_position: int | None


class SeatReleased(DomainEvent):
    event_type = "fellowship_cohort.SeatReleased"

    fellow_id: str
    reason: str


class SeatOffered(DomainEvent):
    """A released seat given to the first fellow on the waitlist."""

    event_type = "fellowship_cohort.SeatOffered"

    fellow_id: str
    seat: int


class CohortClosed(DomainEvent):
    event_type = "fellowship_cohort.CohortClosed"

    seated: list[str]
    waitlist_expired: list[str]


class SeatAnswer(Place):
    """The cohort's answer to a claim: the fellow's seat or waitlist place."""

    fellow_id: str


class SeatOffer(BaseModel):
    model_config = ConfigDict(frozen=True)

    seat: int


class CohortSeats(SeatBook):
    """The cohort's book of seats (`domain.seats`), answering with the fellow's id."""

    def answer(self, fellow_id: str) -> SeatAnswer | None:
        place = super().answer(fellow_id)
        return None if place is None else SeatAnswer(fellow_id=fellow_id, **place.model_dump())


def evolve(c: CohortSeats, event: DomainEvent) -> CohortSeats:
    c = c.model_copy(deep=True)
    match event:
        case SeatClaimed(seat=int() as seat):
            seats.seated(c, event.fellow_id, seat)
        case SeatClaimed():
            seats.waitlisted(c, event.fellow_id)
        case SeatReleased():
            seats.released(c, event.fellow_id)
        case SeatOffered():
            seats.offered(c, event.fellow_id, event.seat)
        case CohortClosed():
            seats.closed(c)
        case _:
            raise TypeError(f"a fellowship cohort has no event {event.event_type}")
    return c


def fold(
    capacity: int, events: Iterable[DomainEvent], closes_at: datetime | None = None
) -> CohortSeats:
    c = CohortSeats(capacity=capacity, closes_at=closes_at)
    for event in events:
        c = evolve(c, event)
    return c


class CohortRefusal(Refusal):
    """A seat request the cohort cannot take, in words to act on."""


def decide_claim(c: CohortSeats, fellow_id: str, now: datetime, new_id: NewId) -> list[DomainEvent]:
    """A seat if one is free, else the next place on the waitlist; nothing if already answered."""
    place = seats.claim(c, fellow_id, now, CohortRefusal, named="the cohort")
    if place is None:
        return []
    return [
        SeatClaimed(
            event_id=new_id(),
            occurred_at=now,
            fellow_id=fellow_id,
            seat=place.seat,
            waitlist_position=place.waitlist_position,
        )
    ]


def decide_release(
    c: CohortSeats, fellow_id: str, reason: str, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    """Give up a seat or a waitlist place; before closing, the seat goes to the next in line."""
    given = seats.give_back(c, fellow_id, now)
    if given is None:
        return []
    events: list[DomainEvent] = [
        SeatReleased(event_id=new_id(), occurred_at=now, fellow_id=fellow_id, reason=reason)
    ]
    if given.offered_to is not None and given.seat is not None:
        events.append(
            SeatOffered(
                event_id=new_id(), occurred_at=now, fellow_id=given.offered_to, seat=given.seat
            )
        )
    return events


def cohort_id(program_id: str) -> str:
    return f"fellowship-cohort/{program_id}"


class ClaimSeat(BaseModel):
    model_config = ConfigDict(frozen=True)

    program: FellowshipProgram
    fellow_id: str


class ReleaseSeat(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    program_id: str
    fellow_id: str
    reason: str


class CohortInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    program: FellowshipProgram
