"""Scenario 8: is the worker responsive while HR starts a 10,000-row roster?

Everything is local and started here: the Temporal dev server (SQLite file, WAL, ephemeral
port), an embedded PostgreSQL with the district's HR tables seeded (every roster teacher, 400
schools and their principals, and the probe journeys' teachers), and the real worker
(`worker.py`) in a process of its own. Probe journeys are started first and left waiting for
their decision. Then, on an idle worker, each probe is asked its `status` (a query) and then
withdrawn (an update, answered once its event is in the log), one probe at a time; then the
same on the other probes, one every `PROBE_EVERY` seconds, from when `pathways.roster.apply_roster`
starts the roster until the worker has worked through it (every roster journey has stored its first
events and no more come; starting is faster than working, so most of the load comes after the
last start). Each roster journey looks its teacher and principal up, appends to the log and
sends two e-mails. The figures are the p95 latencies under load against idle, as ratios.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from temporalio.client import WorkflowHandle
from temporalio.common import Priority

from activities.db import open_database
from bench.bulk_start import RosterHris, cpu_seconds, dev_server, write_roster
from bench.common import Figure, Options, Ratio, console, show
from bench.outage import REPO, MemoryHris, _p
from bench.outage import _worker as worker_process
from bench.outage import _worker_ready as worker_ready
from domain.program import Cohort, Role
from domain.teacher_leader.journey import Application, JourneyStatus, Withdraw
from pathways.demo import cohort_members, demo_program, seed_district
from pathways.journeys import start_teacher_leader
from pathways.roster import BULK_PRIORITY, apply_roster
from pathways.stack import stop_process

FULL_ROSTER = 10_000
SCHOOLS = 400  # as bench.bulk_start.write_roster spreads them
IDLE_PROBES = 30
LOAD_PROBES = 400
PROBE_EVERY = 1.5  # seconds between probes during the bulk start
PROBE_LIMIT = 120.0  # a probe unanswered after this long counts as this long, and as timed out
DRAIN_LIMIT = 900.0  # probing stops this long after the roster's start, drained or not
TASK_QUEUE = "bench-responsive"
BULK_QUEUE = f"{TASK_QUEUE}-bulk"  # the worker's default for TEMPORAL_BULK_TASK_QUEUE
#: The SDK's own slots (100 workflow tasks, 100 activities), as workers ran before they were set.
SDK_SLOTS = {"WORKER_WORKFLOW_TASKS": "100", "WORKER_ACTIVITIES": "100"}


@dataclass(frozen=True)
class Way:
    """One way of starting the roster: the task queue and priority its journeys get, and the
    worker's slots (its environment; empty: the shipped defaults)."""

    label: str
    task_queue: str
    priority: Priority
    worker: dict[str, str]


WAYS = (
    Way("main queue, SDK slots, default priority", TASK_QUEUE, Priority.default, SDK_SLOTS),
    Way("main queue, shipped slots, default priority", TASK_QUEUE, Priority.default, {}),
    Way("bulk queue, shipped slots (as apply-roster)", BULK_QUEUE, BULK_PRIORITY, {}),
)


@dataclass
class Probes:
    status: list[float] = field(default_factory=list)  # seconds
    update: list[float] = field(default_factory=list)
    timed_out: int = 0
    refused: int = 0


@dataclass
class Run:
    idle: Probes
    load: Probes
    started: int
    roster_seconds: float
    worker_cpu_s: float
    drained_s: float | None  # roster start → no roster journey left waiting for the worker


async def _roster_events(pool: Any) -> tuple[int, int]:
    """Roster journeys with events in the log, and their events."""
    row = await pool.fetchrow(
        "SELECT count(DISTINCT stream_id), count(*) FROM events WHERE stream_id LIKE '%/r-%'"
    )
    return int(row[0]), int(row[1])


