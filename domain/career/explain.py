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
    if e.baseline:
        detail += ", as HR's record stood at the first import"
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


def _rule(e: ev.CareerRuleApplied) -> str:
    after = f"after {e.trigger}" if e.trigger.startswith("ended:") else f"on HR event {e.trigger}"
    match e.outcome:
        case "started" | "exists":
            done = (
                f"started {e.journey_id}"
                if e.outcome == "started"
                else (f"found {e.journey_id} already started")
            )
        case "offered":
            done = f"offered {e.target}; the program office was told"
        case "due":
            done = f"made {e.target} due by {e.due_on}; the program office was told"
        case "skipped":
            done = f"did not {e.action} {e.target}: {e.detail}"
        case _:
            done = f"could not {e.action} {e.target} ({e.outcome}): {e.detail}"
    return f"enrollment rule {e.rule_id} ({e.why}) {after}: {done}"


def _nominated(e: ev.CareerNominated) -> str:
    title = f", {e.nominator_title}," if e.nominator_title else ""
    return (
        f"nominated for {e.target} by {e.nominated_by}{title} (nomination {e.nomination_id}): "
        f"{e.reason}; invited by e-mail"
    )


SENTENCES: Mapping[type[DomainEvent], Callable[[Any], str]] = {
    ev.CareerHrApplied: _applied,
    ev.CareerJourneyJoined: lambda e: f"began {e.journey_id} ({e.pathway})",
    ev.CareerJourneyTold: _told,
    ev.CareerJourneyFinished: lambda e: f"{e.journey_id} is no longer running: {e.outcome}",
    ev.CareerRuleApplied: _rule,
    ev.CareerNominated: _nominated,
    ev.CareerNominationAnswered: lambda e: (
        f"{'accepted' if e.accepted else 'declined'} the nomination {e.nomination_id}"
        + (f": {e.note}" if e.note else "")
    ),
}
