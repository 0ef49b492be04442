"""Shared set-up for journey tests: a seeded district, a worker, and a calendar near 'now'."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client, WorkflowHandle, WorkflowHistory, WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.eventstore import EventStore
from activities.external import ExternalActivities
from activities.local_systems import LocalHris, LocalMailer, LocalPayroll
from activities.person_keys import PersonKeys
from activities.readmodel import ReadModel
from domain.calendar import local_date
from domain.career.career import CAREER_PREFIX, CareerTimeline
from domain.external import DataFixNeeded, Employee, School
from domain.program import SAMPLE_PROGRAM, ProgramYear, load_program_year
from worker import Services, build_worker

SCHOOL = "grape-street-es"
OTHER_SCHOOL = "carver-ms"
PRINCIPAL = "e-9001"
OTHER_PRINCIPAL = "e-9002"


def services_for(pool: asyncpg.Pool, people: PersonKeys | None = None) -> Services:
    """The worker's services on the local systems; with `people`, the event log seals personal
    fields as a district's does."""
    external = ExternalActivities(LocalHris(pool), LocalPayroll(pool), LocalMailer(pool))
    return Services(pool, EventStore(pool, people), external, ReadModel(pool, people=people))


async def seed_district(pool: asyncpg.Pool, teachers: list[str]) -> None:
    hris = LocalHris(pool)
    for employee_id, school in ((PRINCIPAL, SCHOOL), (OTHER_PRINCIPAL, OTHER_SCHOOL)):
        await hris.upsert_employee(
            Employee(
                employee_id=employee_id,
                full_name=f"Principal {employee_id}",
                email=f"{employee_id}@district.example",
                role="principal",
                school_id=school,
            )
        )
    await hris.upsert_school(
        School(school_id=SCHOOL, name="Grape Street Elementary", principal_id=PRINCIPAL)
    )
    await hris.upsert_school(
        School(school_id=OTHER_SCHOOL, name="Carver Middle School", principal_id=OTHER_PRINCIPAL)
    )
    for teacher in teachers:
        await hris.upsert_employee(
            Employee(
                employee_id=teacher,
                full_name=f"Teacher {teacher}",
                email=f"{teacher}@district.example",
                role="teacher",
                school_id=SCHOOL,
            )
        )


async def program_near(env: WorkflowEnvironment) -> ProgramYear:
    """The sample calendar moved so that applications close 30 days from the server's now."""
    sample = load_program_year(SAMPLE_PROGRAM)
    now = await env.get_current_time()
    target = now + timedelta(days=30)
    days = (target.date() - sample.application_deadline.date()).days
    return sample.shifted(days)


async def advance_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def local_today(env: WorkflowEnvironment, time_zone: str = "America/Los_Angeles") -> date:
    """The test server's today where the programs run (evenings there are tomorrow in UTC)."""
    return local_date(await env.get_current_time(), time_zone)


def noon(day: object) -> datetime:
    from datetime import date

    assert isinstance(day, date)
    return datetime(day.year, day.month, day.day, 19, 0, tzinfo=UTC)


@asynccontextmanager
async def running_worker(
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    *,
    cache: bool = True,
    people: PersonKeys | None = None,
) -> AsyncIterator[Worker]:
    """A worker for one test. Without a cache it has no sticky queue either, so a test can stop
    it and start another without the server waiting on the first one's sticky queue (on the
    time-skipping server that wait does not end while a client waits for an update)."""
    worker = build_worker(client, services_for(pool, people), task_queue, cache=cache)
    async with worker:
        try:
            yield worker
        finally:
            await careers_settled(client, pool)


async def careers_settled(client: Client, pool: asyncpg.Pool) -> None:
    """End the test's careers with its worker, once each has settled (told its journeys, read
    the rules, stored its events): a career told a journey ended just before the worker stops
    would otherwise leave an activity on a queue nobody polls, and the time-skipping server
    holds its clock for an activity in flight (also one whose workflow is terminated under
    it), which every later test would wait on."""
    rows = await pool.fetch(
        "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE $1", f"{CAREER_PREFIX}%"
    )
    for row in rows:
        handle = client.get_workflow_handle(row["stream_id"])
        try:
            for _ in range(200):
                timeline = await handle.query("timeline", result_type=CareerTimeline)
                if not timeline.settling:
                    break
                await asyncio.sleep(0.05)
            await handle.terminate("the test's worker stopped")
        except (RPCError, WorkflowQueryFailedError):
            continue  # closed already, or on another server


HISTORIES = Path(__file__).parent / "histories"


async def keep_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """With RECORD_HISTORIES=1, save the journey's history as a golden history for replay."""
    if os.environ.get("RECORD_HISTORIES") == "1":
        history = await handle.fetch_history()
        (HISTORIES / f"{name}.json").write_text(history.to_json())


def asked_after(history: WorkflowHistory, activity: str, after: int = 0) -> int:
    """How many times the journey scheduled `activity` (after history event `after`)."""
    return sum(
        1
        for event in history.events
        if event.event_id > after
        and event.HasField("activity_task_scheduled_event_attributes")
        and event.activity_task_scheduled_event_attributes.activity_type.name == activity
    )


def accepted_update(history: WorkflowHistory, name: str) -> int:
    """The history event id where the first update `name` was accepted."""
    for event in history.events:
        if event.HasField("workflow_execution_update_accepted_event_attributes"):
            accepted = event.workflow_execution_update_accepted_event_attributes
            if accepted.accepted_request.input.name == name:
                return int(event.event_id)
    raise AssertionError(f"no {name} update was accepted")


async def waiting_on_fix(handle: WorkflowHandle[Any, Any], attempts: int = 1) -> DataFixNeeded:
    """What the journey waits on once it has had `attempts` answers needing a fix (any
    pathway: every journey answers the `waiting_on` query)."""
    for _ in range(300):
        found = await handle.query("waiting_on", result_type=DataFixNeeded)
        if found is not None and found.attempts >= attempts:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} did not wait on a fix (attempt {attempts})")
