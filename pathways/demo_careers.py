"""The demo's district over four school years: HR's feed drives careers, and the enrollment
rules move people into pathways.

A few hundred employees; each year HR hires teachers, promotes some (teacher to coordinator,
to vice or assistant principal, to principal), transfers and separates others, and reports
Tier 1 credentials. Every change is written to the local HR tables (HR's record) and sent to
the employee's career as an HR event, at its date on the time-skipping server. The rules start
Induction for new administrators, make Evaluation Certification due (the program office
enrolls most of them), and offer Aspiring Principals; the careers of the demo's earlier teacher
leaders offer them the fellowship. At the end: a table of careers and the flows between roles
and pathways.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import asyncpg
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.careers import submit_hr_event
from activities.enrollment import start_journey
from activities.eventstore import EventStore
from activities.local_systems import LocalHris
from domain.calendar import local_date, local_moment
from domain.career.career import HrEvent, HrEventKind, SubmitHrEvent
from domain.career.rules import target_of
from domain.catalog.definition import CATALOG, ProgramDefinition, load_program
from domain.catalog.start import PROGRAM, ProgramEnrollment, ProgramInput
from domain.external import Employee, EmploymentStatus, School
from domain.pathway import StartRefused
from pathways.career_reports import career_states, outstanding, rule_log
from pathways.demo_cohort import advance_to

TZ = "America/Los_Angeles"
OFFICE = "office:demo"
SCHOOLS = ["lincoln-es", "roosevelt-ms", "wilson-hs", "hamilton-ms", "king-es", "cabrillo-hs"]
ADMIN = ("vice_principal", "assistant_principal")
TIER1 = "administrative_services_tier1"
YEARS = 4
#: Share of the administrators Evaluation Certification is due for whom the office enrolls.
ENROLLED_SHARE = 0.75


@dataclass
class Person:
    employee_id: str
    role: str
    school_id: str
    since: date
    employed: bool = True
    credentials: set[str] = field(default_factory=set)


@dataclass
class Feed:
    """HR's record of the district and the events it sends, made by one seeded random."""

    rng: random.Random
    people: dict[str, Person] = field(default_factory=dict)
    sent: int = 0
    hired: int = 0

    def staff(self, *roles: str) -> list[Person]:
        return [p for p in self.people.values() if p.employed and p.role in roles]

    def first_district(self, on: date) -> list[tuple[date, str, HrEvent]]:
        plan = [("principal", 6), ("vice_principal", 6), ("assistant_principal", 6)]
        plan += [("coordinator", 18), ("teacher", 264)]
        events = []
        for role, count in plan:
            for _ in range(count):
                events.append(self._hire(on, role, since=on - timedelta(days=365 * 4)))
        # HR's record as it stands when the district begins sending it: not new roles.
        events = [(d, who, e.model_copy(update={"baseline": True})) for d, who, e in events]
        return events

    def year(self, y: int, start: date) -> list[tuple[date, str, HrEvent]]:
        """A school year's changes, in date order: the summer's moves, then the year's."""
        rng, events = self.rng, []
        summer = start - timedelta(days=14)
        for _ in range(14):
            events.append(self._hire(summer, "teacher"))
        for p in rng.sample(self.staff("teacher", "coordinator"), 10):
            p.credentials.add(TIER1)
            events.append(self._event(p, start + timedelta(days=40), "credential_earned",
                                      credential=TIER1))  # fmt: skip
        for p in rng.sample(self.staff("teacher"), 5):
            events.append(self._move(p, summer, "coordinator"))
        holders = [p for p in self.staff("teacher", "coordinator") if TIER1 in p.credentials]
        for p in rng.sample(holders, min(4, len(holders))):
            events.append(self._move(p, summer, rng.choice(ADMIN)))
        for p in rng.sample(self.staff(*ADMIN), 2):
            events.append(self._move(p, summer, "principal"))
        for p in rng.sample(self.staff("teacher", "coordinator"), 8):
            p.school_id = rng.choice([s for s in SCHOOLS if s != p.school_id])
            events.append(self._event(p, summer, "school_transfer", school_id=p.school_id))
        for p in rng.sample(self.staff("teacher", "coordinator", *ADMIN, "principal"), 10):
            p.employed = False
            events.append(
                self._event(p, start + timedelta(days=rng.randrange(60, 280)), "separation",
                            reason=rng.choice(["retired", "resigned", "moved away"]))
            )  # fmt: skip
        return sorted(events, key=lambda e: e[0])

    def _hire(self, on: date, role: str, since: date | None = None) -> tuple[date, str, HrEvent]:
        self.hired += 1
        p = Person(f"d-{self.hired:04d}", role, self.rng.choice(SCHOOLS), since or on)
        self.people[p.employee_id] = p
        return self._event(p, on, "hire", role=role, school_id=p.school_id)

    def _move(self, p: Person, on: date, role: str) -> tuple[date, str, HrEvent]:
        p.role, p.since = role, on
        return self._event(p, on, "role_change", role=role)

    def _event(self, p: Person, on: date, kind: str, **fields: str) -> tuple[date, str, HrEvent]:
        self.sent += 1
        event = HrEvent(
            event_id=f"demo-hr-{self.sent:05d}", employee_id=p.employee_id,
            kind=HrEventKind(kind), effective_on=on, **fields,
        )  # fmt: skip
        return on, p.employee_id, event


