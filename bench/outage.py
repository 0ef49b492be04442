"""Scenario 7: PostgreSQL stopped abruptly for 15 s under a worker with journeys in flight.

Everything is local and started here: the Temporal dev server (ephemeral port), an embedded
PostgreSQL in a temporary folder, and the real worker (`worker.py`, console logs, as `make up`
runs it) in a process of its own. Teacher leader journeys start over `spread` seconds, each
then decided, signed by the teacher and the principal, and every other one closed early; every
one of those steps appends to the event log in PostgreSQL, and HR look-ups and e-mails use it
too. Ten seconds in, PostgreSQL is stopped with `pg_ctl stop -m immediate` (no shutdown
checkpoint, as a crash) and started again on the same socket 15 s later.

Afterwards it counts from Temporal's histories: workflow tasks that timed out or failed, the
latency of workflow tasks (scheduled to completed) scheduled during the outage against those
scheduled outside it, activity attempts; and from PostgreSQL: every journey's events against
what the journey says it recorded (lost or extra), and duplicate payroll requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from activities.db import open_database
from activities.systems import EmployeeNotFound, SchoolNotFound
from bench.bulk_start import cpu_seconds, dev_server
from bench.common import Figure, Options, Ratio, console, show
from domain.external import Employee, School
from domain.program import Cohort, ProgramYear, Role
from domain.teacher_leader.events import DecisionOutcome, SelectionScores
from domain.teacher_leader.journey import (
    Application,
    CloseYear,
    DecideApplication,
    JourneyStatus,
    SignCommitment,
)
from pathways.demo import SCHOOLS, Member, cohort_members, demo_program, seed_district
from pathways.journeys import start_teacher_leader
from pathways.stack import stop_process

OUTAGE_SECONDS = 15.0


@dataclass(frozen=True)
class Timeline:
    """When the journeys start and PostgreSQL is down, in seconds from the first start."""

    outage_at: float = 10.0
    outage_seconds: float = OUTAGE_SECONDS
    spread: float = 30.0  # the journeys start evenly over this long
    settle_limit: float = 240.0  # the longest the run waits for answers after the outage
    stop: bool = True  # False: the same window with PostgreSQL left up (the baseline)


OFFICE = "office:ana"
TASK_QUEUE = "bench-outage"
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Postgres:
    """The embedded server, stopped as a crash and started again with its own command line."""

    pgdata: Path
    url: str
    command: list[str] = field(default_factory=list)

    @staticmethod
    def _as_owner(args: list[str]) -> list[str]:
        return ["runuser", "-u", "pgserver", "--", *args] if os.geteuid() == 0 else args

    def _pg_ctl(self) -> str:
        import pgserver

        return str(Path(str(pgserver.__file__)).parent / "pginstall" / "bin" / "pg_ctl")

    def stop_abruptly(self) -> None:
        pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        self.command = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
        stop = [self._pg_ctl(), "-D", str(self.pgdata), "-m", "immediate", "-w", "stop"]
        subprocess.run(self._as_owner(stop), check=True, capture_output=True)

    def start_again(self) -> None:
        # The postmaster's own arguments after `-D pgdata`: the same socket folder and no TCP.
        options = self.command[1:]
        if "-D" in options:
            at = options.index("-D")
            del options[at : at + 2]
        start = [self._pg_ctl(), "-D", str(self.pgdata), "-w", "-l", str(self.pgdata / "log")]
        start += ["-o", shlex.join(options), "start"]
        subprocess.run(self._as_owner(start), check=True, capture_output=True, timeout=60)


class MemoryHris:
    """The driver's copy of the district's HR, so starting journeys does not need PostgreSQL
    (the worker's activities still ask HR in PostgreSQL)."""

    def __init__(self, members: list[Member]) -> None:
        self.staff = {m.employee_id: _employee(m) for m in members}
        self.schools: dict[str, School] = {}
        for index, (school_id, name) in enumerate(SCHOOLS):
            principal = Employee(
                employee_id=f"p-{index + 1:03d}",
                full_name=f"Principal of {name}",
                email=f"p-{index + 1:03d}@district.example",
                role="principal",
                school_id=school_id,
            )
            self.staff[principal.employee_id] = principal
            self.schools[school_id] = School(
                school_id=school_id, name=name, principal_id=principal.employee_id
            )

    async def employee(self, employee_id: str) -> Employee:
        try:
            return self.staff[employee_id]
        except KeyError:
            raise EmployeeNotFound(employee_id) from None

    async def school(self, school_id: str) -> School:
        try:
            return self.schools[school_id]
        except KeyError:
            raise SchoolNotFound(school_id) from None

    async def principal_of(self, school_id: str) -> Employee:
        principal = (await self.school(school_id)).principal_id
        assert principal is not None
        return await self.employee(principal)


def _employee(m: Member) -> Employee:
    return Employee(
        employee_id=m.employee_id,
        full_name=m.name,
        email=f"{m.employee_id}@district.example",
        role="teacher",
        school_id=m.school_id,
    )


@dataclass
class Run:
    """What one repetition measured."""

    timed_out: int = 0
    sticky_timed_out: int = 0  # of those, not picked up from the worker's sticky queue in 5 s
    failed_tasks: int = 0
    latency_outage: list[float] = field(default_factory=list)  # seconds, scheduled → done
    latency_other: list[float] = field(default_factory=list)
    retried_activities: int = 0
    max_attempt: int = 0
    still_retrying: int = 0
    lost: int = 0
    extra: int = 0
    duplicate_payments: int = 0
    payments: int = 0
    refused_updates: int = 0
    unanswered: int = 0
    not_closed: int = 0
    recovered_s: float = 0.0  # PostgreSQL back → the last update answered
    failure_logs: int = 0
    traceback_lines: int = 0
    worker_cpu_s: float = 0.0
    server_cpu_s: float = 0.0


async def _drive(
    client: Client,
    hris: MemoryHris,
    program: ProgramYear,
    members: list[Member],
    run: Run,
    timeline: Timeline,
) -> list[WorkflowHandle[Any, JourneyStatus]]:
    """Start the journeys spread over the timeline and walk each through its steps."""
    handles: list[WorkflowHandle[Any, JourneyStatus]] = []
    began = time.monotonic()
    scores = SelectionScores(time=4, mindset=3, skillset=3, experience=3)
    last_answer = [0.0]

    async def journey(index: int, m: Member) -> None:
        await asyncio.sleep(
            max(0.0, began + index * timeline.spread / len(members) - time.monotonic())
        )
        app = Application(
            employee_id=m.employee_id,
            role=m.role,
            school_id=m.school_id,
            cohort=Cohort.ELEMENTARY if m.role is Role.TEAM_LEAD else None,
        )
        handle, _ = await start_teacher_leader(client, hris, program, app, TASK_QUEUE)
        handles.append(handle)
        principal = (await hris.principal_of(m.school_id)).employee_id
        steps: list[tuple[str, Any]] = [
            ("decide", DecideApplication(outcome=DecisionOutcome.ACCEPTED, scores=scores,
                                         decided_by=OFFICE)),
            ("sign_commitment", SignCommitment(signer_id=m.employee_id)),
            ("sign_commitment", SignCommitment(signer_id=principal)),
        ]  # fmt: skip
        if index % 2:
            steps.append(("close_year", CloseYear(closed_by=OFFICE)))
        for name, arg in steps:
            try:
                await handle.execute_update(name, arg, result_type=JourneyStatus)
            except Exception:  # counted: a refusal or a lost answer
                run.refused_updates += 1
                return
            last_answer[0] = time.time()

    tasks = [asyncio.create_task(journey(i, m)) for i, m in enumerate(members)]
    _, pending = await asyncio.wait(
        tasks, timeout=timeline.spread + timeline.outage_seconds + timeline.settle_limit
    )
    for task in pending:
        task.cancel()
    run.unanswered = len(pending)
    run.recovered_s = last_answer[0]  # made relative by the caller
    return handles


async def _outage(postgres: Postgres, timeline: Timeline) -> tuple[float, float]:
    """PostgreSQL down as the timeline says; the window's start and end (wall clock)."""
    await asyncio.sleep(timeline.outage_at)
    loop = asyncio.get_running_loop()
    down = time.time()
    if timeline.stop:
        await loop.run_in_executor(None, postgres.stop_abruptly)
    await asyncio.sleep(timeline.outage_seconds)
    if timeline.stop:
        await loop.run_in_executor(None, postgres.start_again)
    return down, time.time()


async def _histories(
    handles: list[WorkflowHandle[Any, JourneyStatus]], down: float, up: float, run: Run
) -> None:
    for handle in handles:
        history = await handle.fetch_history()
        scheduled: float | None = None
        attempts: dict[int, int] = {}
        for event in history.events:
            at = event.event_time.ToDatetime(tzinfo=UTC).timestamp()
            kind = event.event_type
            if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                scheduled = at
            elif kind in (
                EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
                EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
                EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            ):
                if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                    run.timed_out += 1
                    timeout = event.workflow_task_timed_out_event_attributes.timeout_type
                    if timeout == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START:
                        run.sticky_timed_out += 1
                if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                    run.failed_tasks += 1
                if scheduled is not None:
                    during = down <= scheduled <= up
                    (run.latency_outage if during else run.latency_other).append(at - scheduled)
                scheduled = None
            elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                attrs = event.activity_task_started_event_attributes
                attempts[attrs.scheduled_event_id] = attrs.attempt
        run.retried_activities += sum(1 for a in attempts.values() if a > 1)
        run.max_attempt = max([run.max_attempt, *attempts.values()])
        description = await handle.describe()
        run.still_retrying += len(description.raw_description.pending_activities)
        if description.status == WorkflowExecutionStatus.RUNNING:
            run.not_closed += 1


async def _event_log(
    pool: asyncpg.Pool, handles: list[WorkflowHandle[Any, JourneyStatus]], run: Run
) -> None:
    stored = {
        r["stream_id"]: r["n"]
        for r in await pool.fetch("SELECT stream_id, count(*) AS n FROM events GROUP BY 1")
    }
    for handle in handles:
        status = await handle.query("status", result_type=JourneyStatus)
        have = stored.get(handle.id, 0)
        run.lost += max(0, status.events_recorded - have)
        run.extra += max(0, have - status.events_recorded)
    run.payments = await pool.fetchval("SELECT count(*) FROM payroll_requests")
    run.duplicate_payments = await pool.fetchval(
        """SELECT coalesce(sum(n - 1), 0) FROM (
               SELECT count(*) AS n FROM payroll_requests
               GROUP BY workflow_id, kind, payee_id HAVING count(*) > 1) AS d"""
    )


async def _worker_ready(process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while "worker started" not in await asyncio.to_thread(log.read_text, errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start (see {log})")
        await asyncio.sleep(0.3)


def _worker(
    folder: Path,
    address: str,
    url: str,
    source: Path,
    *,
    task_queue: str = TASK_QUEUE,
    settings: dict[str, str] | None = None,
    log: str = "worker.log",
) -> subprocess.Popen[bytes]:
    """`worker.py` in a process of its own (its own session, so it can be killed alone),
    console logs to `folder / log`; `settings` adds to or overrides its environment."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "DATABASE_URL": url,
        "PATHWAYS_DATA_DIR": str(folder),
        "PATHWAYS_WORKER_VERSIONING": "false",
        "HISTORY_ARCHIVE_SECONDS": "0",
        "AUDIT_CHECKPOINT_SECONDS": "0",
        "LOG_FORMAT": "console",
        "LOG_LEVEL": "info",
        "PYTHONPATH": str(source),
        **(settings or {}),
    }
    with (folder / log).open("wb") as out:
        return subprocess.Popen(
            [sys.executable, str(source / "worker.py")],
            cwd=source,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def one_run(size: int, timeline: Timeline | None = None, source: Path = REPO) -> Run:
    timeline = timeline or Timeline()
    import pgserver

    run = Run()
    with tempfile.TemporaryDirectory(prefix="pathways-bench-outage-") as tmp:
        folder = Path(tmp)
        (folder / "pg").mkdir()
        os.chmod(tmp, 0o755)
        server = pgserver.get_server(folder / "pg", cleanup_mode="delete")
        try:
            postgres = Postgres(folder / "pg", str(server.get_uri()))
            members = cohort_members(random.Random(7), size)
            pool = await open_database(postgres.url, max_size=4)
            try:
                await seed_district(pool, members)
            finally:
                await pool.close()
            async with dev_server(folder) as dev:
                address = dev.client.service_client.config.target_host
                worker = _worker(folder, address, postgres.url, source)
                server_cpu = dev.cpu_seconds() or 0.0
                try:
                    await _worker_ready(worker, folder / "worker.log")
                    program = demo_program(datetime.now(UTC))
                    hris = MemoryHris(members)
                    outage = asyncio.create_task(_outage(postgres, timeline))
                    handles = await _drive(dev.client, hris, program, members, run, timeline)
                    down, up = await outage
                    run.recovered_s = max(0.0, run.recovered_s - up)
                    await _settle(handles)
                    await _histories(handles, down, up, run)
                    pool = await open_database(postgres.url, max_size=2)
                    try:
                        await _event_log(pool, handles, run)
                    finally:
                        await pool.close()
                finally:
                    with contextlib.suppress(OSError):
                        run.worker_cpu_s = cpu_seconds(worker.pid)
                    run.server_cpu_s = (dev.cpu_seconds() or 0.0) - server_cpu
                    stop_process(worker, "worker")
                text = await asyncio.to_thread((folder / "worker.log").read_text, errors="replace")
                run.failure_logs = text.count("Completing activity as failed")
                run.traceback_lines = text.count("Traceback (most recent call last)")
        finally:
            with contextlib.suppress(Exception):
                server.cleanup()
    return run


async def _settle(handles: list[WorkflowHandle[Any, JourneyStatus]], seconds: float = 60) -> None:
    """Wait until no journey has an activity still pending (or `seconds` passed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pending = 0
        for handle in handles:
            pending += len((await handle.describe()).raw_description.pending_activities)
        if not pending:
            return
        await asyncio.sleep(1)


def _p(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def _figures() -> list[tuple[str, str, Callable[[Run], float]]]:
    return [
        ("workflow tasks timed out", "tasks", lambda r: r.timed_out),
        ("  of those: left on the sticky queue, not polled", "tasks", lambda r: r.sticky_timed_out),
        ("workflow tasks failed", "tasks", lambda r: r.failed_tasks),
        ("task latency p95, scheduled in the outage", "s", lambda r: _p(r.latency_outage, 0.95)),
        ("task latency max, scheduled in the outage", "s",
         lambda r: max(r.latency_outage, default=0)),
        ("task latency p95, scheduled outside it", "s", lambda r: _p(r.latency_other, 0.95)),
        ("workflow tasks over 5 s", "tasks",
         lambda r: sum(x > 5 for x in r.latency_outage + r.latency_other)),
        ("activities retried", "activities", lambda r: r.retried_activities),
        ("highest attempt", "attempt", lambda r: r.max_attempt),
        ("activities still retrying at the end", "activities", lambda r: r.still_retrying),
        ("events lost", "events", lambda r: r.lost),
        ("events beyond what journeys recorded", "events", lambda r: r.extra),
        ("duplicate payroll requests", "requests", lambda r: r.duplicate_payments),
        ("updates refused or lost", "updates", lambda r: r.refused_updates),
        ("journeys still waiting for an answer", "journeys", lambda r: r.unanswered),
        ("last update answered, s after PostgreSQL is back", "s", lambda r: r.recovered_s),
        ("failed activity attempts logged", "attempts", lambda r: r.failure_logs),
        ("worker log lines with a traceback", "lines", lambda r: r.traceback_lines),
        ("worker CPU", "s", lambda r: r.worker_cpu_s),
        ("dev server CPU", "s", lambda r: r.server_cpu_s),
    ]  # fmt: skip


async def run(options: Options) -> None:
    size = options.size(300, smallest=20)
    names = _figures()
    figures = {name: Figure(name, unit) for name, unit, _ in names}
    outage_p95 = Figure("with the outage: task latency p95, whole run", "s")
    quiet_p95 = Figure("baseline: the same run, PostgreSQL up: task latency p95", "s")
    quiet_timeouts = Figure("baseline: workflow tasks timed out", "tasks")
    quiet_last = Figure("baseline: last update answered, s after the window", "s")
    for rep in range(options.repeat):
        console.print(f"[dim]outage: repetition {rep + 1}/{options.repeat}, {size} journeys[/dim]")
        quiet = await one_run(size, Timeline(stop=False))
        result = await one_run(size)
        for name, _, value in names:
            figures[name].samples.append(float(value(result)))
        outage_p95.samples.append(_p(result.latency_outage + result.latency_other, 0.95))
        quiet_p95.samples.append(_p(quiet.latency_outage + quiet.latency_other, 0.95))
        quiet_timeouts.samples.append(quiet.timed_out)
        quiet_last.samples.append(quiet.recovered_s)
    show(
        f"7 · PostgreSQL down {OUTAGE_SECONDS:.0f} s under the worker, {size} journeys in flight",
        [*figures.values(), outage_p95, quiet_p95, quiet_timeouts, quiet_last],
        [Ratio("task latency p95, with the outage / without (lower is better)", outage_p95,
               quiet_p95)],
        [
            "Temporal's workflow task timeout is 10 s, and so is the sticky queue's "
            "schedule-to-start timeout",
            "lost/beyond: each journey's events_recorded against its rows in the event log",
        ],
    )  # fmt: skip
