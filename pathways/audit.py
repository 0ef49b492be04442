"""Reading what a workflow history says it appended to the event log."""

from __future__ import annotations

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from domain.events import AppendEvents, NewEvent
from pathways.temporal import DATA_CONVERTER
from workflows.journal import APPEND_EVENTS


async def appended_in_history(history: WorkflowHistory) -> list[NewEvent]:
    """The events of every `append_events` activity the history scheduled, in order."""
    events: list[NewEvent] = []
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            continue
        attributes = event.activity_task_scheduled_event_attributes
        if attributes.activity_type.name != APPEND_EVENTS:
            continue
        (request,) = await DATA_CONVERTER.decode(attributes.input.payloads, [AppendEvents])
        events.extend(request.events)
    return events
