"""How each event of a career reads in an auditor's timeline (`audit explain career/<id>`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from domain.career import events as ev
from domain.events import DomainEvent


def _applied(e: ev.CareerHrApplied) -> str:
    facts = [f"{name} {value}" for name, value in (
        ("role", e.role), ("school", e.school_id), ("credential", e.credential),
        ("reason", e.reason),
    ) if value]  # fmt: skip
    detail = f" ({', '.join(facts)})" if facts else ""
    return (
        f"HR event {e.hr_event_id} from {e.source}: {e.kind.replace('_', ' ')} effective "
        f"{e.effective_on}{detail}"
    )


def _told(e: ev.CareerJourneyTold) -> str:
    if e.outcome == "heard":
        return f"{e.journey_id} heard HR event {e.hr_event_id}"
    if e.outcome == "ended":
        return f"{e.journey_id} had ended ({e.detail}) when told HR event {e.hr_event_id}"
    if e.outcome == "failed":
        return f"{e.journey_id} could not be told HR event {e.hr_event_id}: {e.detail}"
    return f"{e.journey_id} refused HR event {e.hr_event_id}: {e.detail}"


SENTENCES: Mapping[type[DomainEvent], Callable[[Any], str]] = {
    ev.CareerHrApplied: _applied,
    ev.CareerJourneyJoined: lambda e: f"began {e.journey_id} ({e.pathway})",
    ev.CareerJourneyTold: _told,
    ev.CareerJourneyFinished: lambda e: f"{e.journey_id} is no longer running: {e.outcome}",
}
