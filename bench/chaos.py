"""`make chaos`: the project's own fault suite. Teacher leaders through a whole program year
(stipend payouts at its close) while everything around the worker fails, then a count of what
went wrong. The goal is 0 of each; the exit status is 1 when any count is not 0.

    python -m bench.chaos                         # 1,000 journeys, 20 SIGKILLs (~30 min)
    python -m bench.chaos --journeys 60 --kills 4 # a smoke run (~4 min)

Everything is local and started here, on loopback or Unix sockets only: an embedded PostgreSQL
in a temporary folder, the Temporal dev server (in memory), the district's HR, payroll and
e-mail APIs served over HTTP by `tests.fake_district`, and the real worker (`worker.py`,
console logs) in a process of its own, pointed at them with `HRIS_URL`, `PAYROLL_URL` and
`EMAIL_URL`. The program office's side is `pathways.demo.Demo`, the demo's cohort and its mix
of outcomes, with every update sent under an update id of its own and sent again (same id) when
an answer does not come.

The year is the sample year compressed into one calendar day, real time: its sessions, coaching
windows and deliverables fall on today in a time zone where it is early morning, applications
close a minute or so from now, commitments a few minutes later, and the year closes when the
office should be done (`Pace`). The time-skipping test server is not used: a workflow task it
hands to a poll of a worker that is SIGKILLed at that moment is never started and never times
out, so the journey waits forever (seen with this harness), which a real server does not do.

Faults, all at moments drawn from `--seed`:

* the worker is SIGKILLed `--kills` times and started again: at random moments of the year, and
  a fifth of them (at least one) at the close, from the payroll server's handler, right after it
  has recorded a payment and before it answers;
* PostgreSQL is stopped with `pg_ctl stop -m immediate` and started again, twice: once during
  the year and once while the stipends are paid;
* each HTTP request may be answered 500 before it is recorded, held past the worker's
  `HTTP_TIMEOUT_SECONDS` (then recorded anyway), or recorded and answered 500 (the payment is
  made, the answer lost: the retry must be deduplicated by its idempotency key).

Counted afterwards (`Tally`): journeys started and completed; duplicate payments (a payroll key
paid twice, two keys for one purpose, a payment the journey never recorded or recorded under
another reference, a stipend the journey says was paid that payroll does not have); lost events
(a journey's `events_recorded` against its rows in the log, gaps in a stream's versions or in
the log's sequence); stuck journeys (still open after the year closed); failed journeys
(failed, terminated or timed out, a workflow task failed, an office step refused); and workflow
task timeouts from the histories, split into those of a task the SIGKILLed worker held (or its
sticky queue, after it died) and any other.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from temporalio.api.enums.v1 import EventType, TaskQueueKind, TimeoutType
from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from activities.db import open_database
from bench.common import console
from bench.outage import REPO, MemoryHris, Postgres
from bench.outage import _worker as worker_process
from bench.outage import _worker_ready as worker_ready
from domain.calendar import local_date
from domain.program import SAMPLE_PROGRAM, Cohort, ProgramYear, Role, load_program_year
from domain.teacher_leader.journey import (
    Application,
    JourneyStatus,
    RecordMakeUp,
    SignCommitment,
)
from pathways.demo import Demo, Member, cohort_members
from pathways.journeys import start_teacher_leader
from pathways.stack import stop_process
from pathways.temporal import dev_server
from tests.fake_district import FakeDistrict, Service, serve

TASK_QUEUE = "chaos"
HTTP_TIMEOUT = 2.0  # the worker's HTTP_TIMEOUT_SECONDS: a held answer outlives it
HELD_FOR = HTTP_TIMEOUT + 1.0
OFFICE_RETRY = 1.0  # seconds between sends of an office step that got no answer
UPDATE_WAIT = 60.0  # an update unanswered this long is sent again (same id)
OFFICE_PATIENCE = 900.0  # an office step still unanswered after this long counts as failed


@dataclass(frozen=True)
class Faults:
    """The fault load of one run."""

    kills: int = 20
    pg_restarts: int = 2
    pg_down: tuple[float, float] = (3.0, 8.0)  # seconds PostgreSQL stays down
    restart_after: tuple[float, float] = (0.2, 3.0)  # seconds before a killed worker comes back
    http_500: float = 0.04  # of requests: answered 500 before anything is recorded
    http_held: float = 0.02  # held past the client's timeout, then handled
    http_lost: float = 0.04  # of accepted payments and e-mails: recorded, then answered 500

    @property
    def payout_kills(self) -> int:
        return max(1, self.kills // 5) if self.kills else 0


@dataclass
class Tally:
    journeys: int = 0
    started: int = 0
    completed: int = 0
    stipends_paid: int = 0
    payments: int = 0
    payments_repeated: int = 0  # requests that came again with a key already paid: deduplicated
    duplicate_payments: int = 0
    lost_events: int = 0
    extra_events: int = 0
    stream_gaps: int = 0
    log_gaps: int = 0
    stuck: int = 0
    failed: int = 0
    failed_tasks: int = 0
    refused_steps: int = 0
    unanswered_steps: int = 0
    task_timeouts: int = 0
    task_timeouts_of_killed: int = 0
    kills: int = 0
    kills_in_payouts: int = 0
    pg_restarts: int = 0
    http_faults: Counter[str] = field(default_factory=Counter)
    office_resends: int = 0
    hung_updates: list[str] = field(default_factory=list)  # sent again after UPDATE_WAIT
    late_steps: int = 0  # parts of the year the office finished after their deadline
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    # When each part of the year ran (office steps, then "the close"), and when each worker
    # process began polling: to tell where the timeouts on live workers fell.
    parts: list[tuple[str, datetime]] = field(default_factory=list)
    worker_starts: dict[str, datetime] = field(default_factory=dict)
    timeouts_in: Counter[str] = field(default_factory=Counter)
    timeouts_after_start: Counter[str] = field(default_factory=Counter)

    @property
    def task_timeouts_other(self) -> int:
        return self.task_timeouts - self.task_timeouts_of_killed

    def bad(self) -> dict[str, int]:
        """The counts whose goal is 0."""
        return {
            "duplicate payments": self.duplicate_payments,
            "lost events": self.lost_events + self.extra_events + self.stream_gaps + self.log_gaps,
            "stuck journeys": self.stuck,
            "failed journeys": self.failed
            + self.failed_tasks
            + self.refused_steps
            + self.unanswered_steps,
            "workflow-task timeouts not caused by a SIGKILL": self.task_timeouts_other,
        }


KEPT_SESSIONS = {"summer-1", "seminar-2", "winter-institute", "peer-coach-seminar"}


@dataclass(frozen=True)
class Pace:
    """How long the office gets for each part of the compressed year, per journey (seconds of
    real time on the 2-core machine of bench/README.md, with room for the faults)."""

    applications: tuple[float, float] = (30.0, 0.04)  # fixed, per journey
    commitments: tuple[float, float] = (30.0, 0.15)
    year: tuple[float, float] = (60.0, 1.1)
    # A SIGKILL holds the journeys its worker had in memory for up to the sticky wait
    # (`WORKER_STICKY_SECONDS`), and the office's steps on them with it: the commitments,
    # where the whole cohort is decided and signed in a few minutes, get room for two.
    stall: float = field(default_factory=lambda: _sticky_seconds())

    def seconds(self, part: tuple[float, float], journeys: int) -> float:
        return part[0] + part[1] * journeys


def _sticky_seconds() -> float:
    """The worker's sticky wait: its environment's, or the shipped default."""
    from pathways.config import Settings

    return Settings().worker_sticky_seconds


def one_day_year(now: datetime, journeys: int, pace: Pace) -> ProgramYear:
    """The sample year with every date on today in a zone where it is about 06:00, so the day
    holds the whole year; deadlines and the close as `pace` allows."""
    hours = (6 - now.hour) % 24
    hours = hours - 24 if hours > 14 else hours
    zone = "Etc/GMT" if hours == 0 else f"Etc/GMT{-hours:+d}"  # Etc/GMT-5 is UTC+5
    today = local_date(now, zone)
    applications = now + timedelta(seconds=pace.seconds(pace.applications, journeys))
    commitments = applications + timedelta(
        seconds=pace.seconds(pace.commitments, journeys) + 2 * pace.stall
    )
    closes = commitments + timedelta(seconds=pace.seconds(pace.year, journeys))
    data = load_program_year(SAMPLE_PROGRAM).model_dump()
    data.update(
        program_year=f"{today.year}-{(today.year + 1) % 100:02d}",
        time_zone=zone,
        starts=today - timedelta(days=1),
        ends=today,
        application_deadline=applications,
        commitment_deadline=commitments,
        year_closes_at=closes,
    )
    # Four of the nine sessions (the ones the demo's absences, withdrawal and separation name,
    # and the peer coaches' own): the faults, not the calendar, are what this run is about.
    data["sessions"] = [s for s in data["sessions"] if s["session_id"] in KEPT_SESSIONS]
    for item in [*data["sessions"], *data["senior_peer_coach_duties"]]:
        item["on" if "on" in item else "due"] = today
    for cycle in data["coaching_cycles"]:
        cycle["opens"] = cycle["due"] = today
    for items in data["deliverables"].values():
        for item in items:
            item["due"] = today
    year = ProgramYear.model_validate(data)
    assert local_date(closes, zone) == today, "the compressed year must close today"
    return year


@dataclass
class Kill:
    pid: int
    at: datetime  # the server's clock (time-skipping), just after the process was gone


class Fleet:
    """The worker process: started, SIGKILLed at will, started again by a supervisor."""

    def __init__(self, folder: Path, address: str, url: str, settings: dict[str, str]) -> None:
        self.folder, self.address, self.url, self.settings = folder, address, url, settings
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills: list[Kill] = []
        self.pids: set[int] = set()
        self._stopping = False
        self.polling = False  # the current process polls and has not been killed
        self.started_at: dict[str, datetime] = {}  # worker identity → when it began polling

    async def start(self) -> None:
        """Start a worker and wait until it polls; again until it does (PostgreSQL may be down)."""
        while True:
            self.starts += 1
            log = f"worker-{self.starts}.log"
            process = worker_process(
                self.folder, self.address, self.url, REPO, task_queue=TASK_QUEUE,
                settings=self.settings, log=log,
            )  # fmt: skip
            self.process = process
            try:
                await worker_ready(process, self.folder / log)
            except RuntimeError:
                if process.poll() is None:
                    stop_process(process, "worker")
                await asyncio.sleep(1)
                continue
            self.pids.add(process.pid)
            self.polling = True
            self.started_at[f"{process.pid}@{socket.gethostname()}"] = datetime.now(UTC)
            return

    def kill(self) -> bool:
        """SIGKILL the worker (from any thread); False if none is running."""
        process = self.process
        if process is None or process.poll() is not None or not self.polling:
            return False  # none, or one still starting (killed once it polls)
        self.polling = False
        os.kill(process.pid, signal.SIGKILL)
        return True

    async def supervise(self, env: WorkflowEnvironment, restart_after: Callable[[], float]) -> None:
        """Start the worker again whenever it is gone, noting when it died."""
        while not self._stopping:
            process = self.process
            if process is not None and process.poll() is not None:
                self.kills.append(Kill(process.pid, await env.get_current_time()))
                if process.returncode != -signal.SIGKILL:
                    log = (self.folder / f"worker-{self.starts}.log").read_text(errors="replace")
                    raise RuntimeError(f"the worker exited by itself:\n{log[-3000:]}")
                self.process = None
                await asyncio.sleep(restart_after())
                await self.start()
            await asyncio.sleep(0.1)

    def stop(self) -> None:
        self._stopping = True
        if self.process is not None and self.process.poll() is None:
            stop_process(self.process, "worker")

    def identities(self) -> dict[str, Kill]:
        """Worker identity (the SDK's `pid@host`) → its death, for every killed worker."""
        host = socket.gethostname()
        return {f"{k.pid}@{host}": k for k in self.kills}


class FaultyService(Service):
    """A district service that fails some requests of its own accord, and tells the run each
    time it records one (the payroll server kills the worker from there)."""

    def __init__(
        self,
        name: str,
        prefix: str,
        rng: random.Random,
        faults: Faults,
        tally: Tally,
        recorded: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(name, prefix)
        self._rng, self._faults, self._tally, self._recorded = rng, faults, tally, recorded
        self.enabled = True

    async def arrive(self) -> Any:
        if self.enabled:
            with self._lock:
                roll = self._rng.random()
            if roll < self._faults.http_500:
                self._tally.http_faults[f"{self.name} 500"] += 1
                self.fail_next(1)
            elif roll < self._faults.http_500 + self._faults.http_held:
                self._tally.http_faults[f"{self.name} held past the timeout"] += 1
                self.slow_next(HELD_FOR)
        return await super().arrive()

    def record(self, key: str, body: dict[str, Any], field: str) -> Any:
        if self.enabled:
            with self._lock:
                roll = self._rng.random()
            if roll < self._faults.http_lost:
                self._tally.http_faults[f"{self.name} recorded, answer lost"] += 1
                self.fail_next(1, after_recording=True)
        answer = super().record(key, body, field)
        if self._recorded is not None:
            self._recorded(len(self.records))
        return answer


class ChaosDemo(Demo):
    """The demo's program office, patient with a worker that dies: each update goes out under
    an id of its own and is sent again with that id until it is answered; a query is asked
    again. A refusal is counted, not raised, so one journey's trouble does not end the run."""

    tally: Tally
    _steps: Counter[str]

    def prepare(self, tally: Tally) -> None:
        self.tally = tally
        self._steps = Counter()

    async def each(
        self, label: str, members: list[Member], action: Callable[[Member], Any]
    ) -> None:
        async def guarded(m: Member) -> None:
            try:
                await action(m)
            except OfficeStepFailed as error:
                self.tally.problems.append(f"{label}: {m.employee_id}: {error}")

        self.tally.parts.append((label, datetime.now(UTC)))

        await super().each(label, members, guarded)

    async def update(self, m: Member, name: str, arg: Any) -> JourneyStatus:
        assert m.handle is not None
        self._steps[m.employee_id] += 1
        update_id = f"office-{m.employee_id}-{self._steps[m.employee_id]}-{name}"
        deadline = time.monotonic() + OFFICE_PATIENCE
        while True:
            try:
                async with asyncio.timeout(UPDATE_WAIT):
                    status: JourneyStatus = await m.handle.execute_update(
                        name, arg, id=update_id, result_type=JourneyStatus
                    )
                return status
            except TimeoutError:
                # Sent again under the same id: Temporal answers a completed update's outcome.
                self.tally.office_resends += 1
                self.tally.hung_updates.append(update_id)
                continue
            except WorkflowUpdateFailedError as error:
                self.tally.refused_steps += 1
                raise OfficeStepFailed(f"{name} refused: {error.cause}") from None
            except RPCError as error:
                _unless_cancelled()
                if error.status == RPCStatusCode.NOT_FOUND:  # the journey has ended
                    self.tally.refused_steps += 1
                    raise OfficeStepFailed(f"{name}: {error.message}") from None
                if time.monotonic() > deadline:
                    self.tally.unanswered_steps += 1
                    raise OfficeStepFailed(f"{name} unanswered: {error}") from None
                self.tally.office_resends += 1
                await asyncio.sleep(OFFICE_RETRY)
            except WorkflowUpdateRPCTimeoutOrCancelledError as error:
                if time.monotonic() > deadline:
                    self.tally.unanswered_steps += 1
                    raise OfficeStepFailed(f"{name} unanswered: {error}") from None
                self.tally.office_resends += 1
                await asyncio.sleep(OFFICE_RETRY)

    async def status(self, m: Member) -> JourneyStatus:
        assert m.handle is not None
        deadline = time.monotonic() + OFFICE_PATIENCE
        while True:
            try:
                status: JourneyStatus = await m.handle.query("status", result_type=JourneyStatus)
                return status
            except (RPCError, WorkflowQueryFailedError) as error:
                _unless_cancelled()
                if time.monotonic() > deadline:
                    raise OfficeStepFailed(f"status unanswered: {error}") from None
                await asyncio.sleep(OFFICE_RETRY)

    async def sign(self, m: Member) -> None:
        # Demo.sign asks the status between the signatures; asked here patiently.
        await self.update(m, "sign_commitment", SignCommitment(signer_id=m.employee_id))
        if m.scenario.principal_signs:
            principal = (await self.status(m)).principal_id
            assert principal is not None
            await self.update(m, "sign_commitment", SignCommitment(signer_id=principal))

    async def finish(self, m: Member) -> None:
        assert m.handle is not None
        while (await m.handle.describe()).status == WorkflowExecutionStatus.RUNNING:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        m.final = await self.status(m)

    @property
    def today(self) -> date:
        return local_date(datetime.now(UTC), self.program.time_zone)

    async def until(self, moment: datetime) -> None:
        await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))

    async def run(self, task_queue: str) -> None:
        """Demo.run's year on one day: every date is today, so only the deadlines are waited for."""
        client, program = self.env.client, self.program

        async def apply(m: Member) -> None:
            app = Application(
                employee_id=m.employee_id,
                role=m.role,
                school_id=m.school_id,
                cohort=Cohort.ELEMENTARY if m.role is Role.TEAM_LEAD else None,
            )
            m.handle, _ = await start_teacher_leader(client, self.hris, program, app, task_queue)

        await self.each("HR starts the applications", self.members, apply)
        await self.each("program office decides", self.members, self.decide)
        await self.each("joint commitments are signed", self.active(), self.sign)
        if datetime.now(UTC) > program.commitment_deadline:
            self.tally.late_steps += 1
        await self.until(program.commitment_deadline + timedelta(seconds=2))
        # Those whose principal never signs lapse at the deadline: wait until they have (a worker
        # just SIGKILLed may take a while), so no office step goes to a journey that is ending.
        await asyncio.gather(
            *(self.finish(m) for m in self.active() if not m.scenario.principal_signs)
        )
        await self.settle_finished()
        for session in program.sessions:  # in the year's order, all on today
            attendees = [m for m in self.active() if session.applies_to(m.role)]
            await self.each(
                session.title, attendees, partial(self.attend, session_id=session.session_id)
            )
            for m in self.active():
                if session.session_id in (m.scenario.withdraws_after, m.scenario.separates_after):
                    await self.leave(m)
        for cycle in program.coaching_cycles:
            await self.each(
                cycle.title, self.active(), partial(self.coach, cycle_id=cycle.cycle_id)
            )
        await self.each("deliverables", self.active(), self.deliver)
        await self.each("make-ups", self.active(), self.make_up)
        if datetime.now(UTC) > program.year_closes_at:
            self.tally.late_steps += 1
        self.tally.parts.append(("waiting for the close", datetime.now(UTC)))
        await self.until(program.year_closes_at)
        self.tally.parts.append(("the close", datetime.now(UTC)))
        await self.through_close()
        await self.until(program.year_closes_at + timedelta(seconds=2))
        await self.settle_finished()

    async def make_up(self, m: Member) -> None:
        # Demo.make_up reports one 21 days after the session: in the future here.
        if m.scenario.makes_up and m.scenario.absent_from:
            command = RecordMakeUp(
                session_id=m.scenario.absent_from,
                completed_on=self.today,
                recorded_by="office:chaos",
                note="recorded session and reflection",
            )
            await self.update(m, "record_make_up", command)


