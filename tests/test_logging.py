"""JSON logs from a real worker carry the workflow's and the activity's identity."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    import structlog

    from pathways.logs import configure_logging


@activity.defn(name="test_logging.greet")
async def greet(name: str) -> str:
    structlog.get_logger("tests.logging").info("greeting a teacher leader", teacher=name)
    activity.logger.info("greeted through the SDK logger", extra={"school": "grape-street-es"})
    return f"hello {name}"


@workflow.defn(name="TestLoggingWorkflow")
class LoggingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        workflow.logger.info("workflow is greeting", extra={"teacher": name})
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=30)
        )


@contextmanager
def captured_logs(log_format: str) -> Iterator[io.StringIO]:
    """Logging at info in `log_format`, read from the root handler's stream; console logging
    at warning again after."""
    configure_logging(log_format, "info")
    (handler,) = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    buffer = io.StringIO()
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        configure_logging("console", "warning")


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    with captured_logs("json") as buffer:
        yield buffer


def json_lines(text: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            found.append(json.loads(line))
    return found


def the_line(lines: list[dict[str, Any]], event: str) -> dict[str, Any]:
    matching = [line for line in lines if line.get("event") == event]
    assert len(matching) == 1, lines
    return matching[0]


async def test_logs_from_a_workflow_and_its_activity_carry_their_identity(
    client: Client, task_queue: str, json_logs: io.StringIO
) -> None:
    workflow_id = f"logging-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=task_queue, workflows=[LoggingWorkflow], activities=[greet]
    ):
        handle = await client.start_workflow(
            LoggingWorkflow.run, "Ana", id=workflow_id, task_queue=task_queue
        )
        assert await handle.result() == "hello Ana"
    run_id = handle.result_run_id
    assert run_id

    lines = json_lines(json_logs.getvalue())

    from_activity = the_line(lines, "greeting a teacher leader")
    assert from_activity["workflow_id"] == workflow_id
    assert from_activity["run_id"] == run_id
    assert from_activity["activity_type"] == "test_logging.greet"
    assert from_activity["workflow_type"] == "TestLoggingWorkflow"
    assert from_activity["attempt"] == 1
    assert from_activity["teacher"] == "Ana"
    assert from_activity["level"] == "info"
    assert from_activity["logger"] == "tests.logging"
    assert from_activity["timestamp"].endswith("Z")

    from_workflow = the_line(lines, "workflow is greeting")
    assert from_workflow["workflow_id"] == workflow_id
    assert from_workflow["run_id"] == run_id
    assert from_workflow["workflow_type"] == "TestLoggingWorkflow"
    assert from_workflow["level"] == "info"
    assert from_workflow["logger"] == "temporalio.workflow"
    assert from_workflow["teacher"] == "Ana"  # passed as `extra=`
    # The identity is in fields, not repeated in the message text.
    assert workflow_id not in from_workflow["event"]
    assert "namespace" not in from_workflow and "task_queue" not in from_workflow
    assert not any(key.startswith("temporal_") for key in from_workflow)

    from_sdk_activity_logger = the_line(lines, "greeted through the SDK logger")
    assert from_sdk_activity_logger["workflow_id"] == workflow_id
    assert from_sdk_activity_logger["run_id"] == run_id
    assert from_sdk_activity_logger["activity_type"] == "test_logging.greet"
    assert from_sdk_activity_logger["school"] == "grape-street-es"
    assert from_sdk_activity_logger["logger"] == "temporalio.activity"
    assert not any(key.startswith("temporal_") for key in from_sdk_activity_logger)


async def test_a_structlog_line_outside_temporal_has_no_identity(
    json_logs: io.StringIO,
) -> None:
    structlog.get_logger("tests.logging").warning("plain line", school="grape-street-es")

    line = the_line(json_lines(json_logs.getvalue()), "plain line")

    assert line["school"] == "grape-street-es"
    assert line["level"] == "warning"
    assert "workflow_id" not in line and "activity_type" not in line


async def test_info_is_filtered_at_warning_level(json_logs: io.StringIO) -> None:
    configure_logging("json", "warning")
    logging.getLogger().handlers[0].setStream(json_logs)  # type: ignore[attr-defined]

    structlog.get_logger("tests.logging").info("too quiet to show")
    structlog.get_logger("tests.logging").error("loud enough")

    events = [line["event"] for line in json_lines(json_logs.getvalue())]
    assert "too quiet to show" not in events
    assert "loud enough" in events