async def run_careers(
    env: WorkflowEnvironment, client: Client, pool: asyncpg.Pool, task_queue: str, console: Console
) -> None:
    hris = LocalHris(pool)
    for school in SCHOOLS:
        await hris.upsert_school(School(school_id=school, name=school.replace("-", " ").title()))
    today = local_date(await env.get_current_time(), TZ)
    first = date(today.year if today.month < 7 else today.year + 1, 8, 17)
    feed = Feed(random.Random(2030))
    years = [(feed.first_district(first - timedelta(days=20)), first)]
    for y in range(YEARS):
        start = date(first.year + y, 8, 17)
        years.append((feed.year(y, start), start))
    console.print(
        f"\n[bold]A district over {YEARS} school years[/bold]: {feed.hired} employees, "
        f"{feed.sent} HR events (hires, promotions, transfers, credentials, separations)"
    )
    eval_cert = load_program(CATALOG / "evaluation_certification.toml")
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("HR feed", total=feed.sent)
        for events, start in years:
            for on, employee_id, event in events:
                await advance_to(env, local_moment(on, time(9), TZ))
                await _record_in_hr(hris, feed.people[employee_id], event)
                await submit_hr_event(client, SubmitHrEvent(event=event, source="hris"), task_queue)
                bar.advance(task)
            # In the fall the office enrolls most administrators whose certification is due.
            await advance_to(env, local_moment(start + timedelta(days=75), time(9), TZ))
            await _settled(pool)
            await _enroll_due(client, hris, pool, task_queue, eval_cert.year_of(start), feed.rng)
    await _settled(pool)
    await _report(pool, console, local_date(await env.get_current_time(), TZ))


async def _record_in_hr(hris: LocalHris, p: Person, event: HrEvent) -> None:
    """HR's own record, as the start path reads it, before HR sends the event."""
    status = EmploymentStatus.SEPARATED if event.kind is HrEventKind.SEPARATION else None
    await hris.upsert_employee(
        Employee(
            employee_id=p.employee_id, full_name=f"Employee {p.employee_id[2:]}",
            email=f"{p.employee_id}@district.example", role=p.role, school_id=p.school_id,
            status=status or EmploymentStatus.ACTIVE, role_since=p.since,
            credentials=tuple(sorted(p.credentials)),
        )
    )  # fmt: skip


async def _settled(pool: asyncpg.Pool) -> None:
    """Wait until the careers have read what they were sent against the rules."""
    last = -1
    for _ in range(200):
        count = await pool.fetchval("SELECT count(*) FROM events WHERE stream_id LIKE 'career/%'")
        if count == last:
            return
        last = count
        await asyncio.sleep(0.3)


async def _enroll_due(
    client: Client,
    hris: LocalHris,
    pool: asyncpg.Pool,
    task_queue: str,
    definition: ProgramDefinition,
    rng: random.Random,
) -> None:
    states = await career_states(EventStore(pool))
    due = outstanding(states, date.max)
    for line in due:
        if line.target != "program:evaluation_certification" or rng.random() > ENROLLED_SHARE:
            continue
        inp = ProgramInput(
            program=definition,
            enrollment=ProgramEnrollment(employee_id=line.employee_id, enrolled_by=OFFICE),
        )
        try:
            await start_journey(client, hris, PROGRAM, inp, task_queue)
        except StartRefused:
            continue  # separated since, or no longer in an administrator's role


async def _report(pool: asyncpg.Pool, console: Console, today: date) -> None:
    store = EventStore(pool)
    states = await career_states(store)
    lines = await rule_log(store)
    roles = Counter(s.role for s in states.values() if s.employed)
    separated = sum(1 for s in states.values() if s.employed is False)
    table = Table("careers", "count", title=f"careers on {today}")
    table.add_row("followed", str(len(states)))
    table.add_row("separated", str(separated))
    for role, n in roles.most_common():
        table.add_row(f"now {role}", str(n))
    console.print(table)
    rules = Table("rule", "outcome", "count", title="what the enrollment rules did")
    for (rule, outcome), n in sorted(Counter((x.rule_id, x.outcome) for x in lines).items()):
        rules.add_row(rule, outcome, str(n))
    console.print(rules)
    flows: Counter[tuple[str, str]] = Counter()
    for s in states.values():
        path = [target_of(j.journey_id, j.pathway) for j in s.journeys.values()]
        for a, b in itertools.pairwise(path):
            flows[(a, b)] += 1
    for line in lines:
        if line.outcome not in ("offered", "due", "started"):
            continue
        ended = line.trigger.removeprefix("ended:")
        entry = states[line.employee_id].journeys.get(ended)
        source = target_of(ended, entry.pathway) if entry else f"rule {line.rule_id}"
        done = line.target if line.outcome == "started" else f"{line.outcome}: {line.target}"
        flows[(source, done)] += 1
    moves = Counter(
        (w.split(" from ")[1].split(" to ")[0], w.split(" to ")[-1])
        for s in states.values()
        for w in (t.what for t in s.timeline)
        if w.startswith("role changed from ")
    )
    flow = Table("from", "to", "careers", title="flows between roles and pathways")
    for (a, b), n in moves.most_common():
        flow.add_row(a, b, str(n))
    for (a, b), n in flows.most_common():
        flow.add_row(a, b, str(n))
    console.print(flow)
    owed = outstanding(states, today)
    overdue = sum(1 for d in owed if d.overdue)
    console.print(
        f"outstanding offers and requirements: {len(owed)} ({overdue} overdue); "
        f"see `pathways career due` and `pathways career rule-log`",
        highlight=False,
    )
