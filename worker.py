"""The Pathways worker: runs the journey workflows and the activities that do their I/O.

    python worker.py            # connects to TEMPORAL_ADDRESS and DATABASE_URL (or embedded)

Each process serves two task queues: TEMPORAL_TASK_QUEUE, and the bulk queue that a roster's
journeys run on (TEMPORAL_BULK_TASK_QUEUE), each with slots of its own (WORKER_WORKFLOW_TASKS,
BULK_WORKFLOW_TASKS and the like). Scale out by running more of these against the same queues.
"""

from __future__ import annotations

import asyncio
import functools
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker, WorkerDeploymentConfig

from activities.careers import CareerActivities
from activities.db import open_database, resolve_database_url
from activities.enrollment_rules import RuleActivities, rule_book
from activities.eventstore import EventStore
from activities.external import ExternalActivities, build_external
from activities.http_systems import open_http_client
from activities.journal import JournalActivities
from activities.orchestration import OrchestrationActivities
from activities.readmodel import PROGRAM_JOURNEYS, TEACHER_LEADER_PROGRESS, ReadModel
from domain.career.rules import SHIPPED_RULES, RuleBook
from pathways.config import Settings
from pathways.logs import get_logger
from pathways.payload_codec import person_keys
from workflows.registry import WORKFLOWS

__all__ = ["WORKFLOWS", "Services", "Slots", "build_worker", "open_services", "run_worker", "serve"]


@dataclass
class Services:
    """What the activities need: the database and the district's systems."""

    pool: asyncpg.Pool
    store: EventStore
    external: ExternalActivities
    read_model: ReadModel
    programs: ReadModel | None = None
    """The catalog programs' read model (None: not followed by this process)."""
    rules: RuleBook | None = None
    """The district's enrollment rules (None: the rules the product ships)."""
    progress: ReadModel | None = None
    """The teacher leaders' progress for the web app (None: not followed by this process)."""


def activities_for(services: Services, client: Client) -> list[Any]:
    journal = JournalActivities(services.store)
    others = OrchestrationActivities(client, services.external.hris)
    careers = CareerActivities(client)
    rules = RuleActivities(client, services.external.hris, services.rules or shipped_rules())
    return [
        *rules.activities(),
        journal.append_events,
        *services.external.activities(),
        *others.activities(),
        *careers.activities(),
    ]


@functools.cache
def shipped_rules() -> RuleBook:
    return rule_book(SHIPPED_RULES)


@asynccontextmanager
async def open_services(settings: Settings, dsn: str | None = None) -> AsyncIterator[Services]:
    async with AsyncExitStack() as stack:
        url = dsn or resolve_database_url(settings.database_url, settings.data_dir)
        pool = await open_database(url, connect_timeout=settings.database_connect_timeout)
        stack.push_async_callback(pool.close)
        http = await stack.enter_async_context(open_http_client(settings.http_timeout_seconds))
        external = await build_external(settings.systems, http, pool)
        people = person_keys(settings.payload_keys)
        programs = ReadModel(pool, projection=PROGRAM_JOURNEYS, people=people)
        rules = rule_book(settings.enrollment_rules)
        progress = ReadModel(pool, projection=TEACHER_LEADER_PROGRESS, people=people)
        yield Services(
            pool, EventStore(pool, people), external, ReadModel(pool, people=people), programs,
            rules, progress,
        )  # fmt: skip


@dataclass(frozen=True)
class Slots:
    """How much one worker takes on at once (the SDK's defaults when unset)."""

    workflow_tasks: int | None = None
    activities: int | None = None
    cached_workflows: int = 1000
    sticky_seconds: float = 10.0

    @staticmethod
    def of(settings: Settings, *, bulk: bool = False) -> Slots:
        """The main queue's slots, or the bulk queue's."""
        return Slots(
            settings.bulk_workflow_tasks if bulk else settings.worker_workflow_tasks,
            settings.bulk_activities if bulk else settings.worker_activities,
            settings.worker_cached_workflows,
            settings.worker_sticky_seconds,
        )


