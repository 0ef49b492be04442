"""`make demo`: a cohort of teacher leaders through a whole program year, then a fellowship
cohort through its service commitments, on embedded servers.

It starts a throwaway PostgreSQL database and the time-skipping Temporal server (so a year
passes in seconds), runs a worker in this process, seeds a district in the local HR tables,
drives 32 journeys with a realistic mix of outcomes, and prints who was paid, who was withheld
and why, and what each school is reimbursed. Everything it started is stopped at the end.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.db import open_database
from activities.local_systems import LocalHris
from activities.systems import Hris
from domain.calendar import local_date
from domain.external import Employee, School
from domain.money import dollars
from domain.program import SAMPLE_PROGRAM, Cohort, ProgramYear, Role, load_program_year
from domain.teacher_leader.events import (
    AttendanceStatus,
    CoachingStep,
    DecisionOutcome,
    SelectionScores,
)
from domain.teacher_leader.journey import (
    Application,
    DecideApplication,
    JourneyStatus,
    RecordAttendance,
    RecordCoachingStep,
    RecordMakeUp,
    RecordSeparation,
    ReviewDeliverable,
    SignCommitment,
    SubmitDeliverable,
    Withdraw,
)
from pathways.config import Settings
from pathways.demo_careers import run_careers
from pathways.demo_catalog import run_catalog
from pathways.demo_cohort import run_aspiring, run_fellowship_cohort
from pathways.demo_fellows import run_fellowship
from pathways.journeys import TeacherLeaderHandle, start_teacher_leader
from pathways.logs import configure_logging, get_logger
from pathways.roster import DEFAULT_CONCURRENCY
from pathways.temporal import time_skipping_server
from worker import build_worker, open_services

OFFICE = "office:demo"
SCHOOLS = [
    ("grape-street-es", "Grape Street Elementary"),
    ("carver-ms", "Carver Middle School"),
    ("jordan-hs", "Jordan High School"),
    ("markham-ms", "Markham Middle School"),
    ("ritter-es", "Ritter Elementary"),
    ("weigand-es", "Weigand Elementary"),
    ("gompers-ms", "Gompers Middle School"),
    ("104th-st-es", "104th Street Elementary"),
]
FIRST = ["Ana", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo", "Iris", "Jamal", "Kim"]
LAST = ["Macias", "Smith", "Nguyen", "Okafor", "Reyes", "Chen", "Garcia", "Johnson", "Lopez"]


class DemoStepFailed(RuntimeError):
    """A journey refused what the demo asked of it: the demo's script is out of step."""


@dataclass(frozen=True)
class Scenario:
    """How one teacher leader's year goes."""

    name: str
    decision: DecisionOutcome = DecisionOutcome.ACCEPTED
    principal_signs: bool = True
    absent_from: str | None = None
    makes_up: bool = False
    returned_deliverable: bool = False
    skips_end_of_year_cycle: bool = False
    withdraws_after: str | None = None
    separates_after: str | None = None


SCENARIOS: list[tuple[int, Scenario]] = [
    (19, Scenario("does everything")),
    (1, Scenario("waitlisted, then accepted", decision=DecisionOutcome.WAITLISTED)),
    (2, Scenario("misses the Winter Institute", absent_from="winter-institute")),
    (1, Scenario("misses a seminar, makes it up", absent_from="seminar-2", makes_up=True)),
    (2, Scenario("deliverable returned", returned_deliverable=True)),
    (1, Scenario("end-of-year coaching incomplete", skips_end_of_year_cycle=True)),
    (2, Scenario("principal never signs", principal_signs=False)),
    (1, Scenario("not selected", decision=DecisionOutcome.DECLINED)),
    (1, Scenario("withdraws in January", withdraws_after="winter-institute")),
    (1, Scenario("leaves the district", separates_after="seminar-2")),
    (1, Scenario("Senior Peer Coach, does everything")),
]


@dataclass
class Member:
    employee_id: str
    name: str
    role: Role
    school_id: str
    scenario: Scenario
    handle: TeacherLeaderHandle | None = None
    final: JourneyStatus | None = None

    @property
    def active(self) -> bool:
        return self.final is None


