"""Nominations: "who will you bring along with you on the leadership journey?" (seed 002).

A leader (with or without a leadership title) nominates a colleague for a pathway, with a
reason; the nominee is invited by e-mail and accepts or declines. An accepted nomination is an
invitation to apply: the program office then decides the application as it decides any, and the
journey that follows is linked to the nomination when it joins the career. Who brought whom is
kept on the nominee's career and exported as a graph (`pathways career nominations`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from domain.career.events import CareerNominated, CareerNominationAnswered
from domain.career.rules import is_target
from domain.events import DomainEvent
from domain.external import HrText
from domain.policy import Action, Case, authorize
from domain.refusals import Refusal

if TYPE_CHECKING:
    from domain.career.career import CareerState


class NominationRefusal(Refusal):
    pass


class Nomination(BaseModel):
    nomination_id: str
    nominated_by: str
    nominator_title: str | None = None
    target: str
    reason: str
    on: date
    answer: str | None = None
    """None until the nominee answers: accepted or declined."""
    led_to: str | None = None
    """The journey that followed, once one of the target joined the career."""

    @property
    def open(self) -> bool:
        return self.answer != "declined" and self.led_to is None


class Nominate(BaseModel):
    """The career's update `nominate`: the nominator and title come from HR at the edge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str = Field(min_length=3, description="program:<key>, or a pathway's key")
    reason: HrText = Field(min_length=3, max_length=1000)
    nominated_by: str = Field(min_length=1)
    nominator_title: str | None = None


class AnswerNomination(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    nomination_id: str = Field(min_length=1)
    accept: bool
    by: str = Field(min_length=1)
    note: HrText = Field("", max_length=1000)


def nomination_id(s: CareerState, by: str, target: str) -> str:
    base = f"{target}/{by}"
    taken = sum(1 for n in s.nominations.values() if n.target == target and n.nominated_by == by)
    return base if taken == 0 else f"{base}/{taken + 1}"


def open_nomination(s: CareerState, by: str, target: str) -> Nomination | None:
    return next(
        (
            n
            for n in s.nominations.values()
            if n.target == target and n.nominated_by == by and n.open
        ),
        None,
    )


def decide_nominate(
    s: CareerState, cmd: Nominate, invitation_key: str, stamp: dict[str, Any]
) -> list[DomainEvent]:
    """The nomination to record; none when the same nominator's for the target is open."""
    if not is_target(cmd.target):
        raise NominationRefusal(
            f"{cmd.target!r} is not a pathway: name program:<key> or a pathway's key",
            code="nomination.unknown_target",
        )
    if cmd.nominated_by == s.employee_id:
        raise NominationRefusal(
            f"{s.employee_id} cannot nominate themselves; a colleague nominates, or they apply",
            code="nomination.self",
        )
    authorize(Action.NOMINATE, cmd.nominated_by, Case(employee_id=s.employee_id))
    if s.employed is False:
        raise NominationRefusal(
            f"{s.employee_id} has separated from the district and cannot be nominated",
            code="career.separated",
        )
    if open_nomination(s, cmd.nominated_by, cmd.target) is not None:
        return []
    return [
        CareerNominated(
            **stamp,
            nomination_id=nomination_id(s, cmd.nominated_by, cmd.target),
            nominated_by=cmd.nominated_by,
            nominator_title=cmd.nominator_title,
            target=cmd.target,
            reason=cmd.reason,
            invitation_key=invitation_key,
        )
    ]


def decide_answer(
    s: CareerState, cmd: AnswerNomination, stamp: dict[str, Any]
) -> list[DomainEvent]:
    n = s.nominations.get(cmd.nomination_id)
    if n is None:
        known = ", ".join(s.nominations) or "none"
        raise NominationRefusal(
            f"{s.employee_id} has no nomination {cmd.nomination_id!r} (nominations: {known})",
            code="nomination.unknown",
        )
    authorize(Action.ANSWER_NOMINATION, cmd.by, Case(employee_id=s.employee_id))
    wanted = "accepted" if cmd.accept else "declined"
    if n.answer == wanted:
        return []
    if n.answer is not None:
        raise NominationRefusal(
            f"the nomination {n.nomination_id} was already {n.answer}", code="nomination.answered"
        )
    return [
        CareerNominationAnswered(
            **stamp, nomination_id=n.nomination_id, accepted=cmd.accept, note=cmd.note
        )
    ]