def _unless_cancelled() -> None:
    """A cancelled call can come back as an RPCError; the run is ending, so do not retry."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class OfficeStepFailed(Exception):
    """An office step was refused or never answered (counted in the tally)."""


async def _faults_during_year(
    fleet: Fleet, postgres: Postgres, faults: Faults, rng: random.Random, tally: Tally,
    closes: datetime, done: asyncio.Event,
) -> None:  # fmt: skip
    """SIGKILLs at random moments of the year (the payroll server adds the rest at the close),
    and the first PostgreSQL restart among them."""
    began, length = time.monotonic(), (closes - datetime.now(UTC)).total_seconds()
    events: list[tuple[float, str]] = [
        (rng.uniform(5, max(6, length - 5)), "kill")
        for _ in range(faults.kills - faults.payout_kills)
    ]
    if faults.pg_restarts:
        events.append((rng.uniform(10, max(11, length * 0.8)), "postgres"))
    for moment, what in sorted(events):
        await _sleep_until(began + moment, done)
        if done.is_set():
            return
        if what == "postgres":
            await _restart_postgres(postgres, faults, rng, tally)
            continue
        # A worker still starting after the last kill is killed once it is up, so the run
        # reaches its count.
        while not fleet.kill():
            await _sleep_until(time.monotonic() + 0.5, done)
            if done.is_set():
                return
        tally.kills += 1


async def _faults_at_close(
    postgres: Postgres, faults: Faults, rng: random.Random, tally: Tally, closes: datetime
) -> None:
    """The second PostgreSQL restart, while the stipends are paid."""
    if faults.pg_restarts < 2:
        return
    moment = closes + timedelta(seconds=rng.uniform(1, 6))
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))
    await _restart_postgres(postgres, faults, rng, tally)


async def _sleep_until(moment: float, unless: asyncio.Event) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(unless.wait(), max(0.0, moment - time.monotonic()))


async def _restart_postgres(
    postgres: Postgres, faults: Faults, rng: random.Random, tally: Tally
) -> None:
    await asyncio.to_thread(postgres.stop_abruptly)
    tally.pg_restarts += 1
    await asyncio.sleep(rng.uniform(*faults.pg_down))
    await asyncio.to_thread(postgres.start_again)


def _stop_postgres(postgres: Postgres) -> None:
    """Stop the server started again by `Postgres.start_again` (pgserver knows only the first)."""
    stop = [postgres._pg_ctl(), "-D", str(postgres.pgdata), "-m", "fast", "-w", "stop"]
    subprocess.run(postgres._as_owner(stop), capture_output=True, timeout=60)


def _district(
    members: list[Member], hris: MemoryHris, rng: random.Random, faults: Faults, tally: Tally,
    fleet: Fleet, close_reached: Callable[[], bool],
) -> FakeDistrict:  # fmt: skip
    """The fake district with every employee and school, its services failing as `faults` say,
    and the payroll server SIGKILLing the worker after recording some payments at the close."""
    district = FakeDistrict()
    for employee in hris.staff.values():
        district.add_employee(employee)
    for school in hris.schools.values():
        district.add_school(school)
    kills_left = [faults.payout_kills]
    every = max(1, len(members) // (2 * max(1, faults.payout_kills)))
    first = rng.randrange(1, every + 1)

    def recorded(count: int) -> None:
        # Called in the server's thread, after the payment is stored and before the answer.
        due = kills_left[0] and count >= first + every * tally.kills_in_payouts
        if due and close_reached() and fleet.kill():
            kills_left[0] -= 1
            tally.kills += 1
            tally.kills_in_payouts += 1

    district.payroll = FaultyService("payroll", "PR", rng, faults, tally, recorded)
    district.email = FaultyService("e-mail", "MSG", rng, faults, tally)
    district.hris = FaultyService("hris", "HR", rng, faults, tally)
    return district


async def _count(
    env: WorkflowEnvironment, demo: ChaosDemo, pool: asyncpg.Pool, district: FakeDistrict,
    fleet: Fleet, tally: Tally,
) -> None:  # fmt: skip
    killed = fleet.identities()
    stored = {
        r["stream_id"]: (r["n"], r["top"])
        for r in await pool.fetch(
            "SELECT stream_id, count(*) AS n, max(stream_version) AS top FROM events GROUP BY 1"
        )
    }
    tally.stream_gaps = sum(top - n for n, top in stored.values())
    n, low, high = await pool.fetchrow("SELECT count(*), min(log_seq), max(log_seq) FROM events")
    tally.log_gaps = (high - low + 1 - n) if n else 0
    paid_in_log = {
        r["key"]: (r["stream_id"], r["reference"])
        for r in await pool.fetch(
            """SELECT stream_id, payload->>'idempotency_key' AS key,
                      payload->>'payroll_reference' AS reference
               FROM events WHERE payload ? 'payroll_reference'"""
        )
    }
    keys_in_log = await pool.fetchval(
        "SELECT count(*) FROM events WHERE payload ? 'payroll_reference'"
    )
    tally.duplicate_payments += keys_in_log - len(paid_in_log)  # one key recorded paid twice
    records = district.payroll.records
    tally.payments = len(records)
    purposes = Counter(
        (r.body["workflow_id"], r.body["kind"], r.body["payee_id"]) for r in records.values()
    )
    tally.duplicate_payments += sum(n - 1 for n in purposes.values())
    for key, record in records.items():
        if paid_in_log.get(key, (None, None))[1] != record.reference:
            tally.duplicate_payments += 1  # paid, but the journey has no record of it
            tally.problems.append(f"payroll paid {key} ({record.reference}), the log has not")
    tally.payments_repeated = district.payroll.attempts - len(records)
    for m in demo.members:
        assert m.handle is not None
        tally.started += 1
        description = await m.handle.describe()
        if description.status == WorkflowExecutionStatus.RUNNING:
            tally.stuck += 1
            tally.problems.append(f"{m.handle.id} still open after the year closed")
        elif description.status == WorkflowExecutionStatus.COMPLETED:
            tally.completed += 1
        else:
            tally.failed += 1
            tally.problems.append(f"{m.handle.id} ended {description.status}")
        status = await demo.status(m)
        have = stored.get(m.handle.id, (0, 0))[0]
        tally.lost_events += max(0, status.events_recorded - have)
        tally.extra_events += max(0, have - status.events_recorded)
        if status.stipend is not None and status.stipend.paid:
            tally.stipends_paid += 1
            if not any(s == m.handle.id for s, _ in paid_in_log.values()):
                tally.duplicate_payments += 1
                tally.problems.append(f"{m.handle.id}: stipend paid, payroll has no record")
        await _history(m, killed, tally)


async def _history(m: Member, killed: dict[str, Kill], tally: Tally) -> None:
    assert m.handle is not None
    history = await m.handle.fetch_history()
    scheduled: dict[int, Any] = {}
    started: dict[int, Any] = {}
    last_worker = ""
    for event in history.events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
            scheduled[event.event_id] = event.workflow_task_scheduled_event_attributes
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started[event.event_id] = event
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            last_worker = event.workflow_task_completed_event_attributes.identity
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            tally.failed_tasks += 1
            tally.problems.append(f"{m.handle.id}: workflow task failed")
        elif kind == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
            tally.task_timeouts += 1
            attrs = event.workflow_task_timed_out_event_attributes
            at = event.event_time.ToDatetime(tzinfo=UTC)
            if attrs.timeout_type == TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE:
                start = started[attrs.started_event_id]
                holder = start.workflow_task_started_event_attributes.identity
                if not holder:
                    # The server recorded no poller (seen once in 20 SIGKILLs): one worker runs
                    # at a time, so a death between the start and the timeout was its holder's.
                    holder = _died_between(killed, start.event_time.ToDatetime(tzinfo=UTC), at)
            else:  # not polled from the sticky queue of the worker that last ran it
                queue = scheduled[attrs.scheduled_event_id].task_queue
                sticky = queue.kind == TaskQueueKind.TASK_QUEUE_KIND_STICKY
                holder = last_worker if sticky else ""
            death = killed.get(holder)
            if death is not None and at >= death.at - timedelta(seconds=1):
                tally.task_timeouts_of_killed += 1
            else:
                tally.timeouts_in[_part_at(tally.parts, at)] += 1
                began = tally.worker_starts.get(holder)
                tally.timeouts_after_start[_since(began, at)] += 1
                kind_name = TimeoutType.Name(attrs.timeout_type)
                tally.problems.append(
                    f"{m.handle.id}: workflow task timed out ({kind_name}, "
                    f"held by {holder or 'nobody'})"
                )


def _died_between(killed: dict[str, Kill], began: datetime, at: datetime) -> str:
    """The identity of the worker SIGKILLed between `began` and `at`, or ""."""
    for identity, death in killed.items():
        if began - timedelta(seconds=1) <= death.at <= at:
            return identity
    return ""


def _part_at(parts: list[tuple[str, datetime]], at: datetime) -> str:
    """The part of the year that was under way at `at`."""
    under_way = "before the first office step"
    for label, began in parts:
        if began <= at:
            under_way = label
    return under_way


BAND_LIMITS = (60, 180, 600)
BANDS = (*(f"under {limit} s" for limit in BAND_LIMITS), "600 s or more", "worker unknown")


def _since(began: datetime | None, at: datetime) -> str:
    """How long the worker that held the task had been polling, in one of `BANDS`."""
    if began is None:
        return BANDS[-1]
    seconds = (at - began).total_seconds()
    for limit, band in zip(BAND_LIMITS, BANDS, strict=False):
        if seconds < limit:
            return band
    return BANDS[-2]


async def one_run(journeys: int, faults: Faults, seed: int, pace: Pace | None = None) -> Tally:
    pace = pace or Pace()
    import pgserver

    rng = random.Random(seed)
    tally = Tally(journeys=journeys)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pathways-chaos-") as tmp:
        folder = Path(tmp)
        (folder / "pg").mkdir()
        os.chmod(tmp, 0o755)
        server = pgserver.get_server(folder / "pg", cleanup_mode="delete")
        try:
            postgres = Postgres(folder / "pg", str(server.get_uri()))
            pool = await open_database(postgres.url, max_size=2)
            await pool.close()
            members = cohort_members(random.Random(seed), journeys)
            hris = MemoryHris(members)
            async with dev_server() as env:
                address = env.client.service_client.config.target_host
                fleet_settings = {"HTTP_TIMEOUT_SECONDS": str(HTTP_TIMEOUT)}
                fleet = Fleet(folder, address, postgres.url, fleet_settings)
                program = one_day_year(datetime.now(UTC), journeys, pace)
                demo = ChaosDemo(env, hris, program, members, Console(quiet=True))
                demo.prepare(tally)
                district = _district(
                    members,
                    hris,
                    rng,
                    faults,
                    tally,
                    fleet,
                    lambda: datetime.now(UTC) >= program.year_closes_at,
                )
                with serve(district.app) as url:
                    fleet.settings.update(HRIS_URL=url, PAYROLL_URL=url, EMAIL_URL=url)
                    await fleet.start()
                    supervisor = asyncio.create_task(
                        fleet.supervise(env, lambda: rng.uniform(*faults.restart_after))
                    )
                    try:
                        done = asyncio.Event()
                        closes = program.year_closes_at
                        chaos = [
                            asyncio.create_task(
                                _faults_during_year(
                                    fleet, postgres, faults, rng, tally, closes, done
                                )
                            ),
                            asyncio.create_task(
                                _faults_at_close(postgres, faults, rng, tally, closes)
                            ),
                        ]
                        await _race(demo.run(TASK_QUEUE), supervisor)
                        done.set()
                        await asyncio.gather(*chaos)
                        for service in (district.payroll, district.email, district.hris):
                            assert isinstance(service, FaultyService)
                            service.enabled = False
                        await _race(_quiet(fleet), supervisor)
                        tally.worker_starts = dict(fleet.started_at)
                        pool = await open_database(postgres.url, max_size=2)
                        try:
                            await _count(env, demo, pool, district, fleet, tally)
                        finally:
                            await pool.close()
                    finally:
                        supervisor.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await supervisor
                        fleet.stop()
        finally:
            with contextlib.suppress(Exception):
                _stop_postgres(postgres)
            with contextlib.suppress(Exception):
                server.cleanup()
    tally.seconds = time.monotonic() - began
    return tally


async def _race(work: Any, supervisor: asyncio.Task[None]) -> None:
    """Await `work`; if the supervisor fails first (a worker that exits by itself), raise."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task, supervisor}, return_when=asyncio.FIRST_COMPLETED)
    if supervisor in done and task not in done:
        task.cancel()
        supervisor.result()
    await task


