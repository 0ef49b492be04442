"""One start-up for `python worker.py` and `make up` (`worker.serve`): the worker, the read
model's projector, the log's checkpoint signer (with the embedded default key on a fresh data
folder) and the history archive's sweep, ended by one event; and the loop they repeat in."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from activities.eventstore import EventStore
from activities.periodic import every
from pathways.audit_key import default_signing_key_path
from pathways.config import Settings
from tests.journey_kit import services_for
from tests.test_eventstore import new_event
from worker import serve


class Lines:
    """The warning lines a loop writes."""

    def __init__(self) -> None:
        self.warnings: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.warnings.append((event, fields))


async def test_a_failed_round_is_one_line_and_the_loop_goes_on() -> None:
    stop, rounds, lines = asyncio.Event(), [], Lines()

    async def round() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise ConnectionRefusedError("PostgreSQL is away")
        if len(rounds) == 3:
            stop.set()

    await asyncio.wait_for(every(0.01, stop, round, log=lines, failed="not done"), 5)
    assert rounds == [0, 1, 2]
    assert lines.warnings == [("not done", {"error": "PostgreSQL is away"})]


async def test_a_bug_in_a_round_ends_the_loop_with_its_error() -> None:
    async def round() -> None:
        raise KeyError("bug")

    try:
        await every(0.01, asyncio.Event(), round, log=Lines(), failed="not done")
    except KeyError:
        return
    raise AssertionError("a bug must not be swallowed as a failed round")


async def test_serve_runs_the_worker_projector_signer_and_archiver_until_stopped(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    settings = Settings(
        PATHWAYS_DATA_DIR=tmp_path,  # a fresh folder: no key yet
        TEMPORAL_TASK_QUEUE=task_queue,
        AUDIT_CHECKPOINT_SECONDS=0.1,
        HISTORY_ARCHIVE_SECONDS=0.1,
    )
    stop, polled = asyncio.Event(), asyncio.Event()

    async def started() -> None:
        polled.set()

    await EventStore(pool).append("s-1", [new_event(0), new_event(1)])
    services = services_for(pool)
    running = serve(settings, dev_env.client, services, deployment=None, started=started, stop=stop)
    serving = asyncio.create_task(running)
    await asyncio.wait_for(polled.wait(), 30)
    assert default_signing_key_path(settings).exists()  # made on first use
    for _ in range(200):
        signed = await pool.fetchval("SELECT max(log_seq) FROM log_checkpoints")
        if signed == 2:
            break
        await asyncio.sleep(0.05)
    assert signed == 2, "the signer did not sign the log's head"
    # Both queues are served: the main one and the bulk one a roster's journeys run on.
    for queue in (task_queue, f"{task_queue}-bulk"):
        described = await dev_env.client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=dev_env.client.namespace,
                task_queue=TaskQueue(name=queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        assert described.pollers, f"no worker polls {queue}"
    stop.set()
    await asyncio.wait_for(serving, 30)  # the worker and every loop end with it


async def test_an_unreadable_signing_key_stops_serve_before_anything_runs(
    pool: asyncpg.Pool, task_queue: str, tmp_path: Path, env: WorkflowEnvironment
) -> None:
    from pathways.config import ConfigError

    bad = tmp_path / "key.pem"
    bad.write_text("not a key")
    settings = Settings(AUDIT_SIGNING_KEY=bad, TEMPORAL_TASK_QUEUE=task_queue)
    before = len(asyncio.all_tasks())
    try:
        await serve(settings, env.client, services_for(pool), deployment=None)
    except ConfigError as error:
        assert "AUDIT_SIGNING_KEY" in str(error)
    else:
        raise AssertionError("an unreadable key must stop the worker at start-up")
    assert len(asyncio.all_tasks()) == before
