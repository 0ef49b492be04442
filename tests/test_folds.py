"""Every pathway's fold refuses an event it does not know, rather than skipping it: a stream
that holds another pathway's event, or one newer code wrote, must not fold into a wrong state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.aspiring_principals import journey as aspiring
from domain.events import DomainEvent
from domain.fellowship import cohort
from domain.fellowship import journey as fellowship
from domain.service_commitment import journey as commitment
from domain.service_commitment.rules import ServiceRules
from domain.teacher_leader import journey as teacher_leader
from domain.teacher_leader.events import JourneyEnded

AT = datetime(2027, 7, 26, 18, tzinfo=UTC)
RULES = ServiceRules.model_validate(
    {
        "obligation_years": 4,
        "qualifying_roles": ["teacher"],
        "qualifying_schools": ["s-1"],
        "completion_window_years": 6,
        "crediting": "pro_rata_months",
        "repayment": "pro_rata",
    }
)


def stray(kind: type[DomainEvent]) -> DomainEvent:
    return kind.model_validate({"event_id": UUID(int=1), "occurred_at": AT, "outcome": "x"})


FOLDS: dict[str, tuple[Callable[[list[DomainEvent]], object], type[DomainEvent]]] = {
    "teacher leader": (teacher_leader.fold, fellowship.FellowshipEnded),
    "fellowship": (fellowship.fold, JourneyEnded),
    "cohort": (lambda events: cohort.fold(2, events), JourneyEnded),
    "aspiring principal": (aspiring.fold, JourneyEnded),
    "service commitment": (lambda events: commitment.fold(events, RULES), JourneyEnded),
}


@pytest.mark.parametrize("name", FOLDS)
def test_an_unknown_event_is_an_error(name: str) -> None:
    fold, foreign = FOLDS[name]
    with pytest.raises(TypeError, match="has no event"):
        fold([stray(foreign)])
