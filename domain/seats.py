"""Seats and a waitlist: one semantics for every program with a limited number of places
(a fellowship's cohort, a catalog training with `seats = 30`).

- **One book decides every seat.** Each program (and school year) has one book, kept by one
  workflow, so two claims at the same moment cannot both take the last seat.
- **A claim** gets the lowest free seat, or else the next place on the waitlist. Claims are
  idempotent per person: the same claim again gets the same answer and records nothing.
- **Closed** is final: from the moment enrollment closes (or the book is closed) a claim is
  refused (`cohort.closed`), and a seat given back is not offered on.
- **Once given up, gone**: a person who gave up a seat or a waitlist place cannot claim again
  in the same book (`cohort.place_given_up`); a program office enrolls them again next year.
- **A seat given back** while enrollment is open goes to the first person on the waitlist;
  giving back a waitlist place only takes the person off the list.

Each program keeps its stored event types (`fellowship_cohort.SeatClaimed`,
`program_seats.SeatClaimed`, ...) and its own name for the person; its fold calls the
transitions below and its decisions turn `claim`'s `Place` and `give_back`'s `GivenBack` into
its events.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.refusals import Refusal


class Place(BaseModel):
    """What a claim got: a seat, or a place on the waitlist (1 is next)."""

    model_config = ConfigDict(frozen=True)

    seat: int | None = None
    waitlist_position: int | None = None


class GivenBack(BaseModel):
    """A seat or waitlist place given up, and who is offered the seat (None: nobody)."""

    model_config = ConfigDict(frozen=True)

    seat: int | None
    offered_to: str | None = None


class SeatBook(BaseModel):
    """Who holds which seat, who waits in which order, who gave a place up."""

    capacity: int
    closes_at: datetime | None = None  # enrollment closes: no claims, no offers from then
    seats: dict[str, int] = Field(default_factory=dict)
    waitlist: list[str] = Field(default_factory=list)
    released: list[str] = Field(default_factory=list)
    closed: bool = False

    def answer(self, holder: str) -> Place | None:
        if holder in self.seats:
            return Place(seat=self.seats[holder])
        if holder in self.waitlist:
            return Place(waitlist_position=self.waitlist.index(holder) + 1)
        return None

    def is_closed(self, now: datetime) -> bool:
        return self.closed or (self.closes_at is not None and now >= self.closes_at)

    def free_seat(self) -> int | None:
        taken = set(self.seats.values())
        return next((n for n in range(1, self.capacity + 1) if n not in taken), None)

    def seated_in_order(self) -> list[str]:
        return sorted(self.seats, key=self.seats.__getitem__)


# --- decisions: what a claim or a release would record ------------------------------------


def claim(
    book: SeatBook, holder: str, now: datetime, refusal: type[Refusal], *, named: str
) -> Place | None:
    """The place a new claim takes; None when `holder` already has one (nothing to record).
    `named` is how a refusal names the program: "the cohort", "Instructional Leadership 2026-27"."""
    if book.answer(holder) is not None:
        return None
    if book.is_closed(now):
        raise refusal(f"{named} is closed: enrollment has ended", code="cohort.closed")
    if holder in book.released:
        raise refusal(f"{holder} already gave up a place in {named}", code="cohort.place_given_up")
    seat = book.free_seat()
    return Place(seat=seat, waitlist_position=None if seat is not None else len(book.waitlist) + 1)


def give_back(book: SeatBook, holder: str, now: datetime) -> GivenBack | None:
    """A seat or waitlist place given up (None: `holder` has neither); while enrollment is
    open a seat goes to the first on the waitlist."""
    if book.answer(holder) is None:
        return None
    seat = book.seats.get(holder)
    offered_to = None
    if seat is not None and not book.is_closed(now) and book.waitlist:
        offered_to = book.waitlist[0]
    return GivenBack(seat=seat, offered_to=offered_to)


# --- transitions: a program's fold calls these for its events, in place --------------------


def seated(book: SeatBook, holder: str, seat: int) -> None:
    book.seats[holder] = seat


def waitlisted(book: SeatBook, holder: str) -> None:
    book.waitlist.append(holder)


def released(book: SeatBook, holder: str) -> None:
    book.seats.pop(holder, None)
    if holder in book.waitlist:
        book.waitlist.remove(holder)
    book.released.append(holder)


def offered(book: SeatBook, holder: str, seat: int) -> None:
    book.waitlist.remove(holder)
    book.seats[holder] = seat


def closed(book: SeatBook) -> None:
    book.closed = True
