"""Scenario 10: a night's OneRoster file of 60,000 staff with 2% changes.

Two measurements, each against a baseline in the same run:

- the diff: reading the zip (`orgs.csv`, `users.csv`, `roles.csv`) and comparing its staff with
  the previous night's (`domain.oneroster.read_roster` + `diff`), in users rows/s, against a raw
  `COPY` of the same `users.csv` into an index-free table (PostgreSQL reading CSV, no checks);
- delivery: the diff's HR events sent to the employees' careers (`submit_hr_event`, update-with-
  start, the enrollment rules read) by a worker in this process on a dev server, one at a time
  and as the import sends them, against `client.start_workflow` one at a time on
  the same server (scenario 1's baseline; its README gives the machine's ceiling). The import
  sends `IN_FLIGHT` employees' events at once, each employee's in order.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import tempfile
import time
import uuid
import zipfile
from datetime import date
from pathlib import Path

import asyncpg
from temporalio.client import Client

from activities.careers import submit_hr_event
from activities.db import open_database
from activities.local_systems import LocalHris
from bench.bulk_start import dev_server
from bench.common import Figure, Options, Ratio, console, show
from domain.career.career import HrEvent, SubmitHrEvent
from domain.external import School
from domain.oneroster import StaffRecord, diff, read_roster
from pathways.config import load_settings
from pathways.demo import throwaway_database
from pathways.oneroster import IN_FLIGHT, files_of
from worker import build_worker, open_services

FULL_STAFF = 60_000
CHANGED = 0.02
SCHOOLS = 90
DELIVERY_SAMPLE = 1_200  # the full file's 2%
BASELINE_STARTS = 200
TITLES = ["teacher"] * 40 + ["coordinator"] * 3 + ["counselor"] * 3 + ["assistant_principal"] * 2
TITLES += ["vice_principal", "principal"]
TASK_QUEUE = "bench-oneroster"


def night(staff: dict[str, tuple[str, str]]) -> bytes:
    """A OneRoster 1.2 zip of `staff` (employee id -> (title, school))."""
    orgs = io.StringIO()
    w = csv.writer(orgs, lineterminator="\r\n")
    w.writerow(["sourcedId", "status", "dateLastModified", "name", "type", "identifier",
                "parentSourcedId"])  # fmt: skip
    w.writerow(["org-d", "", "", "District", "district", "district", ""])
    for n in range(SCHOOLS):
        w.writerow([f"org-{n}", "", "", f"School {n}", "school", f"school-{n}", "org-d"])
    users, roles = io.StringIO(), io.StringIO()
    u, r = csv.writer(users, lineterminator="\r\n"), csv.writer(roles, lineterminator="\r\n")
    u.writerow(["sourcedId", "status", "dateLastModified", "enabledUser", "username",
                "givenName", "familyName", "identifier", "email", "metadata.jobTitle"])  # fmt: skip
    r.writerow(["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
                "orgSourcedId"])  # fmt: skip
    for employee_id, (title, school) in staff.items():
        role = "administrator" if "principal" in title else "teacher"
        u.writerow([f"u-{employee_id}", "", "", "true", employee_id, "Given", "Family",
                    employee_id, f"{employee_id}@district.example", title])  # fmt: skip
        r.writerow([f"r-{employee_id}", "", "", f"u-{employee_id}", "primary", role,
                    f"org-{school.removeprefix('school-')}"])  # fmt: skip
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("orgs.csv", orgs.getvalue())
        archive.writestr("users.csv", users.getvalue())
        archive.writestr("roles.csv", roles.getvalue())
    return out.getvalue()


def nights(size: int, rng: random.Random) -> tuple[bytes, bytes, int]:
    """Last night's and tonight's files (2% of the staff changed), and tonight's users rows."""
    staff = {
        f"s-{n:06d}": (rng.choice(TITLES), f"school-{rng.randrange(SCHOOLS)}") for n in range(size)
    }
    before = night(staff)
    ids = list(staff)
    changed = rng.sample(ids, max(4, round(size * CHANGED)))
    quarter = len(changed) // 4
    for employee_id in changed[:quarter]:  # role changes
        staff[employee_id] = (rng.choice(TITLES), staff[employee_id][1])
    for employee_id in changed[quarter : 2 * quarter]:  # transfers
        staff[employee_id] = (staff[employee_id][0], f"school-{rng.randrange(SCHOOLS)}")
    for employee_id in changed[2 * quarter : 3 * quarter]:  # gone
        del staff[employee_id]
    for n in range(len(changed) - 3 * quarter):  # hires
        staff[f"h-{n:06d}"] = ("teacher", f"school-{rng.randrange(SCHOOLS)}")
    return before, night(staff), len(staff)


