"""Scenario 1: HR starts 10,000 journeys from a roster on the Temporal dev server.

Ours is `pathways.roster` (bounded concurrency); the baseline awaits `client.start_workflow`
one journey at a time. The dev server is started here (SQLite file with WAL, ephemeral port)
and stopped at the end; no worker runs, so only starting is measured.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

from activities.enrollment import typed_attributes
from activities.systems import EmployeeNotFound, SchoolNotFound
from bench.common import Clock, Figure, Options, Ratio, console, show
from domain.external import Employee, School
from domain.program import Cohort, ProgramYear, Role
from domain.teacher_leader.start import TEACHER_LEADER
from pathways.demo import demo_program
from pathways.roster import DEFAULT_CONCURRENCY, apply_roster
from pathways.stack import stop_process
from pathways.temporal import DATA_CONVERTER, installed_binary, register_search_attributes
from workflows import search
from workflows.teacher_leader import TeacherLeaderInput, TeacherLeaderJourney, journey_id

FULL_ROSTER = 10_000
BASELINE_SAMPLE = 2_000
TASK_QUEUE = "bench-no-worker"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of a process so far: this one, or `pid` from /proc (Linux)."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class DevServer:
    client: Client
    pid: int

    def cpu_seconds(self) -> float | None:
        try:
            return cpu_seconds(self.pid)
        except OSError:  # not Linux: no /proc
            return None


@dataclass
class CpuUse:
    """CPU seconds the server and this process spent on a number of starts."""

    server: Figure
    client: Figure

    def measure(self, dev: DevServer) -> Callable[[int], None]:
        server0, client0 = dev.cpu_seconds(), cpu_seconds()

        def done(starts: int) -> None:
            server1 = dev.cpu_seconds()
            if server0 is not None and server1 is not None and starts:
                self.server.samples.append((server1 - server0) / starts * 1000)
                self.client.samples.append((cpu_seconds() - client0) / starts * 1000)

        return done


@asynccontextmanager
async def dev_server(folder: Path, *extra: str) -> AsyncIterator[DevServer]:
    """`extra`: more arguments for `temporal server start-dev` (dynamic config values)."""
    port = free_port()
    command = [
        installed_binary("temporal"), "server", "start-dev",
        "--db-filename", str(folder / "temporal.db"),
        "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
        "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(free_port()),
        "--headless", "--log-level", "error", *extra,
    ]  # fmt: skip
    for key in search.ALL:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    process = _spawn(command, folder / "server.log")
    try:
        client = await _connect(f"127.0.0.1:{port}", process)
        await register_search_attributes(client, client.namespace)
        yield DevServer(client, process.pid)
    finally:
        stop_process(process, "temporal dev server")


def _spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


async def _connect(address: str, process: subprocess.Popen[bytes]) -> Client:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await Client.connect(address, data_converter=DATA_CONVERTER)
        except RuntimeError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.3)


class RosterHris:
    """The HR system as the bench's rosters describe it: every row's teacher works at the
    row's school. Answers from memory, so the start path's HR look-ups cost what our code
    costs, not what a database does."""

    def __init__(self) -> None:
        self.staff: dict[str, Employee] = {}

    def add(self, path: Path) -> None:
        for line in path.read_text().splitlines()[1:]:
            employee_id, _, school_id, _ = line.split(",")
            self.staff[employee_id] = Employee(
                employee_id=employee_id,
                full_name=f"Teacher {employee_id}",
                email=f"{employee_id}@district.example",
                role="teacher",
                school_id=school_id,
            )

    async def employee(self, employee_id: str) -> Employee:
        try:
            return self.staff[employee_id]
        except KeyError:
            raise EmployeeNotFound(employee_id) from None

    async def school(self, school_id: str) -> School:
        if not school_id.startswith("school-"):
            raise SchoolNotFound(school_id)
        return School(school_id=school_id, name=school_id)

    async def principal_of(self, school_id: str) -> Employee:
        raise SchoolNotFound(school_id)


def write_roster(path: Path, prefix: str, count: int) -> None:
    roles = [r for r in Role if r is not Role.TEAM_LEAD]
    lines = ["employee_id,role,school_id,cohort"]
    for n in range(count):
        if n % 3 == 0:
            lines.append(f"{prefix}-{n},team_lead,school-{n % 400},{Cohort.SECONDARY_MATH.value}")
        else:
            lines.append(f"{prefix}-{n},{roles[n % len(roles)].value},school-{n % 400},")
    path.write_text("\n".join(lines) + "\n")


async def sequential(client: Client, hris: RosterHris, program: ProgramYear, path: Path) -> float:
    """The baseline: one `client.start_workflow` awaited after another."""
    from pathways.roster import read_roster

    rows, _ = read_roster(path, program, datetime.now(UTC))
    clock = Clock()
    with clock:
        for row in rows:
            inp = TeacherLeaderInput(program=program, application=row.application)
            await client.start_workflow(
                TeacherLeaderJourney.run,
                inp,
                id=journey_id(
                    program.program_year, row.application.role.value, row.application.employee_id
                ),
                task_queue=TASK_QUEUE,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=typed_attributes(
                    TEACHER_LEADER.attributes(inp, await hris.employee(inp.application.employee_id))
                ),
            )
    return clock.seconds


async def run(options: Options) -> None:
    size = options.size(FULL_ROSTER, smallest=50)
    sample = min(size, options.size(BASELINE_SAMPLE, smallest=50))
    ours = Figure(f"ours: apply_roster, {DEFAULT_CONCURRENCY} in flight", "starts/s")
    rerun = Figure("ours, same roster again (nothing new)", "rows/s")
    baseline = Figure("baseline: start_workflow one at a time", "starts/s")
    if sample < size:
        baseline.note = f"{sample:,}-row sample"
    again_started: list[int] = []
    quiet = Console(quiet=True)
    ours_cpu = CpuUse(
        Figure("dev server CPU per start, ours", "ms"), Figure("our CPU per start", "ms")
    )
    naive_cpu = CpuUse(
        Figure("dev server CPU per start, one at a time", "ms"),
        Figure("baseline's CPU per start", "ms"),
    )
    ceiling = Figure(f"ceiling: {os.cpu_count()} CPUs doing nothing but starts", "starts/s")
    with tempfile.TemporaryDirectory(prefix="pathways-bench-temporal-") as tmp:
        folder = Path(tmp)
        async with dev_server(folder) as dev:
            client = dev.client
            program = demo_program(datetime.now(UTC))
            hris = RosterHris()
            for rep in range(options.repeat):
                console.print(f"[dim]bulk start: repetition {rep + 1}/{options.repeat}[/dim]")
                roster = folder / f"roster-{rep}.csv"
                write_roster(roster, f"o{rep}", size)
                hris.add(roster)
                done = ours_cpu.measure(dev)
                outcome = await apply_roster(
                    client, hris, program, roster, TASK_QUEUE, console=quiet
                )
                done(outcome.started)
                assert outcome.ok and outcome.started == size, outcome.summary()
                ours.samples.append(outcome.started / outcome.seconds)
                again = await apply_roster(client, hris, program, roster, TASK_QUEUE, console=quiet)
                assert again.ok and again.existing == size, again.summary()
                again_started.append(again.started)
                rerun.samples.append(again.existing / again.seconds)
                naive = folder / f"naive-{rep}.csv"
                write_roster(naive, f"n{rep}", sample)
                hris.add(naive)
                done = naive_cpu.measure(dev)
                baseline.samples.append(sample / await sequential(client, hris, program, naive))
                done(sample)
                if ours_cpu.server.samples:
                    # However starts are issued, each costs the server and the client this much
                    # CPU: with every CPU busy with nothing else, no client starts faster.
                    per_start = ours_cpu.server.samples[-1] + ours_cpu.client.samples[-1]
                    ceiling.samples.append((os.cpu_count() or 1) * 1000 / per_start)
    cpu = [ours_cpu.server, naive_cpu.server, ours_cpu.client, naive_cpu.client]
    cpu = [f for f in cpu if f.samples]
    show(
        f"1. Bulk HR start: {size:,}-row roster on the dev server (SQLite, WAL), no worker",
        [ours, rerun, baseline, *cpu, *([ceiling] if ceiling.samples else [])],
        [
            Ratio("ours / one at a time", ours, baseline),
            *([Ratio("ceiling / one at a time", ceiling, baseline)] if ceiling.samples else []),
        ],
        [
            f"re-running the same roster started {max(again_started)} new journeys "
            f"(every row found its journey: REJECT_DUPLICATE on a deterministic id);",
            "both sides validate rows; starts/s counts accepted starts.",
        ],
    )
