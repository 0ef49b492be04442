"""Scenario 11: the web app's pages with 10,000 teacher leader journeys in the read model.

The app is served by uvicorn on loopback, signed in as program office staff (local sign-in),
and each page is fetched by 4 clients at once: a page of the roster (any of its 200 pages), the
roster searched by name, a journey's page (its status from the journey on a dev server, its
timeline from the event log), the attendance report, and, as the baseline, the app's own
stylesheet (a static file through the same middleware: session, routing). Figures are p50 and
p95 latency and requests/s; ratios are each page against the static file in the same run.
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from activities.db import open_database
from activities.local_systems import LocalHris
from activities.readmodel import TEACHER_LEADER_PROGRESS, _progress_row, _upsert
from bench.bulk_start import dev_server, free_port
from bench.common import Figure, Options, Ratio, console, show
from domain.attendance import AttendanceStatus
from domain.deliverables import DeliverableState, DeliverableStatus
from domain.external import Employee, School
from domain.program import Role
from domain.teacher_leader.journey import Application, Journey, Mark, Stage
from pathways.api import serve_api
from pathways.config import Settings, load_settings
from pathways.demo import throwaway_database
from pathways.journeys import start_teacher_leader
from pathways.sample_year import teacher_leader_year, today_in
from pathways.web.app import ProgramShelf, WebBackend, create_web_app
from worker import build_worker, open_services

JOURNEYS = 10_000
REQUESTS = 400  # per page and repetition, at full size
CLIENTS = 4
SCHOOLS = 80
TASK_QUEUE = "bench-web"
ROLES = [Role.PEER_COACH, Role.ARTS_LEAD, Role.FAMILY_ENGAGEMENT_LEAD]


def journeys(n: int, program: Any, rng: random.Random) -> list[Journey]:
    """`n` teacher leaders part-way through the year: most active, each session before today
    marked (some absent, some made up), deliverables in every state."""
    today = today_in()
    found = []
    for i in range(n):
        role = ROLES[i % len(ROLES)]
        stage = Stage.ACTIVE if i % 10 else rng.choice(list(Stage))
        attendance = {
            s.session_id: Mark(
                status=AttendanceStatus.ABSENT if rng.random() < 0.08 else AttendanceStatus.PRESENT,
                recorded_by="office:ana",
                made_up_on=s.on + timedelta(days=7) if rng.random() < 0.03 else None,
            )
            for s in program.sessions_for(role)
            if s.on < today
        }
        deliverables = {
            d.deliverable_id: DeliverableState(status=rng.choice(list(DeliverableStatus)))
            for d in program.deliverables_for(role)
            if rng.random() < 0.6
        }
        found.append(
            Journey(
                employee_id=f"b-{i:05d}", full_name=f"Leader {i:05d}", role=role,
                school_id=f"school-{i % SCHOOLS}", program_year=program.program_year,
                stage=stage, principal_id=f"p-{i % SCHOOLS}", attendance=attendance,
                deliverables=deliverables, version=10,
            )
        )  # fmt: skip
    return found


async def fill(pool: asyncpg.Pool, rows: list[Journey]) -> None:
    records = [
        _progress_row(f"teacher-leader/bench/{j.employee_id}", j, i) for i, j in enumerate(rows)
    ]
    async with pool.acquire() as conn:
        for start in range(0, len(records), 1000):
            await _upsert(conn, TEACHER_LEADER_PROGRESS, records[start : start + 1000])


async def timed(client: httpx.AsyncClient, paths: list[str]) -> tuple[list[float], float]:
    """Fetch the paths, `CLIENTS` at a time; each request's latency and the wall time."""
    queue = list(paths)
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            path = queue.pop()
            began = time.perf_counter()
            answer = await client.get(path)
            latencies.append(time.perf_counter() - began)
            if answer.status_code != 200:
                raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:200]}")

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return latencies, time.perf_counter() - began


def p(latencies: list[float], q: int) -> float:
    return statistics.quantiles(latencies, n=100)[q - 1] * 1000


async def signed_in(url: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=60)
    page = await client.get("/sign-in?q=ana")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    answer = await client.post(
        "/sign-in/local", data={"csrf": token.group(1), "employee_id": "ana", "next": "/"}
    )
    assert answer.status_code == 303, answer.text
    return client


