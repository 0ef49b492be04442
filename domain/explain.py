"""A journey's events as a timeline a person can read: who did what when, and why money moved.

The sentences are each pathway's own (`explain` in its registry entry); this module only lays
them out, so a new pathway brings its sentences with its entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from domain.calendar import SHOWING_IN, shown
from domain.career.explain import SENTENCES as CAREER_SENTENCES
from domain.events import DomainEvent
from domain.privacy import SENTENCES as PRIVACY_SENTENCES
from domain.registry import PATHWAYS


@dataclass(frozen=True)
class Line:
    when: str
    actor: str
    what: str


#: Every registered pathway's sentence for each of its event types, and the career's.
TEMPLATES: dict[type[DomainEvent], Callable[[Any], str]] = {
    **{kind: s for pathway in PATHWAYS.values() for kind, s in pathway.explain.items()},
    **CAREER_SENTENCES,
    **PRIVACY_SENTENCES,
}


def explain(events: Iterable[tuple[DomainEvent, str]], zone: ZoneInfo | None = None) -> list[Line]:
    """Each (event, actor) as a line; an event type without a template is still listed. With
    `zone`, each time (when it happened, and the moments sentences name, such as a deadline) is
    the local time there (`2027-09-14 08:30`); otherwise ISO in UTC."""
    lines = []
    showing = SHOWING_IN.set(zone)
    try:
        for event, actor in events:
            template = TEMPLATES.get(type(event))
            what = template(event) if template else f"{event.event_type} {event.payload()}"
            lines.append(Line(shown(event.occurred_at), actor, what))
    finally:
        SHOWING_IN.reset(showing)
    return lines