def cohort_members(rng: random.Random, count: int | None = None) -> list[Member]:
    """The scenarios' mix of outcomes, once through (32) or cycled to `count` members."""
    pattern = [scenario for n, scenario in SCENARIOS for _ in range(n)]
    roles = [r for r in Role if r is not Role.SENIOR_PEER_COACH]
    members: list[Member] = []
    for n in range(1, (count or len(pattern)) + 1):
        scenario = pattern[(n - 1) % len(pattern)]
        role = Role.SENIOR_PEER_COACH if "Senior" in scenario.name else roles[n % len(roles)]
        members.append(
            Member(
                employee_id=f"e-{1000 + n}",
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                role=role,
                school_id=SCHOOLS[n % len(SCHOOLS)][0],
                scenario=scenario,
            )
        )
    return members


async def seed_district(pool: asyncpg.Pool, members: list[Member]) -> None:
    hris = LocalHris(pool)
    for index, (school_id, name) in enumerate(SCHOOLS):
        principal = f"p-{index + 1:03d}"
        await hris.upsert_employee(
            Employee(
                employee_id=principal,
                full_name=f"Principal of {name}",
                email=f"{principal}@district.example",
                role="principal",
                school_id=school_id,
            )
        )
        await hris.upsert_school(School(school_id=school_id, name=name, principal_id=principal))
    for m in members:
        await hris.upsert_employee(
            Employee(
                employee_id=m.employee_id,
                full_name=m.name,
                email=f"{m.employee_id}@district.example",
                role="teacher",
                school_id=m.school_id,
            )
        )


def demo_program(now: datetime) -> ProgramYear:
    """The sample year, moved by whole years (52 weeks each, keeping weekdays) until its
    applications are still open."""
    sample = load_program_year(SAMPLE_PROGRAM)
    years = 0
    while sample.application_deadline + timedelta(days=364 * years) <= now + timedelta(days=1):
        years += 1
    if years == 0:
        return sample
    starts = sample.starts + timedelta(days=364 * years)
    label = f"{starts.year}-{(starts.year + 1) % 100:02d}"
    return sample.shifted(364 * years, program_year=label)


@asynccontextmanager
async def throwaway_database(settings: Settings) -> AsyncIterator[str]:
    """A database that exists for this run only, on DATABASE_URL's server or an embedded one."""
    if settings.database_url:
        name = f"pathways_demo_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(settings.database_url)
        try:
            await admin.execute(f"CREATE DATABASE {name}")
            yield urlunsplit(urlsplit(settings.database_url)._replace(path="/" + name))
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()
        return
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="pathways-demo-pg-"))
    server = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


_CLOSE_LEAD = timedelta(seconds=2)  # real seconds between the last sleep and the close


