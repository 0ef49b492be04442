"""One start-up for `python worker.py` and `make up` (`worker.serve`): the worker, the read
model's projector, the log's checkpoint signer (with the embedded default key on a fresh data
folder) and the history archive's sweep, ended by one event; and the loop they repeat in."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from functools import partial
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
    try:
        await asyncio.wait_for(polled.wait(), 60)
        assert default_signing_key_path(settings).exists()  # made on first use
        signed = await _within(
            60, lambda: pool.fetchval("SELECT max(log_seq) FROM log_checkpoints"), lambda n: n == 2
        )
        assert signed == 2, "the signer did not sign the log's head"
        # Both queues are served: the main one and the bulk one a roster's journeys run on.
        for queue in (task_queue, f"{task_queue}-bulk"):
            pollers = await _within(60, partial(_pollers, dev_env, queue), bool)
            assert pollers, f"no worker polls {queue}"
    finally:
        # Whatever failed above, the worker stops here: one left polling would outlive the test
        # and hold the session's event loop open at its end.
        stop.set()
        await asyncio.wait_for(serving, 60)  # the worker and every loop end with it


async def _pollers(env: WorkflowEnvironment, queue: str) -> int:
    described = await env.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=env.client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(described.pollers)


async def _within(
    seconds: float, read: Callable[[], Awaitable[Any]], done: Callable[[Any], bool]
) -> Any:
    """What `read` returns once `done` holds, or its last value after `seconds` (a loaded
    machine takes a while to start two workers and a signer)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await read()
        if done(value) or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.05)


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


async def test_a_worker_will_not_poll_a_namespace_missing_a_search_attribute(
    tmp_path: Path,
) -> None:
    """A journey upserting an attribute the namespace lacks fails its workflow task again and
    again; so `python worker.py` checks first and stops with the line to register it."""
    from pathways.temporal import DATA_CONVERTER, installed_binary
    from workflows import search

    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=installed_binary("temporal"),
        search_attributes=[k for k in search.ALL if k is not search.WAITING_ON],
    )
    try:
        address = env.client.service_client.config.target_host
        worker = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).parents[1] / "worker.py"),
            env={**os.environ, "TEMPORAL_ADDRESS": address, "PATHWAYS_DATA_DIR": str(tmp_path)},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            out, err = await asyncio.wait_for(worker.communicate(), timeout=60)
        finally:
            if worker.returncode is None:  # it polled after all, or hung: not left behind
                worker.kill()
                await worker.wait()
    finally:
        await env.shutdown()
    lines = err.decode().strip().splitlines()
    assert worker.returncode == 2, (out, err)
    assert len(lines) == 1 and "lacks the search attributes WaitingOnFix" in lines[0], lines
    assert "temporal operator search-attribute create" in lines[0]
