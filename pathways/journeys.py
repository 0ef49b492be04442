"""Starting journeys and telling them what HR reports, from the client side (CLI, HR feeds,
the demo, tests). Every start goes through `activities.enrollment.start_journey`; the typed
helpers here build each pathway's input and hand back a typed handle."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError

from activities.enrollment import check_hr_news, start_journey
from activities.systems import Hris
from domain import registry
from domain.aspiring_principals.journey import AspiringNomination, AspiringStatus
from domain.aspiring_principals.program import AspiringPrincipalsYear
from domain.aspiring_principals.start import ASPIRING_PRINCIPAL, AspiringInput
from domain.external import DataFixNeeded
from domain.fellowship.journey import FellowshipApplication, FellowshipStatus
from domain.fellowship.program import FellowshipProgram
from domain.fellowship.start import FELLOWSHIP, FellowshipInput
from domain.hr import HrNews
from domain.program import ProgramYear
from domain.teacher_leader.journey import Application, JourneyStatus
from domain.teacher_leader.start import TEACHER_LEADER, TeacherLeaderInput
from workflows.aspiring_principal import AspiringPrincipalJourney
from workflows.fellowship import FellowshipJourney
from workflows.teacher_leader import TeacherLeaderJourney

TeacherLeaderHandle = WorkflowHandle[TeacherLeaderJourney, JourneyStatus]


async def start_teacher_leader(
    client: Client,
    hris: Hris,
    program: ProgramYear,
    application: Application,
    task_queue: str,
    *,
    now: datetime | None = None,
) -> tuple[TeacherLeaderHandle, bool]:
    """Start one journey, or find the one already started for this teacher, role and year.
    Returns the handle and whether this call started it."""
    inp = TeacherLeaderInput(program=program, application=application)
    started = await start_journey(client, hris, TEACHER_LEADER, inp, task_queue, now=now)
    handle: Any = started.handle
    return handle, started.created


async def start_fellowship(
    client: Client,
    hris: Hris,
    program: FellowshipProgram,
    application: FellowshipApplication,
    task_queue: str,
    *,
    now: datetime | None = None,
) -> tuple[WorkflowHandle[FellowshipJourney, FellowshipStatus], bool]:
    """Start one fellow's journey, or find the one already started for this program."""
    inp = FellowshipInput(program=program, application=application)
    started = await start_journey(client, hris, FELLOWSHIP, inp, task_queue, now=now)
    handle: Any = started.handle
    return handle, started.created


async def start_aspiring(
    client: Client,
    hris: Hris,
    year: AspiringPrincipalsYear,
    nomination: AspiringNomination,
    task_queue: str,
    *,
    now: datetime | None = None,
) -> tuple[WorkflowHandle[AspiringPrincipalJourney, AspiringStatus], bool]:
    """Start one aspiring principal's year, or find the one already started."""
    inp = AspiringInput(year=year, nomination=nomination)
    started = await start_journey(client, hris, ASPIRING_PRINCIPAL, inp, task_queue, now=now)
    handle: Any = started.handle
    return handle, started.created


@dataclass(frozen=True)
class Told:
    workflow_id: str
    workflow_type: str
    refused: str | None = None  # why the journey refused it, if it did


async def tell_open_journeys(client: Client, hris: Hris, news: HrNews) -> list[Told]:
    """HR reported a change: every open journey of the employee hears it in its own terms (the
    registry's `hears`); a journey that refuses it is named with its reason and the others
    still hear it. A change no journey may hear (a transfer to a school HR does not list,
    `domain.hr.check_hr_change`) is refused before any does. Needs visibility (a dev server or
    a cluster), which finds journeys by `EmployeeId`."""
    await check_hr_news(hris, news.change, news.school_id)
    told: list[Told] = []
    query = f"EmployeeId = '{news.employee_id}' AND ExecutionStatus = 'Running'"
    async for execution in client.list_workflows(query):
        pathway = registry.by_workflow_type(execution.workflow_type)
        update = pathway.hears(news) if pathway else None
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


