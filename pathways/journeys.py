"""Starting and driving journeys from the client side (CLI, HR feeds, the demo, tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.program import ProgramYear
from domain.teacher_leader.journey import Application, JourneyStatus, check_application
from workflows.teacher_leader import (
    TeacherLeaderInput,
    TeacherLeaderJourney,
    journey_id,
    search_attributes_for,
)

TeacherLeaderHandle = WorkflowHandle[TeacherLeaderJourney, JourneyStatus]


async def start_teacher_leader(
    client: Client,
    program: ProgramYear,
    application: Application,
    task_queue: str,
    *,
    now: datetime | None = None,
) -> tuple[TeacherLeaderHandle, bool]:
    """Start one journey, or find the one already started for this teacher, role and year.

    Returns the handle and whether it was started by this call. HR retries and double clicks
    land on the same journey: the id is deterministic and a closed id is never reused.
    """
    check_application(program, application, now or datetime.now(UTC))
    inp = TeacherLeaderInput(program=program, application=application)
    workflow_id = journey_id(program.program_year, application.role.value, application.employee_id)
    try:
        handle = await client.start_workflow(
            TeacherLeaderJourney.run,
            inp,
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(search_attributes_for(inp)),
        )
        return handle, True
    except WorkflowAlreadyStartedError:
        existing: Any = client.get_workflow_handle_for(TeacherLeaderJourney.run, workflow_id)
        return existing, False