async def run(options: Options) -> None:
    size = options.size(JOURNEYS, smallest=200)
    requests = options.size(REQUESTS, smallest=40)
    program = teacher_leader_year(today_in())
    year = program.program_year
    pages: dict[str, Callable[[random.Random], str]] = {
        "roster page": lambda rng: f"/years/{year}?page_no={rng.randint(1, max(1, size // 50))}",
        "roster search": lambda rng: f"/years/{year}?q=Leader+{rng.randint(0, size - 1):05d}",
        "journey page": lambda rng: "",  # filled in once the journey exists
        "attendance report": lambda rng: f"/reports/attendance?year={year}",
        "baseline: the stylesheet": lambda rng: "/static/app.css",
    }
    figures = {
        name: (Figure(f"{name}: p50", "ms"), Figure(f"{name}: p95", "ms"),
               Figure(f"{name}: throughput", "requests/s"))
        for name in pages
    }  # fmt: skip
    settings = load_settings()
    async with throwaway_database(settings) as dsn:
        pool = await open_database(dsn)
        hris = LocalHris(pool)
        await hris.upsert_employee(
            Employee(employee_id="ana", full_name="Ana Torres", email="ana@district.example",
                     role="program_office")
        )  # fmt: skip
        await hris.upsert_employee(
            Employee(employee_id="p-bench", full_name="Principal", email="p@district.example",
                     role="principal", school_id="school-0")
        )  # fmt: skip
        await hris.upsert_school(
            School(school_id="school-0", name="School 0", principal_id="p-bench")
        )
        await hris.upsert_employee(
            Employee(employee_id="t-bench", full_name="Teacher", email="t@district.example",
                     role="teacher", school_id="school-0")
        )  # fmt: skip
        await fill(pool, journeys(size, program, random.Random(11)))
        with tempfile.TemporaryDirectory(prefix="pathways-bench-temporal-") as tmp:
            async with (
                dev_server(Path(tmp)) as dev,
                open_services(settings, dsn) as services,
                build_worker(dev.client, services, TASK_QUEUE),
            ):
                application = Application(
                    employee_id="t-bench", role=Role.PEER_COACH, school_id="school-0"
                )
                handle, _ = await start_teacher_leader(
                    dev.client, hris, program, application, TASK_QUEUE
                )
                await _stored(pool, handle.id)
                pages["journey page"] = lambda rng: f"/journeys/{handle.id}"
                web = Settings.model_validate({"PATHWAYS_DATA_DIR": tmp, "WEB_LOCAL_SIGN_IN": True})
                backend = WebBackend(
                    dev.client, pool, hris, TASK_QUEUE, web.non_hr_actors,
                    ProgramShelf((), {year: program}),
                )  # fmt: skip
                port, stop = free_port(), asyncio.Event()
                server = asyncio.create_task(
                    serve_api(create_web_app(web, backend), "127.0.0.1", port, stop)
                )
                await asyncio.sleep(0.5)
                client = await signed_in(f"http://127.0.0.1:{port}")
                try:
                    for rep in range(options.repeat):
                        console.print(f"[dim]web: repetition {rep + 1}/{options.repeat}[/dim]")
                        rng = random.Random(rep)
                        for name, path in pages.items():
                            await timed(client, [path(rng) for _ in range(CLIENTS)])  # warm
                            latencies, wall = await timed(
                                client, [path(rng) for _ in range(requests)]
                            )
                            p50, p95, rps = figures[name]
                            p50.samples.append(p(latencies, 50))
                            p95.samples.append(p(latencies, 95))
                            rps.samples.append(len(latencies) / wall)
                finally:
                    await client.aclose()
                    stop.set()
                    await server
        await pool.close()
    base = figures["baseline: the stylesheet"]
    show(
        f"11. the web app with {size:,} journeys in the read model, {CLIENTS} clients at once",
        [f for trio in figures.values() for f in trio],
        [
            Ratio(f"{name} requests/s / the stylesheet's", trio[2], base[2])
            for name, trio in figures.items()
            if trio is not base
        ],
        [
            "a roster page reads 50 rows (and the count) from teacher_leader_progress and "
            "works out what blocks each stipend with the program year's rules;",
            "a journey page asks the journey its status (a Temporal query), reads the "
            "definition it runs on (its history's first event) and its events from the log; "
            "the report groups every journey's marks in SQL;",
            "the clients run in the app's own process and event loop, as do the queries' "
            "database pool and the Temporal client.",
        ],
    )


async def _stored(pool: asyncpg.Pool, journey_id: str) -> None:
    for _ in range(200):
        if await pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", journey_id):
            return
        await asyncio.sleep(0.05)
