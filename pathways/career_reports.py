"""What the careers say together, read from the event log: what the enrollment rules did, what
is due, and who brought whom along (the nominations graph the reports draw)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from activities.eventstore import EventStore
from domain.career.career import CAREER_PREFIX, CareerState, career_id, fold_into
from domain.career.events import CareerRuleApplied


async def career_states(store: EventStore) -> dict[str, CareerState]:
    """Every career in the event log, folded from its events (employee id -> state)."""
    states: dict[str, CareerState] = {}
    for stored in await store.read_prefix(CAREER_PREFIX):
        employee = stored.stream_id.removeprefix(CAREER_PREFIX)
        state = states.setdefault(employee, CareerState(employee_id=employee))
        fold_into(state, stored.to_domain())
    return states


class RuleLine(BaseModel):
    on: date
    employee_id: str
    rule_id: str
    action: str
    target: str
    outcome: str
    trigger: str
    detail: str
    journey_id: str | None
    due_on: date | None
    why: str


async def rule_log(store: EventStore, employee_id: str | None = None) -> list[RuleLine]:
    """What the rules did, in every career or in one employee's."""
    kind = CareerRuleApplied.event_type
    if employee_id is None:
        found = await store.read_prefix(CAREER_PREFIX, [kind])
    else:
        found = [e for e in await store.read_stream(career_id(employee_id)) if e.event_type == kind]
    lines = []
    for stored in found:
        employee = stored.stream_id.removeprefix(CAREER_PREFIX)
        e = stored.to_domain()
        assert isinstance(e, CareerRuleApplied)
        lines.append(
            RuleLine(
                on=e.trigger_on,
                employee_id=employee,
                rule_id=e.rule_id,
                action=e.action,
                target=e.target,
                outcome=e.outcome,
                trigger=e.trigger,
                detail=e.detail,
                journey_id=e.journey_id,
                due_on=e.due_on,
                why=e.why,
            )
        )
    return lines


class DueLine(BaseModel):
    employee_id: str
    target: str
    rule_id: str
    action: str
    since: date
    due_on: date | None
    overdue: bool


def outstanding(states: dict[str, CareerState], today: date) -> list[DueLine]:
    """Offers and requirements no journey has met, the overdue first."""
    lines = [
        DueLine(
            employee_id=employee,
            target=o.target,
            rule_id=o.rule_id,
            action=o.action,
            since=o.since,
            due_on=o.due_on,
            overdue=o.due_on is not None and o.due_on < today,
        )
        for employee, s in states.items()
        if s.employed is not False
        for o in s.obligations.values()
        if o.met_by is None
    ]
    return sorted(lines, key=lambda d: (not d.overdue, d.due_on or date.max, d.employee_id))


def nominations_graph(states: dict[str, CareerState]) -> dict[str, Any]:
    """Who brought whom along: people as nodes, nominations as edges (nominator -> nominee),
    each edge with its pathway, answer and the journey it led to. Reasons stay on the career."""
    nodes: dict[str, dict[str, Any]] = {}
    edges = []
    for employee, s in sorted(states.items()):
        for n in s.nominations.values():
            nominator = nodes.setdefault(n.nominated_by, {"id": n.nominated_by})
            if n.nominator_title:
                nominator["role"] = n.nominator_title
            nodes.setdefault(employee, {"id": employee}).update(role=s.role, school_id=s.school_id)
            led = s.journeys.get(n.led_to) if n.led_to else None
            edges.append(
                {
                    "from": n.nominated_by, "to": employee, "target": n.target,
                    "nomination_id": n.nomination_id, "on": n.on.isoformat(),
                    "answer": n.answer or "awaiting", "journey_id": n.led_to,
                    "journey_outcome": (led.outcome or "open") if led else None,
                }
            )  # fmt: skip
    return {"nodes": sorted(nodes.values(), key=lambda d: d["id"]), "edges": edges}