async def _seed(url: str, members: list[Any], size: int) -> None:
    pool = await open_database(url, max_size=2)
    try:
        await seed_district(pool, members)
        principals = [(f"rp-{n}", f"Principal {n}", f"rp-{n}@district.example", "principal",
                       f"school-{n}", "active") for n in range(SCHOOLS)]  # fmt: skip
        teachers = [(f"r-{n}", f"Teacher r-{n}", f"r-{n}@district.example", "teacher",
                     f"school-{n % SCHOOLS}", "active") for n in range(size)]  # fmt: skip
        await pool.executemany(
            """INSERT INTO hris_employees (employee_id, full_name, email, role, school_id, status)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            principals + teachers,
        )
        await pool.executemany(
            "INSERT INTO hris_schools (school_id, name, principal_id) VALUES ($1, $2, $3)",
            [(f"school-{n}", f"School {n}", f"rp-{n}") for n in range(SCHOOLS)],
        )
    finally:
        await pool.close()


async def _probe(handle: WorkflowHandle[Any, JourneyStatus], into: Probes) -> None:
    """One status query, then one withdrawal, each timed."""
    for kind in ("status", "update"):
        began = time.perf_counter()
        try:
            async with asyncio.timeout(PROBE_LIMIT):
                if kind == "status":
                    await handle.query("status", result_type=JourneyStatus)
                else:
                    command = Withdraw(withdrawn_by="office:bench", reason="probe")
                    await handle.execute_update("withdraw", command, result_type=JourneyStatus)
        except TimeoutError:
            into.timed_out += 1
        except Exception:  # a refusal: counted, and its time still says how long it took
            into.refused += 1
        (into.status if kind == "status" else into.update).append(time.perf_counter() - began)


#: Task priority on (the dev server's default matcher ignores priority keys).
PRIORITY_ON = ("--dynamic-config-value", "matching.useNewMatcher=true")


async def one_run(size: int, way: Way) -> Run:
    import pgserver

    with tempfile.TemporaryDirectory(prefix="pathways-bench-responsive-") as tmp:
        folder = Path(tmp)
        (folder / "pg").mkdir()
        os.chmod(tmp, 0o755)
        server = pgserver.get_server(folder / "pg", cleanup_mode="delete")
        try:
            url = str(server.get_uri())
            members = cohort_members(random.Random(8), IDLE_PROBES + LOAD_PROBES)
            await _seed(url, members, size)
            async with dev_server(folder, *PRIORITY_ON) as dev:
                address = dev.client.service_client.config.target_host
                worker = worker_process(
                    folder, address, url, REPO, task_queue=TASK_QUEUE, settings=way.worker
                )
                try:
                    await worker_ready(worker, folder / "worker.log")
                    return await _measure(dev.client, url, members, size, folder, worker.pid, way)
                finally:
                    stop_process(worker, "worker")
        finally:
            with contextlib.suppress(Exception):
                server.cleanup()


async def _measure(
    client: Any, url: str, members: list[Any], size: int, folder: Path, pid: int, way: Way
) -> Run:
    program = demo_program(datetime.now(UTC))
    hris = MemoryHris(members)
    handles: list[WorkflowHandle[Any, JourneyStatus]] = []
    for m in members:
        app = Application(
            employee_id=m.employee_id,
            role=m.role,
            school_id=m.school_id,
            cohort=Cohort.ELEMENTARY if m.role is Role.TEAM_LEAD else None,
        )
        handle, _ = await start_teacher_leader(client, hris, program, app, TASK_QUEUE)
        handles.append(handle)
    for handle in handles:  # every probe has looked its people up and is waiting
        await handle.query("status", result_type=JourneyStatus)
    await asyncio.sleep(2)
    idle = Probes()
    for handle in handles[:IDLE_PROBES]:
        await _probe(handle, idle)
        await asyncio.sleep(0.2)
    roster = folder / "roster.csv"
    write_roster(roster, "r", size)
    roster_hris = RosterHris()
    roster_hris.add(roster)
    cpu0 = cpu_seconds(pid)
    began = time.perf_counter()
    bulk = asyncio.create_task(
        apply_roster(
            client,
            roster_hris,
            program,
            roster,
            way.task_queue,
            console=Console(quiet=True),
            priority=way.priority,
        )
    )
    load = Probes()
    drained: float | None = None
    unused = handles[IDLE_PROBES:]
    last = (-1, -1)
    pool = await open_database(url, max_size=1)
    try:
        while time.perf_counter() - began < DRAIN_LIMIT:
            # Once the probes are used up (LOAD_PROBES of them), the drain is still timed.
            probe = asyncio.create_task(_probe(unused.pop(0), load)) if unused else None
            await asyncio.sleep(PROBE_EVERY)
            if probe is not None:
                await probe
            # Worked through: every roster journey has stored its first events, and no more came
            # since the last probe (each then waits for the office's decision).
            now = await _roster_events(pool)
            if bulk.done() and now[0] >= bulk.result().started and now == last:
                drained = time.perf_counter() - began
                break
            last = now
    finally:
        await pool.close()
    outcome = await bulk
    seconds = outcome.seconds
    return Run(idle, load, outcome.started, seconds, cpu_seconds(pid) - cpu0, drained)


@dataclass
class Side:
    """The figures of one way of starting the roster, over the repetitions."""

    label: str
    idle: list[Figure]
    load: list[Figure]
    load_max: Figure
    probes: Figure
    bad: Figure
    rate: Figure
    drain: Figure

    @staticmethod
    def new(label: str) -> Side:
        names = ("status query", "withdraw update")
        return Side(
            label,
            [Figure(f"{label}: idle worker, {n} p95", "s") for n in names],
            [Figure(f"{label}: during the start and its backlog, {n} p95", "s") for n in names],
            Figure(f"{label}: slowest answer under load", "s"),
            Figure(f"{label}: probes under load (status + withdraw each)", "probes"),
            Figure(f"{label}: unanswered after {PROBE_LIMIT:.0f} s, or refused", "answers"),
            Figure(f"{label}: roster start rate", "starts/s"),
            Figure(f"{label}: roster start → the worker has worked through it", "s"),
        )

    def add(self, result: Run) -> None:
        for figure, values in zip(self.idle, (result.idle.status, result.idle.update), strict=True):
            figure.samples.append(_p(values, 0.95))
        for figure, values in zip(self.load, (result.load.status, result.load.update), strict=True):
            figure.samples.append(_p(values, 0.95))
        self.load_max.samples.append(max(result.load.status + result.load.update, default=0.0))
        self.probes.samples.append(len(result.load.update))
        load = result.load
        self.bad.samples.append(load.timed_out + load.refused + result.idle.refused)
        self.rate.samples.append(result.started / result.roster_seconds)
        self.drain.samples.append(DRAIN_LIMIT if result.drained_s is None else result.drained_s)

    def figures(self) -> list[Figure]:
        return [*self.idle, *self.load, self.load_max, self.probes, self.bad, self.rate, self.drain]

    def ratios(self) -> list[Ratio]:
        return [
            Ratio(f"{self.label}: status p95, under load / idle", self.load[0], self.idle[0]),
            Ratio(f"{self.label}: withdraw p95, under load / idle", self.load[1], self.idle[1]),
        ]


async def run(options: Options) -> None:
    size = options.size(FULL_ROSTER, smallest=200)
    chosen = [w for n, w in enumerate(WAYS, 1) if options.ways is None or n in options.ways]
    sides = [(Side.new(way.label), way) for way in chosen]
    for rep in range(options.repeat):
        for side, way in sides:
            console.print(
                f"[dim]responsive: repetition {rep + 1}/{options.repeat}, {size:,} rows, "
                f"{side.label}[/dim]"
            )
            side.add(await one_run(size, way))
    show(
        f"8 · Responsive under load: probes of journeys started before, while a {size:,}-row "
        "roster starts and is worked through (dev server with task priority on, worker process)",
        [f for side, _ in sides for f in side.figures()],
        [r for side, _ in sides for r in side.ratios()],
        [
            f"one probe every {PROBE_EVERY} s from the roster's start until the worker has "
            f"worked through it (at most {DRAIN_LIMIT:.0f} s, then counted as that);",
            "the withdraw answers once its event is stored in PostgreSQL; lower ratios are better.",
        ],
    )