async def _quiet(fleet: Fleet) -> None:
    """Wait for a worker that is being started again: the counts ask journeys their status."""
    while fleet.process is None:  # noqa: ASYNC110 (set by the supervisor's task)
        await asyncio.sleep(0.2)


def report(tally: Tally, faults: Faults, seed: int) -> None:
    t = tally
    faults_seen = ", ".join(f"{k} {v}" for k, v in sorted(tally.http_faults.items()))
    rows = [
        ("journeys started / completed", f"{tally.started:,} / {tally.completed:,}"),
        ("stipends paid / payroll requests recorded", f"{t.stipends_paid:,} / {t.payments:,}"),
        ("payroll requests that came again under a paid key", f"{tally.payments_repeated:,}"),
        ("duplicate payments", f"{tally.duplicate_payments}"),
        ("lost events (recorded by a journey, not in the log)", f"{tally.lost_events}"),
        ("events in the log beyond what journeys recorded", f"{tally.extra_events}"),
        ("gaps in stream versions / in the log's sequence", f"{t.stream_gaps} / {t.log_gaps}"),
        ("stuck journeys (open after the year closed)", f"{tally.stuck}"),
        ("failed journeys / failed workflow tasks", f"{tally.failed} / {tally.failed_tasks}"),
        ("office steps refused / never answered", f"{t.refused_steps} / {t.unanswered_steps}"),
        ("workflow-task timeouts: any other", f"{tally.task_timeouts_other}"),
        ("workflow-task timeouts: of a SIGKILLed worker", f"{tally.task_timeouts_of_killed}"),
        ("worker SIGKILLs (inside payouts)", f"{tally.kills} ({tally.kills_in_payouts})"),
        ("PostgreSQL restarts (stop -m immediate)", f"{tally.pg_restarts}"),
        ("HTTP faults injected", faults_seen),
        ("office updates sent again (same update id)", f"{tally.office_resends:,}"),
        ("updates unanswered for 60 s, then sent again", f"{len(t.hung_updates)}"),
        ("parts of the year the office finished late", f"{tally.late_steps}"),
        ("wall time", f"{tally.seconds:.0f} s"),
    ]  # fmt: skip
    console.print(f"[bold]chaos[/bold]: {tally.journeys:,} teacher leader journeys, seed {seed}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        console.print(f"  {name:<{width}}  {value}")
    if tally.hung_updates:
        console.print(f"  unanswered for {UPDATE_WAIT:.0f} s: {', '.join(tally.hung_updates[:10])}")
    if tally.timeouts_in:
        console.print("  timeouts on live workers, by the part of the year under way:")
        order = [label for label, _ in tally.parts]
        for label, n in sorted(
            tally.timeouts_in.items(), key=lambda i: order.index(i[0]) if i[0] in order else -1
        ):
            console.print(f"    {label:<{width - 2}}  {n}")
        console.print("  … and by how long their worker had been polling:")
        for band in BANDS:
            if tally.timeouts_after_start[band]:
                console.print(f"    {band:<{width - 2}}  {tally.timeouts_after_start[band]}")
    for problem in tally.problems[:30]:
        console.print(f"  [red]{problem}[/red]")
    if len(tally.problems) > 30:
        console.print(f"  … and {len(tally.problems) - 30} more")
    short = []
    if tally.kills < faults.kills:
        short.append(f"{tally.kills} of {faults.kills} SIGKILLs")
    if tally.kills_in_payouts < faults.payout_kills:
        short.append(f"{tally.kills_in_payouts} of {faults.payout_kills} kills inside payouts")
    if tally.pg_restarts < faults.pg_restarts:
        short.append(f"{tally.pg_restarts} of {faults.pg_restarts} PostgreSQL restarts")
    if tally.late_steps:
        short.append("the office fell behind the compressed calendar (see Pace)")
    if short:
        console.print(f"  [yellow]fault load not reached: {', '.join(short)}[/yellow]")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chaos",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--journeys", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=20, help="worker SIGKILLs (default 20)")
    parser.add_argument("--pg-restarts", type=int, default=2, choices=[0, 1, 2])
    parser.add_argument("--seed", type=int, default=None, help="default: from the clock")
    args = parser.parse_args()
    if args.journeys < 32:
        parser.error("--journeys takes at least 32 (the demo's mix of outcomes)")
    seed = args.seed if args.seed is not None else int(time.time())
    faults = Faults(kills=args.kills, pg_restarts=args.pg_restarts)
    from pathways.logs import configure_logging

    configure_logging("console", os.environ.get("LOG_LEVEL", "error"))
    tally = asyncio.run(one_run(args.journeys, faults, seed))
    report(tally, faults, seed)
    bad = {name: n for name, n in tally.bad().items() if n}
    if bad:
        console.print(f"[red]not 0: {', '.join(f'{k} {v}' for k, v in bad.items())}[/red]")
        sys.exit(1)
    if tally.kills < faults.kills or tally.pg_restarts < faults.pg_restarts or tally.late_steps:
        sys.exit(2)
    console.print("[green]0 duplicate payments, 0 lost events, 0 stuck or failed journeys, "
                  "0 workflow-task timeouts beyond the SIGKILLed worker's[/green]")  # fmt: skip


if __name__ == "__main__":
    main()
