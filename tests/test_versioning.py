"""Two builds of the worker side by side on the dev server (Worker Versioning).

A journey started on build A stays on A after B is made current; a journey started after that
runs on B; a service commitment moves to B when it continues as new. The dev server here
suggests continuing as new once a run's history passes a few events, so one HR change is
enough to make a commitment continue as new (in production it does so after each
anniversary).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType, VersioningBehavior
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.common import WorkerDeploymentVersion
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import WorkerDeploymentConfig

from domain.service_commitment.journey import CommitmentStatus, HrChange, HrEvent
from pathways.config import ConfigError, Settings, load_settings
from pathways.deploy import (
    DeploymentRefused,
    current_or_promote,
    deployment_config,
    describe,
    promote,
    promote_once_polled,
    running_on,
    stack_deployment,
    worker_version,
)
from pathways.temporal import dev_server
from tests.journey_kit import OTHER_SCHOOL, keep_history, local_today, services_for
from tests.test_cli import run
from tests.test_service_commitment import ASSISTANCE, FELLOW, pro_rata, seed_fellow
from worker import build_worker
from workflows.service_commitment import ServiceCommitment, ServiceCommitmentInput

DEPLOYMENT = "pathways-test"
# A commitment's yearly run that continued as new onto the current build (tests/test_replay.py
# replays it, beside one recorded before continue-as-new asked for the current build).
RECORDED = os.environ.get(
    "RECORD_HISTORY_AS", "service_commitment_continued_as_new_onto_current_build"
)
Handle = WorkflowHandle[ServiceCommitment, CommitmentStatus]


@pytest.fixture
async def versioned_env() -> AsyncIterator[WorkflowEnvironment]:
    async with dev_server(
        "--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=10"
    ) as env:
        yield env


async def operator(env: WorkflowEnvironment, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line against this test's server, while the test's workers run."""
    address = env.client.service_client.config.target_host
    return await asyncio.to_thread(
        run, *args, TEMPORAL_ADDRESS=address, PATHWAYS_DEPLOYMENT_NAME=DEPLOYMENT
    )


def build(build_id: str) -> WorkerDeploymentConfig:
    config = deployment_config(
        Settings(PATHWAYS_DEPLOYMENT_NAME=DEPLOYMENT, PATHWAYS_BUILD_ID=build_id)
    )
    assert config is not None
    return config


async def eventually_promote(client: Client, build_id: str) -> str | None:
    """A build can be made current once its worker has polled, which takes a moment."""
    return await promote_once_polled(client, DEPLOYMENT, build_id, identity="test")


async def start(
    client: Client, env: WorkflowEnvironment, task_queue: str, fellow: str
) -> tuple[Handle, Handle]:
    inp = ServiceCommitmentInput(
        program="plf-versioning",
        fellow_id=fellow,
        graduated_on=await local_today(env),
        assistance_cents=ASSISTANCE,
        rules=pro_rata(),
        program_office_email="plf@district.example",
    )
    workflow_id = f"service-commitment/plf-versioning/{fellow}/{uuid.uuid4().hex[:6]}"
    started = await client.start_workflow(
        ServiceCommitment.run, inp, id=workflow_id, task_queue=task_queue
    )
    run = started.first_execution_run_id
    return (
        client.get_workflow_handle_for(ServiceCommitment.run, workflow_id, run_id=run),
        client.get_workflow_handle_for(ServiceCommitment.run, workflow_id),
    )


async def pinned_to(handle: WorkflowHandle[Any, Any]) -> tuple[str, int]:
    """The build the run is on and how it is versioned, once its first task has completed (a
    run that starts by upgrading shows its predecessor's build until then)."""
    assert handle.run_id is not None
    for _ in range(100):
        if await task_builds(handle):
            info = (await handle.describe()).raw_description.workflow_execution_info
            version = info.versioning_info
            return version.deployment_version.build_id, version.behavior
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} never completed a workflow task")


async def drained_to(client: Client, expected: dict[str, int]) -> bool:
    """Visibility catches up with the runs a moment later."""
    for _ in range(50):
        counts = {b: await running_on(client, DEPLOYMENT, b) for b in expected}
        if counts == expected:
            return True
        await asyncio.sleep(0.2)
    raise AssertionError(f"running journeys per build: {counts}, expected {expected}")


async def closed_as_continued(handle: WorkflowHandle[Any, Any]) -> None:
    for _ in range(100):
        if (await handle.describe()).status is WorkflowExecutionStatus.CONTINUED_AS_NEW:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{handle.id} did not continue as new")


