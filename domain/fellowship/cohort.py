"""A fellowship cohort's seats: capacity enforced, then a waitlist served in order.

One cohort decides every fellow's seat, so two selections at the same moment cannot both take
the last seat. Claims are idempotent per fellow (a retried claim gets the same answer); a seat
released before enrollment closes goes to the first fellow still on the waitlist.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.events import DomainEvent
from domain.fellowship.program import FellowshipProgram
from domain.refusals import Refusal

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


class SeatAnswer(BaseModel):
    model_config = ConfigDict(frozen=True)

    fellow_id: str
    seat: int | None = None
    waitlist_position: int | None = None


class SeatOffer(BaseModel):
    model_config = ConfigDict(frozen=True)

    seat: int


class CohortSeats(BaseModel):
    capacity: int
    closes_at: datetime | None = None  # enrollment closes: no claims, no offers from then
    seats: dict[str, int] = Field(default_factory=dict)
    waitlist: list[str] = Field(default_factory=list)
    released: list[str] = Field(default_factory=list)
    closed: bool = False

    def answer(self, fellow_id: str) -> SeatAnswer | None:
        if fellow_id in self.seats:
            return SeatAnswer(fellow_id=fellow_id, seat=self.seats[fellow_id])
        if fellow_id in self.waitlist:
            return SeatAnswer(
                fellow_id=fellow_id, waitlist_position=self.waitlist.index(fellow_id) + 1
            )
        return None

    def is_closed(self, now: datetime) -> bool:
        return self.closed or (self.closes_at is not None and now >= self.closes_at)

    def free_seat(self) -> int | None:
        taken = set(self.seats.values())
        return next((n for n in range(1, self.capacity + 1) if n not in taken), None)


def evolve(c: CohortSeats, event: DomainEvent) -> CohortSeats:
    c = c.model_copy(deep=True)
    match event:
        case SeatClaimed(seat=int() as seat):
            c.seats[event.fellow_id] = seat
        case SeatClaimed():
            c.waitlist.append(event.fellow_id)
        case SeatReleased():
            c.seats.pop(event.fellow_id, None)
            if event.fellow_id in c.waitlist:
                c.waitlist.remove(event.fellow_id)
            c.released.append(event.fellow_id)
        case SeatOffered():
            c.waitlist.remove(event.fellow_id)
            c.seats[event.fellow_id] = event.seat
        case CohortClosed():
            c.closed = True
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
    if c.answer(fellow_id) is not None:
        return []
    if c.is_closed(now):
        raise CohortRefusal("the cohort is closed: enrollment has ended", code="cohort.closed")
    if fellow_id in c.released:
        raise CohortRefusal(
            f"{fellow_id} already gave up a place in this cohort", code="cohort.place_given_up"
        )
    seat = c.free_seat()
    return [
        SeatClaimed(
            event_id=new_id(),
            occurred_at=now,
            fellow_id=fellow_id,
            seat=seat,
            waitlist_position=None if seat is not None else len(c.waitlist) + 1,
        )
    ]


def decide_release(
    c: CohortSeats, fellow_id: str, reason: str, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    """Give up a seat or a waitlist place; before closing, the seat goes to the next in line."""
    if c.answer(fellow_id) is None:
        return []
    seat = c.seats.get(fellow_id)
    events: list[DomainEvent] = [
        SeatReleased(event_id=new_id(), occurred_at=now, fellow_id=fellow_id, reason=reason)
    ]
    if seat is not None and not c.is_closed(now) and c.waitlist:
        events.append(
            SeatOffered(event_id=new_id(), occurred_at=now, fellow_id=c.waitlist[0], seat=seat)
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
