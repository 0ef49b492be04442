"""The one way a journey of any pathway starts: checked against HR, then started once.

The CLI, HR rosters, graduation into a service commitment and every later interface call
`start_journey`. Before anything reaches Temporal it asks HR for the employee (and the school,
where the pathway's start names one) and runs the pathway's own start rules; a refusal is a
`StartRefused` with a stable code and one line, and no workflow is started. The journey id is
the pathway's deterministic scheme and a closed id is never reused, so HR retries and double
clicks land on the journey already started. Every journey starts with the same six search
attributes, so `EmployeeId = '...'` finds all of a person's journeys, and joins its employee's
career (`workflows.career`) first, which then tells it every HR change without a visibility
query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    Priority,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.careers import join_career
from activities.systems import EmployeeNotFound, ExternalDataInvalid, Hris, SchoolNotFound
from domain.career.career import JoinJourney
from domain.external import School
from domain.hr import HrChange, check_hr_change, school_named
from domain.pathway import JourneyAttributes, Pathway, StartRefused


@dataclass(frozen=True)
class Started:
    pathway: str
    workflow_id: str
    created: bool
    """False when the journey already existed (running or closed): nothing new started."""
    handle: WorkflowHandle[Any, Any]


def typed_attributes(attributes: JourneyAttributes) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(SearchAttributeKey.for_keyword(name), value)
            for name, value in attributes.by_name().items()
            if value
        ]
    )


async def check_start(
    hris: Hris, pathway: Pathway[Any], inp: Any, now: datetime | None = None
) -> JourneyAttributes:
    """Everything that must hold before `inp` may start; returns the journey's attributes."""
    now = now or datetime.now(UTC)
    if pathway.check_input is not None:
        pathway.check_input(inp, now)
    employee_id = pathway.employee_of(inp)
    named = pathway.person_of(inp)
    try:
        employee = named or await hris.employee(employee_id)
    except EmployeeNotFound as error:
        raise StartRefused(code="start.unknown_employee", message=error.message) from None
    except ExternalDataInvalid as error:
        raise StartRefused(code="start.invalid_hr_record", message=error.message) from None
    school_id = pathway.school_of(inp)
    if school_id is not None:
        try:
            await hris.school(school_id)
        except SchoolNotFound as error:
            raise StartRefused(code="start.unknown_school", message=error.message) from None
        except ExternalDataInvalid as error:
            raise StartRefused(code="start.invalid_hr_record", message=error.message) from None
        if employee.school_id != school_id:
            listed = f"at {employee.school_id}" if employee.school_id else "at no school"
            raise StartRefused(
                code="start.school_mismatch",
                message=f"HR lists {employee_id} {listed}, not at {school_id}; apply with the "
                "school HR lists, or ask HR to record the transfer first",
            )
    pathway.check_start(inp, employee, now)
    return pathway.attributes(inp, employee)


async def start_journey(
    client: Client,
    hris: Hris,
    pathway: Pathway[Any],
    inp: Any,
    task_queue: str,
    *,
    now: datetime | None = None,
    priority: Priority = Priority.default,
) -> Started:
    """Check `inp` against HR and the pathway's rules, then start its journey once.

    `priority` is the journey's for its whole life: its workflow tasks and activities inherit
    it (a bulk start gives its journeys `BULK_PRIORITY`, see `pathways.roster`)."""
    attributes = await check_start(hris, pathway, inp, now)
    workflow_id = pathway.journey_id(inp)
    if pathway.person_of(inp) is None:  # parents and students have no career in HR
        # Before the start, so the career can never miss a journey that runs; a journey
        # that then fails to start is recorded as ended the first time the career tells it.
        joining = JoinJourney(journey_id=workflow_id, pathway=pathway.key, started_by="start")
        await join_career(client, pathway.employee_of(inp), joining, task_queue)
    try:
        handle = await client.start_workflow(
            pathway.workflow_type,
            inp,
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=typed_attributes(attributes),
            result_type=pathway.status_type,
            priority=priority,
        )
    except WorkflowAlreadyStartedError:
        existing = client.get_workflow_handle(workflow_id, result_type=pathway.status_type)
        return Started(pathway.key, workflow_id, created=False, handle=existing)
    return Started(pathway.key, workflow_id, created=True, handle=handle)


async def check_hr_news(hris: Hris, change: HrChange, school_id: str | None) -> None:
    """`domain.hr.check_hr_change` against what HR lists: every way an HR change reaches a
    journey (one journey's command, the fan-out to all of an employee's) checks it here."""
    named = school_named(change, school_id)
    school: School | None = None
    said = ""
    if named is not None:
        try:
            school = await hris.school(named)
        except SchoolNotFound as error:
            said = error.message
    check_hr_change(change, named, school, said)