class Demo:
    #: Journeys a step works on at once: the office's doors bound what they send (a roster
    #: starts at most DEFAULT_CONCURRENCY at a time), so its whole cohort does not land on the
    #: worker in the same second.
    in_flight = DEFAULT_CONCURRENCY

    def __init__(
        self,
        env: WorkflowEnvironment,
        hris: Hris,
        program: ProgramYear,
        members: list[Member],
        console: Console | None = None,
    ) -> None:
        self.env = env
        self.hris = hris
        self.program = program
        self.members = members
        self.console = console or Console()

    async def at(self, day: date) -> None:
        """Move the server's clock to mid-afternoon of `day` in the district."""
        moment = datetime(day.year, day.month, day.day, 22, 0, tzinfo=UTC)
        now = await self.env.get_current_time()
        if moment > now:
            await self.env.sleep(moment - now)

    async def each(
        self, label: str, members: list[Member], action: Callable[[Member], Awaitable[Any]]
    ) -> None:
        if not self.console.is_terminal:
            self.console.print(f"{label}: {len(members)} journeys")
        with Progress(
            console=self.console, transient=True, disable=not self.console.is_terminal
        ) as progress:
            task = progress.add_task(label, total=len(members))

            gate = asyncio.Semaphore(self.in_flight)

            async def run(member: Member) -> None:
                try:
                    async with gate:
                        await action(member)
                except WorkflowUpdateFailedError as error:
                    raise DemoStepFailed(
                        f"{label}: {member.name} ({member.scenario.name}): {error.cause}"
                    ) from None
                progress.advance(task)

            await asyncio.gather(*(run(m) for m in members))

    def active(self) -> list[Member]:
        return [m for m in self.members if m.active]

    async def update(self, m: Member, name: str, arg: Any) -> JourneyStatus:
        assert m.handle is not None
        status: JourneyStatus = await m.handle.execute_update(name, arg, result_type=JourneyStatus)
        return status

    async def run(self, task_queue: str) -> None:
        client = self.env.client
        now = await self.env.get_current_time()

        async def apply(m: Member) -> None:
            app = Application(
                employee_id=m.employee_id,
                role=m.role,
                school_id=m.school_id,
                cohort=Cohort.ELEMENTARY if m.role is Role.TEAM_LEAD else None,
            )
            m.handle, _ = await start_teacher_leader(
                client, self.hris, self.program, app, task_queue, now=now
            )

        await self.each("HR starts the applications", self.members, apply)
        await self.each("program office decides", self.members, self.decide)
        await self.each("joint commitments are signed", self.active(), self.sign)
        await self.at(self.program.commitment_deadline.date() + timedelta(days=1))
        await self.settle_finished()

        for session in sorted(self.program.sessions, key=lambda s: s.on):
            await self.at(session.on)
            attendees = [m for m in self.active() if session.applies_to(m.role)]
            await self.each(
                f"{session.title} ({session.on})",
                attendees,
                partial(self.attend, session_id=session.session_id),
            )
            for m in self.active():
                if session.session_id in (m.scenario.withdraws_after, m.scenario.separates_after):
                    await self.leave(m)
        for cycle in self.program.coaching_cycles:
            await self.at(cycle.opens + timedelta(days=14))
            await self.each(
                cycle.title, self.active(), partial(self.coach, cycle_id=cycle.cycle_id)
            )
        await self.at(max(d.due for r in Role for d in self.program.deliverables_for(r)))
        await self.each("deliverables", self.active(), self.deliver)
        await self.each("make-ups", self.active(), self.make_up)
        await self.through_close()
        await self.at(self.program.year_closes_at.date() + timedelta(days=1))
        await self.settle_finished()

    async def through_close(self, stalled_after: float = 600.0) -> None:
        """Cross the year's close in real time and wait while every journey settles it.

        Every journey decides its stipend and asks payroll at the same instant. One sleep over
        that instant is one call the test server answers only after all of that work is done,
        and with a thousand journeys that call timed out. So the clock is moved to just before
        the close, runs on at real speed through it, and the journeys are watched until none is
        still running (or the one waited for has not for `stalled_after` seconds).
        """
        close = self.program.year_closes_at
        now = await self.env.get_current_time()
        if close - now > _CLOSE_LEAD:
            await self.env.sleep(close - now - _CLOSE_LEAD)
        # One journey asked at a time, in order, so the watching adds little to the server's
        # work: a journey that has settled is asked once.
        pending = deque(self.active())
        settled, progress_at = 0, time.monotonic()
        while pending and time.monotonic() - progress_at < stalled_after:
            handle = pending[0].handle
            assert handle is not None
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await asyncio.sleep(0.5)
                continue
            pending.popleft()
            settled, progress_at = settled + 1, time.monotonic()
        if not self.console.is_terminal:
            self.console.print(f"year close: {settled} journeys settled, {len(pending)} still open")

    async def decide(self, m: Member) -> None:
        scores = SelectionScores(time=4, mindset=3, skillset=3, experience=3)
        first = m.scenario.decision
        await self.update(
            m, "decide", DecideApplication(outcome=first, scores=scores, decided_by=OFFICE)
        )
        if first is DecisionOutcome.WAITLISTED:
            accept = DecideApplication(
                outcome=DecisionOutcome.ACCEPTED,
                scores=scores,
                decided_by=OFFICE,
                note="a seat opened",
            )
            await self.update(m, "decide", accept)
        if first is DecisionOutcome.DECLINED:
            await self.finish(m)

    async def sign(self, m: Member) -> None:
        await self.update(m, "sign_commitment", SignCommitment(signer_id=m.employee_id))
        if m.scenario.principal_signs:
            assert m.handle is not None
            current: JourneyStatus = await m.handle.query("status", result_type=JourneyStatus)
            assert current.principal_id is not None
            await self.update(m, "sign_commitment", SignCommitment(signer_id=current.principal_id))

    async def attend(self, m: Member, session_id: str) -> None:
        status = AttendanceStatus.ABSENT if m.scenario.absent_from == session_id else None
        await self.update(
            m,
            "record_attendance",
            RecordAttendance(
                session_id=session_id,
                status=status or AttendanceStatus.PRESENT,
                recorded_by=OFFICE,
            ),
        )

    async def coach(self, m: Member, cycle_id: str) -> None:
        steps = list(CoachingStep)
        if m.scenario.skips_end_of_year_cycle and cycle_id == "end-of-year":
            steps = steps[:2]
        for step in steps:
            await self.update(
                m,
                "record_coaching_step",
                RecordCoachingStep(cycle_id=cycle_id, step=step, recorded_by="coach:academic-team"),
            )

    async def deliver(self, m: Member) -> None:
        for index, item in enumerate(self.program.deliverables_for(m.role)):
            await self.update(
                m,
                "submit_deliverable",
                SubmitDeliverable(deliverable_id=item.deliverable_id, submitted_by=m.employee_id),
            )
            returned = m.scenario.returned_deliverable and index == 0
            await self.update(
                m,
                "review_deliverable",
                ReviewDeliverable(
                    deliverable_id=item.deliverable_id,
                    accepted=not returned,
                    reviewed_by=OFFICE,
                    comment="needs student work samples and the team's next steps"
                    if returned
                    else "",
                ),
            )

    async def make_up(self, m: Member) -> None:
        if m.scenario.makes_up and m.scenario.absent_from:
            session = self.program.session(m.scenario.absent_from)
            assert session is not None
            await self.update(
                m,
                "record_make_up",
                RecordMakeUp(
                    session_id=session.session_id,
                    completed_on=session.on + timedelta(days=21),
                    recorded_by=OFFICE,
                    note="recorded session and reflection",
                ),
            )

    async def leave(self, m: Member) -> None:
        if m.scenario.withdraws_after:
            await self.update(
                m, "withdraw", Withdraw(withdrawn_by=m.employee_id, reason="family commitments")
            )
        else:
            now = await self.env.get_current_time()
            await self.update(
                m,
                "record_separation",
                RecordSeparation(
                    effective_on=local_date(now, self.program.time_zone),
                    reason="resigned from the district",
                ),
            )
        await self.finish(m)

    async def finish(self, m: Member) -> None:
        """Collect a journey's result once it has ended.

        `result()` on the time-skipping client lets the server's clock run free while it waits,
        which would move every other journey to the end of the year; polling and a query keep
        the clock where the demo put it.
        """
        assert m.handle is not None
        while (await m.handle.describe()).status == WorkflowExecutionStatus.RUNNING:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        m.final = await m.handle.query("status", result_type=JourneyStatus)

    async def settle_finished(self) -> None:
        """Collect the journeys that ended on their own (lapsed, or closed by the calendar)."""
        for m in self.active():
            assert m.handle is not None
            if (await m.handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                await self.finish(m)

    def report(self) -> None:
        paid = [m for m in self.members if m.final and m.final.stipend and m.final.stipend.paid]
        withheld = [
            m for m in self.members if m.final and m.final.stipend and not m.final.stipend.paid
        ]
        other = [m for m in self.members if m.final and m.final.stipend is None]
        table = Table(title=f"Stipends paid ({len(paid)})")
        for column in ("teacher leader", "role", "school", "stipend"):
            table.add_column(column)
        for m in paid:
            assert m.final is not None and m.final.stipend is not None
            table.add_row(m.name, m.role.label, m.school_id, dollars(m.final.stipend.amount_cents))
        self.console.print(table)
        table = Table(title=f"Stipends withheld ({len(withheld)})")
        for column in ("teacher leader", "role", "school", "why"):
            table.add_column(column)
        for m in withheld:
            assert m.final is not None and m.final.stipend is not None
            table.add_row(m.name, m.role.label, m.school_id, "\n".join(m.final.stipend.reasons))
        self.console.print(table)
        table = Table(title=f"Journeys that ended without a stipend decision ({len(other)})")
        for column in ("teacher leader", "stage", "why"):
            table.add_column(column)
        for m in other:
            assert m.final is not None
            table.add_row(m.name, m.final.stage.value, m.final.end_reason or "not selected")
        self.console.print(table)


async def school_table(pool: asyncpg.Pool, program_year: str) -> Table:
    from activities.readmodel import ReadModel

    model = ReadModel(pool)
    await model.catch_up()
    table = Table(title="Substitute reimbursement per school (from the read model)")
    for column in ("school", "teacher leaders", "substitute days", "reimbursed"):
        table.add_column(column)
    total = 0
    for row in await model.reimbursements_by_school(program_year):
        total += row.amount_cents
        table.add_row(
            row.school_id,
            str(row.teacher_leaders),
            str(row.substitute_days),
            dollars(row.amount_cents),
        )
    table.add_row("total", "", "", dollars(total))
    return table


async def run_demo(settings: Settings) -> None:
    if "LOG_LEVEL" not in os.environ:
        configure_logging(settings.log_format.value, "warning")  # the tables are the output
        # The time-skipping server lacks a capability the SDK core warns about at every start.
        logging.getLogger("temporalio.core").setLevel(logging.ERROR)
    log = get_logger("demo")
    # Wide enough for the reasons and explanations when the output goes to a file or a pipe.
    console = Console(width=None if sys.stdout.isatty() else 160)
    started = asyncio.get_running_loop().time()
    async with throwaway_database(settings) as dsn:
        pool = await open_database(dsn)
        await pool.close()
        async with time_skipping_server() as env:
            try:
                # A throwaway district in plain JSON, as its time-skipping server keeps it: a
                # key ring `make up` left in the data folder is not the demo's.
                plain = settings.model_copy(update={"payload_keys_text": "none"})
                async with open_services(plain, dsn) as services:
                    members = cohort_members(random.Random(2027))
                    await seed_district(services.pool, members)
                    program = demo_program(await env.get_current_time())
                    console.print(
                        f"[bold]Teacher Leader Pathways {program.program_year}[/bold]: "
                        f"{len(members)} teacher leaders at {len(SCHOOLS)} schools "
                        "(time-skipping server: the year passes in seconds)"
                    )
                    task_queue = f"demo-{uuid.uuid4()}"
                    demo = Demo(env, services.external.hris, program, members, console)
                    async with build_worker(env.client, services, task_queue):
                        await demo.run(task_queue)
                        demo.report()
                        console.print(await school_table(services.pool, program.program_year))
                        await run_fellowship_cohort(
                            env, env.client, services.pool, task_queue, console
                        )
                        await run_aspiring(env, env.client, services.pool, task_queue, console)
                        await run_fellowship(env, env.client, services.pool, task_queue, console)
                        await run_catalog(env, env.client, services.pool, task_queue, console)
                        await run_careers(env, env.client, services.pool, task_queue, console)
                    async with services.pool.acquire() as conn:
                        payroll = await conn.fetch(
                            "SELECT kind, count(*) AS n, sum(amount_cents) AS cents "
                            "FROM payroll_requests GROUP BY kind ORDER BY kind"
                        )
                        events = await conn.fetchval("SELECT count(*) FROM events")
                    for row in payroll:
                        amount = dollars(int(row["cents"]))
                        console.print(f"payroll: {row['n']} {row['kind']} request(s), {amount}")
                    verdicts = await services.store.verify_all()
                    broken = [v for v in verdicts if not v.ok]
                    console.print(
                        f"event store: {events} events in {len(verdicts)} journeys, hash chains "
                        + ("intact" if not broken else f"BROKEN in {len(broken)}")
                    )
            except WorkflowUpdateFailedError as error:
                log.error("demo update refused", cause=str(error.cause))
                raise
    console.print(f"demo finished in {asyncio.get_running_loop().time() - started:.1f} s")