def build_worker(
    client: Client,
    services: Services,
    task_queue: str,
    *,
    cache: bool = True,
    deployment: WorkerDeploymentConfig | None = None,
    slots: Slots | None = None,
) -> Worker:
    slots = slots or Slots()
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(services, client),
        max_cached_workflows=slots.cached_workflows if cache else 0,
        max_concurrent_workflow_tasks=slots.workflow_tasks,
        max_concurrent_activities=slots.activities,
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=slots.sticky_seconds),
        deployment_config=deployment,
    )


async def run_worker(settings: Settings) -> None:
    from pathways.deploy import deployment_config
    from pathways.temporal import check_search_attributes, connect

    client = await connect(settings)
    await check_search_attributes(client, settings.temporal_namespace)
    async with open_services(settings) as services:
        await serve(settings, client, services, deployment=deployment_config(settings))


async def serve(
    settings: Settings,
    client: Client,
    services: Services,
    *,
    deployment: WorkerDeploymentConfig | None,
    started: Callable[[], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run what a worker process runs until SIGINT or SIGTERM: the worker on the task queue,
    the read models' projectors, the log's checkpoint signer (every AUDIT_CHECKPOINT_SECONDS)
    and the history archive's sweep (every HISTORY_ARCHIVE_SECONDS). `started` runs once the
    worker polls (`make up` makes its build current there); setting `stop` (or a signal)
    ends it. `python worker.py` and `make up` both serve with this."""
    log = get_logger("worker")
    if stop is None:
        stop = asyncio.Event()
    # The signer first: a configured key that cannot be read stops here, before anything runs.
    background = _checkpointer(settings, services, stop)
    background += _archiver(settings, client, services, stop)
    for model in (services.read_model, services.programs, services.progress):
        if model is not None:
            background.append(asyncio.create_task(model.follow(stop)))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = build_worker(
        client, services, settings.temporal_task_queue, deployment=deployment,
        slots=Slots.of(settings),
    )  # fmt: skip
    bulk = build_worker(
        client, services, settings.bulk_task_queue, deployment=deployment,
        slots=Slots.of(settings, bulk=True),
    )  # fmt: skip
    try:
        async with worker, bulk:
            log.info(
                "worker started",
                task_queue=settings.temporal_task_queue,
                bulk_task_queue=settings.bulk_task_queue,
                workflow_tasks=settings.worker_workflow_tasks,
                bulk_workflow_tasks=settings.bulk_workflow_tasks,
                namespace=settings.temporal_namespace,
                temporal=settings.temporal_address,
                version=deployment.version.to_canonical_string() if deployment else "unversioned",
                checkpoint_seconds=settings.audit_checkpoint_seconds,
                archive_seconds=settings.history_archive_seconds,
            )
            if started is not None:
                await started()
            await stop.wait()
            log.info("worker stopping: finishing the tasks in hand")
    finally:
        stop.set()
        await asyncio.gather(*background)


def _checkpointer(
    settings: Settings, services: Services, stop: asyncio.Event
) -> list[asyncio.Task[None]]:
    """Sign the event log's head every AUDIT_CHECKPOINT_SECONDS (0: only on demand), with the
    configured key or the embedded default, made on first use (`pathways.audit_key`)."""
    if not settings.audit_checkpoint_seconds:
        return []
    from activities.logchain import checkpoint_periodically
    from pathways.audit_key import signing_key

    key = signing_key(settings)
    every = settings.audit_checkpoint_seconds
    return [asyncio.create_task(checkpoint_periodically(services.pool, key, every, stop))]


def _archiver(
    settings: Settings, client: Client, services: Services, stop: asyncio.Event
) -> list[asyncio.Task[None]]:
    """Archive closed journeys' histories every HISTORY_ARCHIVE_SECONDS (0: only on demand)."""
    if not settings.history_archive_seconds:
        return []
    from pathways.archive import archive_periodically

    every = settings.history_archive_seconds
    return [asyncio.create_task(archive_periodically(client, services.pool, every, stop))]


def main() -> None:
    from pathways.cli import run_cli_main

    run_cli_main(run_worker)


if __name__ == "__main__":
    main()