async def task_builds(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """The build of the worker that completed each of the run's workflow tasks, in order."""
    assert handle.run_id is not None
    history = await handle.fetch_history()
    return [
        e.workflow_task_completed_event_attributes.deployment_version.build_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]


async def test_journeys_stay_on_their_build_and_commitments_move_at_continue_as_new(
    versioned_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    client, env = versioned_env.client, versioned_env
    await seed_fellow(pool)
    services = services_for(pool)
    pinned = VersioningBehavior.VERSIONING_BEHAVIOR_PINNED

    with pytest.raises(DeploymentRefused, match="no worker has joined"):
        await describe(client, DEPLOYMENT)

    async with build_worker(client, services, task_queue, deployment=build("a")):
        # The first versioned worker of a deployment: its build becomes current.
        assert await current_or_promote(client, DEPLOYMENT, "a", identity="test") == "a"
        first_run, current = await start(client, env, task_queue, FELLOW)
        assert await pinned_to(first_run) == ("a", pinned)

        async with build_worker(client, services, task_queue, deployment=build("b")):
            assert await eventually_promote(client, "b") == "a"
            assert await current_or_promote(client, DEPLOYMENT, "c", identity="test") == "b"
            with pytest.raises(DeploymentRefused, match="Start its workers first"):
                await promote(client, DEPLOYMENT, "c", identity="test")  # nobody runs C
            state = await describe(client, DEPLOYMENT)
            assert state.current == "b"
            assert {b.build_id: b.status for b in state.builds} == {"a": "draining", "b": "current"}

            # A journey started now runs on B; the running one stays on A.
            newer, _ = await start(client, env, task_queue, FELLOW)
            assert await pinned_to(newer) == ("b", pinned)
            assert await pinned_to(first_run) == ("a", pinned)

            # An HR change reaches the first run on A; past the history the server allows, it
            # continues as new, and the next run starts on the current build, B.
            moved = HrEvent(
                change=HrChange.SCHOOL_TRANSFER,
                effective_on=await local_today(env),
                school_id=OTHER_SCHOOL,
            )
            before = len(await task_builds(first_run))
            await current.execute_update(ServiceCommitment.hr_event, moved)
            await closed_as_continued(first_run)
            await keep_history(first_run, RECORDED)
            builds_of_first_run = await task_builds(first_run)
            assert len(builds_of_first_run) > before  # tasks after B became current...
            assert set(builds_of_first_run) == {"a"}  # ... went to A
            next_run = client.get_workflow_handle(
                current.id, run_id=(await current.describe()).run_id
            )
            assert next_run.run_id != first_run.run_id
            assert await pinned_to(next_run) == ("b", pinned)
            assert set(await task_builds(next_run)) == {"b"}
            status = await current.query(ServiceCommitment.status)
            assert status.school_id == OTHER_SCHOOL  # the state came along
            assert await drained_to(client, {"a": 0, "b": 2})  # A's workers may stop now

            # The operator's view, and a rollback: A is current again for new journeys, and
            # the journeys on B stay there.
            shown = await operator(env, "deploy", "status")
            assert shown.returncode == 0, shown.stderr
            rows = [
                [cell.strip() for cell in line.split("│")[1:-1]]
                for line in shown.stdout.splitlines()
                if line.startswith("│")
            ]
            assert [(row[0], row[3]) for row in rows] == [("b", "2"), ("a", "0")]
            assert rows[0][1] == "current"
            assert "new journeys start on: b" in shown.stdout
            back = await operator(env, "deploy", "promote", "a")
            assert back.stdout.strip() == f"current build of {DEPLOYMENT}: a (was b)", back.stderr
            rolled_back, _ = await start(client, env, task_queue, FELLOW)
            assert await pinned_to(rolled_back) == ("a", pinned)
            assert await pinned_to(newer) == ("b", pinned)


def test_versioning_is_on_unless_turned_off() -> None:
    on = deployment_config(Settings(PATHWAYS_BUILD_ID="2026.12"))
    assert on is not None
    assert on.version == WorkerDeploymentVersion("pathways", "2026.12")
    assert deployment_config(Settings(PATHWAYS_WORKER_VERSIONING=False)) is None


def test_the_local_stack_is_versioned_only_when_asked() -> None:
    assert stack_deployment(Settings()) is None
    asked = stack_deployment(Settings(PATHWAYS_WORKER_VERSIONING=True, PATHWAYS_BUILD_ID="x"))
    assert asked is not None and asked.version.build_id == "x"


def test_a_deployment_name_with_a_dot_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATHWAYS_DEPLOYMENT_NAME", "pathways.prod")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value) == (
        "PATHWAYS_DEPLOYMENT_NAME: a deployment name cannot contain '.' (got 'pathways.prod')"
    )


def test_the_default_build_id_is_the_package_version_and_commit() -> None:
    from pathways.audit import code_version

    code = code_version()
    build_id = worker_version(Settings()).build_id
    assert build_id.startswith(f"{code['version']}-")
    if code["git_commit"]:
        assert str(code["git_commit"])[:12] in build_id
    assert worker_version(Settings(PATHWAYS_BUILD_ID="2027-01-rc1")).build_id == "2027-01-rc1"


async def test_rolling_back_to_a_build_from_before_the_bulk_queue(
    versioned_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    """A build from before the bulk queue polls only the main queue. With the bulk queue empty,
    Temporal makes it current again as any other; `--allow-missing-queues` passes its check that
    every queue the current build's workers poll is polled (kept for a bulk queue with work)."""
    client, services = versioned_env.client, services_for(pool)
    bulk = f"{task_queue}-bulk"
    async with build_worker(client, services, task_queue, deployment=build("old")):
        assert await current_or_promote(client, DEPLOYMENT, "old", identity="test") == "old"
        async with (
            build_worker(client, services, task_queue, deployment=build("new")),
            build_worker(client, services, bulk, deployment=build("new")),
        ):
            assert await eventually_promote(client, "new") == "old"
            assert await promote(client, DEPLOYMENT, "old", identity="test") == "new"
            assert await promote(client, DEPLOYMENT, "new", identity="test") == "old"
            back = await promote(
                client, DEPLOYMENT, "old", identity="test", allow_missing_queues=True
            )
            assert back == "new"
            assert (await describe(client, DEPLOYMENT)).current == "old"
