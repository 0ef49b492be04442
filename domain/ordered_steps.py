"""Ordered steps: a cycle of steps taken one after another inside a window, one semantics for
every pathway that has them (today the teacher leader's `CoachingCycle`s: planning →
observation → feedback → coaching).

- A cycle has an order of steps and a window: it **opens** on a local date in the program's
  time zone (`CoachingCycleWindow.opens`) and stays open while the journey is (a closed year
  takes nothing, as every action of the journey). Its `due` date is when it should be
  complete: a step after it is still recorded, late, and counts as any other; recorded
  journeys finish cycles after their due dates, so refusing them would rewrite history.
- Steps are recorded in order, each once: a step other than the next one is refused
  (`coaching.out_of_order`), naming the next step and the whole order; a step already taken is
  out of order too. There is no skipping and no undoing.
- A cycle is **complete** when every step of its order is recorded; a step after that is
  refused (`coaching.cycle_complete`).
- A step before the cycle opens is refused (`coaching.cycle_not_open`).
- The first refusal that applies is the one given, in the order above: complete, out of
  order, not yet open.

Each pathway keeps its own stored event type (`teacher_leader.CoachingStepRecorded`) with its
own step names; they share the fields of `StepRecorded` below, unchanged from what was stored
before this module existed.

Aspiring principals' coaching in role is not an ordered cycle: it is dated sessions counted
against a number the year requires, a log (`domain.dated_log`), not steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol, TypeVar

from domain.events import DomainEvent
from domain.refusals import Refusal

Step = TypeVar("Step", bound=str)


class Window(Protocol):
    """What a cycle's definition says: its title, when it opens and when it is due."""

    @property
    def title(self) -> str: ...

    @property
    def opens(self) -> date: ...

    @property
    def due(self) -> date: ...


class StepRecorded(DomainEvent):
    """Base of each pathway's step event (abstract: it has no event type); the pathway adds
    `step`, typed by its own order."""

    cycle_id: str
    recorded_by: str
    note: str = ""


def record(
    cycles: Mapping[str, Sequence[Step]], cycle_id: str, step: Step
) -> dict[str, list[Step]]:
    """The steps of every cycle after one more was recorded; `cycles` is not changed."""
    return {**{k: list(v) for k, v in cycles.items()}, cycle_id: [*cycles.get(cycle_id, ()), step]}


def remaining(done: Sequence[Step], order: Sequence[Step]) -> list[Step]:
    """The steps still to take, in order."""
    return list(order[len(done) :])


def is_complete(done: Sequence[Step], order: Sequence[Step]) -> bool:
    return len(done) >= len(order)


def check_step(
    window: Window,
    done: Sequence[Step],
    step: Step,
    order: Sequence[Step],
    today: date,
    refusal: type[Refusal],
) -> None:
    """Refuse a step of a complete cycle, out of order, or before the cycle opens."""
    if is_complete(done, order):
        raise refusal(f"the {window.title} is already complete", code="coaching.cycle_complete")
    expected = order[len(done)]
    if step != expected:
        raise refusal(
            f"{window.title}: {step} is out of order; the next step is {expected} "
            f"({' → '.join(order)})",
            code="coaching.out_of_order",
        )
    if today < window.opens:
        raise refusal(f"the {window.title} opens on {window.opens}", code="coaching.cycle_not_open")