def diff_seconds(previous: dict[str, StaffRecord], tonight: bytes) -> tuple[float, int]:
    began = time.perf_counter()
    roster = read_roster(files_of(tonight))
    events = diff(previous, roster.staff, date(2026, 12, 3), roster.skipped)
    return time.perf_counter() - began, len(events)


async def copy_seconds(pool: asyncpg.Pool, tonight: bytes) -> float:
    users = zipfile.ZipFile(io.BytesIO(tonight)).read("users.csv")
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_users (sourced_id text, status text, "
            "modified text, enabled text, username text, given text, family text, "
            "identifier text, email text, title text)"
        )
        await conn.execute("TRUNCATE bench_users")
        began = time.perf_counter()
        await conn.copy_to_table("bench_users", source=io.BytesIO(users), format="csv", header=True)
        return time.perf_counter() - began


async def deliver(client: Client, events: list[HrEvent], in_flight: int) -> float:
    gate = asyncio.Semaphore(in_flight)

    async def one(event: HrEvent) -> None:
        async with gate:
            await submit_hr_event(client, SubmitHrEvent(event=event, source="bench"), TASK_QUEUE)

    began = time.perf_counter()
    await asyncio.gather(*(one(e) for e in events))
    return time.perf_counter() - began


async def run(options: Options) -> None:
    size = options.size(FULL_STAFF, smallest=500)
    sample = options.size(DELIVERY_SAMPLE, smallest=40)
    starts = options.size(BASELINE_STARTS, smallest=20)
    ours = Figure("ours: read the zip and diff it with last night's", "users rows/s")
    bound = Figure("baseline: raw COPY of users.csv, no checks", "users rows/s")
    one = Figure("HR events to careers, one at a time", "events/s")
    many = Figure(
        f"ours: HR events to careers, {IN_FLIGHT} employees at once (the import)", "events/s"
    )
    base = Figure("baseline: start_workflow one at a time (scenario 1's)", "starts/s")
    one.note = many.note = f"{sample:,}-event sample"
    counted: list[int] = []
    settings = load_settings()
    async with throwaway_database(settings) as dsn:
        pool = await open_database(dsn)
        try:
            for rep in range(options.repeat):
                console.print(f"[dim]OneRoster: repetition {rep + 1}/{options.repeat}[/dim]")
                before, tonight, rows = nights(size, random.Random(rep))
                previous = read_roster(files_of(before)).staff
                seconds, n_events = diff_seconds(previous, tonight)
                ours.samples.append(rows / seconds)
                counted.append(n_events)
                bound.samples.append(rows / await copy_seconds(pool, tonight))
        finally:
            await pool.close()
        pool = await open_database(dsn)
        try:
            for n in range(SCHOOLS):
                await LocalHris(pool).upsert_school(
                    School(school_id=f"school-{n}", name=f"School {n}")
                )
        finally:
            await pool.close()
        with tempfile.TemporaryDirectory(prefix="pathways-bench-temporal-") as tmp:
            async with dev_server(Path(tmp)) as dev, open_services(settings, dsn) as services:
                client = dev.client
                async with build_worker(client, services, TASK_QUEUE):
                    for rep in range(options.repeat):
                        before, tonight, _ = nights(sample * 100, random.Random(rep))
                        events = diff(
                            read_roster(files_of(before)).staff,
                            read_roster(files_of(tonight)).staff,
                            date(2026, 12, 3),
                        )
                        tag = uuid.uuid4().hex[:6]
                        picked = [
                            e.model_copy(update={"event_id": f"{e.event_id}-{tag}-{i}",
                                                 "employee_id": f"{e.employee_id}-{tag}"})
                            for i, e in enumerate(events[: sample * 2])
                        ]  # fmt: skip
                        one.samples.append(sample / await deliver(client, picked[:sample], 1))
                        rest = picked[sample : sample * 2]
                        many.samples.append(len(rest) / await deliver(client, rest, IN_FLIGHT))
                        began = time.perf_counter()
                        for n in range(starts):
                            await client.start_workflow(
                                "Career", {"employee_id": f"base-{tag}-{n}"},
                                id=f"career/base-{tag}-{n}", task_queue=TASK_QUEUE,
                            )  # fmt: skip
                        base.samples.append(starts / (time.perf_counter() - began))
    show(
        f"10. OneRoster: {size:,} staff, {CHANGED:.0%} changed overnight "
        f"({max(counted):,} HR events)",
        [ours, bound, one, many, base],
        [
            Ratio("diff / raw COPY", ours, bound),
            Ratio("events one at a time / start_workflow one at a time", one, base),
            Ratio(f"events {IN_FLIGHT} in flight / start_workflow one at a time", many, base),
        ],
        [
            "the diff parses and validates every row of the three files (ids, titles, orgs) "
            "and builds each staff record; COPY only stores users.csv's text;",
            "delivery: each event an update-with-start on its employee's career, answered once "
            "applied and stored (a role change also has the career read the enrollment rules).",
        ],
    )
