"""The service commitment's fold and HR decisions, without Temporal."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from domain.events import DomainEvent
from domain.service_commitment.journey import (
    CommitmentRefusal,
    CommitmentStarted,
    HrChange,
    HrEvent,
    SchoolTransferred,
    Waive,
    before_start,
    completion_date,
    decide_hr_event,
    fold,
)
from domain.service_commitment.rules import Crediting, RepaymentForm, ServiceRules

RULES = ServiceRules(
    obligation_years=1,
    qualifying_roles=["assistant_principal"],
    qualifying_schools=["a", "b"],
    completion_window_years=2,
    crediting=Crediting.PRO_RATA_MONTHS,
    repayment=RepaymentForm.PRO_RATA,
)
AT = datetime(2030, 1, 1, tzinfo=UTC)
counter = iter(range(1, 10_000))


def new_id() -> uuid.UUID:
    return uuid.UUID(int=next(counter))


def started(on: date) -> CommitmentStarted:
    return CommitmentStarted(
        event_id=new_id(),
        occurred_at=AT,
        fellow_id="f-1",
        full_name="Fellow One",
        email="f-1@district.example",
        program="plf",
        graduated_on=on,
        assistance_cents=1_200_000,
        role="assistant_principal",
        school_id="a",
        obligation_years=1,
        deadline=date(on.year + 2, on.month, on.day),
    )


def transfer(to: str, on: date) -> DomainEvent:
    return SchoolTransferred(
        event_id=new_id(), occurred_at=AT, school_id=to, effective_on=on, recorded_by="hris"
    )


def test_a_move_between_qualifying_schools_continues_the_same_period() -> None:
    whole = fold([started(date(2030, 1, 31))], RULES)
    split = fold([started(date(2030, 1, 31)), transfer("b", date(2030, 2, 28))], RULES)
    assert whole.served_as_of(date(2030, 3, 28)) == split.served_as_of(date(2030, 3, 28)) == 1
    assert split.open_since == date(2030, 1, 31)


def test_a_non_qualifying_school_stops_the_period() -> None:
    moved = fold([started(date(2030, 1, 15)), transfer("elsewhere", date(2030, 4, 15))], RULES)
    assert moved.open_since is None
    assert moved.served_as_of(date(2030, 9, 1)) == 3


def test_completion_date_is_the_first_day_the_obligation_is_met() -> None:
    state = fold([started(date(2030, 1, 31))], RULES)
    day = completion_date(state, RULES, date(2030, 2, 28))
    assert day is not None
    assert state.served_as_of(day) == 12
    assert state.served_as_of(date.fromordinal(day.toordinal() - 1)) == 11


def test_hr_changes_before_the_commitment_started_are_refused() -> None:
    empty = fold([], RULES)
    cmd = HrEvent(change=HrChange.ROLE_CHANGE, effective_on=date(2030, 1, 1), role="principal")
    with pytest.raises(CommitmentRefusal, match="still starting"):
        decide_hr_event(empty, RULES, cmd, AT, new_id)


def test_hr_changes_while_starting_are_decided_against_what_the_start_states() -> None:
    """Held, not refused: what the commitment's input states (its graduation) is enough to
    refuse what can never apply and to take the rest."""
    waiting = before_start("f-1", "plf", date(2029, 6, 1), 1_000_000, date(2031, 6, 1))
    separation = HrEvent(change=HrChange.SEPARATION, effective_on=date(2029, 9, 1), reason="left")
    assert [e.event_type for e in decide_hr_event(waiting, RULES, separation, AT, new_id)] == [
        "service_commitment.SeparationRecorded"
    ]
    before_graduation = HrEvent(
        change=HrChange.SCHOOL_TRANSFER, effective_on=date(2029, 5, 1), school_id="b"
    )
    with pytest.raises(CommitmentRefusal) as early:
        decide_hr_event(waiting, RULES, before_graduation, AT, new_id)
    assert early.value.code == "hr.out_of_order"
    ahead = HrEvent(change=HrChange.SEPARATION, effective_on=date(2030, 3, 1), reason="left")
    with pytest.raises(CommitmentRefusal) as future:
        decide_hr_event(waiting, RULES, ahead, AT, new_id)
    assert future.value.code == "date.in_future"


def test_the_same_separation_twice_is_accepted_once() -> None:
    state = fold([started(date(2029, 6, 1))], RULES)
    separation = HrEvent(change=HrChange.SEPARATION, effective_on=date(2029, 12, 1), reason="left")
    events = decide_hr_event(state, RULES, separation, AT, new_id)
    assert len(events) == 1
    assert decide_hr_event(fold([started(date(2029, 6, 1)), *events], RULES), RULES, separation,
                           AT, new_id) == []  # fmt: skip


def test_text_with_nul_characters_is_refused_at_the_edge() -> None:
    with pytest.raises(ValidationError, match="NUL"):
        Waive(decided_by="office:a", reason="bad\x00text")
