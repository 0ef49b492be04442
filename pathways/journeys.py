"""Starting and driving journeys from the client side (CLI, HR feeds, the demo, tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.aspiring_principals.journey import AspiringNomination, AspiringRefusal, AspiringStatus
from domain.aspiring_principals.program import AspiringPrincipalsYear
from domain.fellowship.journey import FellowshipApplication, FellowshipRefusal, FellowshipStatus
from domain.fellowship.program import FellowshipProgram
from domain.program import ProgramYear
from domain.teacher_leader.journey import Application, JourneyStatus, check_application
from workflows.aspiring_principal import AspiringPrincipalJourney
from workflows.fellowship import FellowshipJourney
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


async def _start_once(
    client: Client, run: Any, inp: Any, workflow_id: str, task_queue: str, attributes: Any
) -> tuple[Any, bool]:
    try:
        handle = await client.start_workflow(
            run,
            inp,
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(attributes),
        )
        return handle, True
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle_for(run, workflow_id), False


async def start_fellowship(
    client: Client,
    program: FellowshipProgram,
    application: FellowshipApplication,
    task_queue: str,
    *,
    now: datetime | None = None,
) -> tuple[WorkflowHandle[FellowshipJourney, FellowshipStatus], bool]:
    """Start one fellow's journey, or find the one already started for this program."""
    from workflows.fellowship import FellowshipInput, fellowship_id
    from workflows.fellowship import search_attributes_for as fellowship_attributes

    if (now or datetime.now(UTC)) > program.selection_closes_at:
        raise FellowshipRefusal(
            f"applications to {program.program_id} closed at "
            f"{program.selection_closes_at.isoformat()}",
            code="application.closed",
        )
    inp = FellowshipInput(program=program, application=application)
    return await _start_once(
        client,
        FellowshipJourney.run,
        inp,
        fellowship_id(program.program_id, application.employee_id),
        task_queue,
        fellowship_attributes(inp),
    )


async def start_aspiring(
    client: Client,
    year: AspiringPrincipalsYear,
    nomination: AspiringNomination,
    task_queue: str,
    *,
    now: datetime | None = None,
) -> tuple[WorkflowHandle[AspiringPrincipalJourney, AspiringStatus], bool]:
    """Start one aspiring principal's year, or find the one already started."""
    from workflows.aspiring_principal import AspiringInput, aspiring_id
    from workflows.aspiring_principal import search_attributes_for as aspiring_attributes

    if (now or datetime.now(UTC)) > year.closes_at:
        raise AspiringRefusal(
            f"the {year.program_year} year closed at {year.closes_at.isoformat()}",
            code="application.closed",
        )
    inp = AspiringInput(year=year, nomination=nomination)
    return await _start_once(
        client,
        AspiringPrincipalJourney.run,
        inp,
        aspiring_id(year.program_year, nomination.employee_id),
        task_queue,
        aspiring_attributes(inp),
    )


@dataclass(frozen=True)
class Told:
    workflow_id: str
    workflow_type: str
    refused: str | None = None  # why the journey refused it, if it did


async def record_separation_everywhere(
    client: Client, employee_id: str, effective_on: date, reason: str
) -> list[Told]:
    """HR: an employee left the district. Every open journey of theirs hears it in its own
    terms; a journey that refuses it is named with its reason and the others still hear it.
    Needs visibility (a dev server or a cluster), which finds journeys by `EmployeeId`."""
    from domain.aspiring_principals.journey import WithdrawAspiring
    from domain.fellowship.journey import LeaveFellowship, LeaveKind
    from domain.service_commitment.journey import HrChange, HrEvent
    from domain.teacher_leader.journey import RecordSeparation

    commands: dict[str, tuple[str, Any]] = {
        "TeacherLeaderJourney": (
            "record_separation",
            RecordSeparation(effective_on=effective_on, reason=reason),
        ),
        "FellowshipJourney": (
            "leave",
            LeaveFellowship(
                kind=LeaveKind.SEPARATED,
                effective_on=effective_on,
                reason=reason,
                recorded_by="hris",
            ),
        ),
        "AspiringPrincipalJourney": (
            "withdraw",
            WithdrawAspiring(
                reason=f"left the district {effective_on}: {reason}", withdrawn_by="hris"
            ),
        ),
        "ServiceCommitment": (
            "hr_event",
            HrEvent(change=HrChange.SEPARATION, effective_on=effective_on, reason=reason),
        ),
    }
    told: list[Told] = []
    query = f"EmployeeId = '{employee_id}' AND ExecutionStatus = 'Running'"
    async for execution in client.list_workflows(query):
        update = commands.get(execution.workflow_type)
        if update is None:
            continue
        name, command = update
        try:
            await client.get_workflow_handle(execution.id).execute_update(name, command)
            told.append(Told(execution.id, execution.workflow_type))
        except WorkflowUpdateFailedError as error:
            cause = getattr(error.cause, "message", None) or str(error.cause)
            told.append(Told(execution.id, execution.workflow_type, cause))
        except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as error:
            # Ended since it was listed, or Temporal did not answer: name it, tell the rest.
            told.append(Told(execution.id, execution.workflow_type, str(error)))
    return told
