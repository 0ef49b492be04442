"""`pathways ops stuck` lists running journeys whose activities keep failing, from Temporal."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from pathways.commands_ops import stuck_activities
from tests.test_cli import run_against


@activity.defn(name="test_ops.look_up")
async def look_up(employee_id: str) -> str:
    if employee_id == "e-down":
        raise ConnectionRefusedError(111, "the HR system is down")
    return employee_id


@workflow.defn(name="TestOpsWorkflow")
class LookUpWorkflow:
    @workflow.run
    async def run(self, employee_id: str) -> str:
        found: str = await workflow.execute_activity(
            look_up,
            employee_id,
            start_to_close_timeout=timedelta(seconds=5),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=100), maximum_interval=timedelta(seconds=1)
            ),
        )
        await workflow.wait_condition(lambda: False)  # a journey that waits for people
        return found


async def test_stuck_lists_only_activities_that_keep_failing(dev_env: WorkflowEnvironment) -> None:
    client, queue = dev_env.client, f"ops-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[LookUpWorkflow],
        activities=[look_up],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        for employee in ("e-down", "e-fine"):
            await client.start_workflow(
                LookUpWorkflow.run, employee, id=f"ops/{queue}/{employee}", task_queue=queue
            )
        query = f"TaskQueue = '{queue}'"
        for _ in range(100):
            found = await stuck_activities(client, min_attempts=3, query=query)
            if found:
                break
            await asyncio.sleep(0.1)
        (stuck,) = found
        assert stuck.workflow_id == f"ops/{queue}/e-down"
        assert (stuck.workflow_type, stuck.activity_type) == ("TestOpsWorkflow", "test_ops.look_up")
        assert stuck.attempt >= 3
        assert "the HR system is down" in stuck.last_error
        assert await stuck_activities(client, min_attempts=1000, query=query) == []

        listed = await run_against(dev_env, "ops", "stuck", "--query", query, "--json")
        assert listed.returncode == 0, listed.stderr
        assert [s["workflow_id"] for s in json.loads(listed.stdout)] == [stuck.workflow_id]
        table = await run_against(dev_env, "ops", "stuck", "--query", query)
        assert "test_ops.look_up" in table.stdout
        assert "the HR system is down" in table.stdout.replace("\n", " ")
        for employee in ("e-down", "e-fine"):
            await client.get_workflow_handle(f"ops/{queue}/{employee}").terminate("test over")