async def record_separation_everywhere(
    client: Client,
    hris: Hris,
    employee_id: str,
    effective_on: date,
    reason: str,
    *,
    task_queue: str = "pathways",
    event_id: str | None = None,
    source: str = "hris",
    wait_seconds: float = 60,
) -> list[Told]:
    """HR: an employee left the district. The separation goes to the employee's career (one
    HR event, applied once), which tells every journey it follows, exactly (no search); this
    waits until each has answered and returns what each said."""
    from activities.careers import submit_hr_event
    from domain.career.career import CareerTimeline, HrEvent, HrEventKind, SubmitHrEvent

    event = HrEvent(
        event_id=event_id or f"separation:{employee_id}:{effective_on}",
        employee_id=employee_id, kind=HrEventKind.SEPARATION, effective_on=effective_on,
        reason=reason or None,
    )  # fmt: skip
    answer = await submit_hr_event(client, SubmitHrEvent(event=event, source=source), task_queue)
    career = client.get_workflow_handle(answer.career_id)
    timeline = await career.query("timeline", result_type=CareerTimeline)
    for _ in range(int(wait_seconds / 0.1)):
        if timeline.telling == 0:
            break
        await asyncio.sleep(0.1)
        timeline = await career.query("timeline", result_type=CareerTimeline)
    told: list[Told] = []
    entries = {j.journey_id: j for j in timeline.journeys}
    for journey_id in answer.journeys_told:
        entry = entries.get(journey_id)
        refused = entry.refused.get(event.event_id) if entry else None
        told.append(Told(journey_id, registry.by_journey_id(journey_id).workflow_type, refused))
    return told


@dataclass(frozen=True)
class WaitingOnFix:
    """A running journey waiting on a fix of a district record, as Temporal lists it."""

    journey_id: str
    employee_id: str
    school_id: str
    fix: DataFixNeeded


async def journeys_waiting_on_fixes(
    client: Client, *, limit: int = 500
) -> tuple[list[WaitingOnFix], bool]:
    """Running journeys carrying `WaitingOnFix` (one visibility query, no query to each): the
    `limit` that have waited longest, and whether more wait. A
    journey whose memo cannot be read is left out with a warning. Journeys that began waiting
    on a build from before the attribute carry only the memo (`pathways ops stuck` reads every
    running journey's memo and lists those too)."""
    from datetime import timedelta

    from domain.pathway import WAITING_ON_FIX
    from pathways.logs import get_logger
    from workflows import search
    from workflows.district import WAITING_ON_MEMO

    query = f"{WAITING_ON_FIX} IS NOT NULL AND ExecutionStatus = 'Running'"
    found: list[WaitingOnFix] = []
    # All of them, so the longest waits are the ones shown (visibility lists the newest first).
    async for w in client.list_workflows(query, rpc_timeout=timedelta(seconds=10)):
        try:
            memo = await w.memo()
            fix = DataFixNeeded.model_validate(memo[WAITING_ON_MEMO])
        except KeyError:
            continue  # the fix came between the list and now
        except Exception as error:  # a memo of another shape, or sealed with a key not here
            get_logger("journeys").warning(
                "a waiting journey's memo could not be read", workflow_id=w.id, error=str(error)
            )
            continue
        attributes = w.typed_search_attributes
        found.append(
            WaitingOnFix(
                journey_id=w.id,
                employee_id=attributes.get(search.EMPLOYEE_ID) or "",
                school_id=attributes.get(search.SCHOOL_ID) or "",
                fix=fix,
            )
        )
    found.sort(key=lambda w: (w.fix.since, w.journey_id))
    return found[:limit], len(found) > limit


__all__ = [
    "TeacherLeaderHandle",
    "Told",
    "WaitingOnFix",
    "journeys_waiting_on_fixes",
    "record_separation_everywhere",
    "start_aspiring",
    "start_fellowship",
    "start_teacher_leader",
    "tell_open_journeys",
]


async def waiting_on(handle: WorkflowHandle[Any, Any]) -> DataFixNeeded | None:
    """The district record the journey waits to see corrected (its `waiting_on` query); None
    when it waits on nothing, has closed, or runs a build from before journeys waited."""
    try:
        fix: DataFixNeeded | None = await handle.query(
            "waiting_on",
            result_type=DataFixNeeded | None,  # type: ignore[arg-type]
        )
    except (RPCError, WorkflowQueryFailedError):
        return None
    return fix
