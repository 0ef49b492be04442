"""The career's side of Temporal: joining a journey to its employee's career, and telling a
journey what HR reported.

`join_career` runs in the start path before a journey starts (signal-with-start: the first
journey or HR event of an employee creates the career). `tell_journey` is the career's activity:
it sends the pathway's update under an id made of the HR event's, so a retried activity does
not tell the journey twice, and answers what the journey said.
"""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.eventstore import EventStore
from activities.person_keys import is_erased
from activities.updates import run_closed
from domain.career.career import (
    NEVER_STARTED,
    CareerInput,
    CareerState,
    CareerTimeline,
    HrEventAnswer,
    JoinJourney,
    JourneyEnded,
    JourneyEntry,
    SubmitHrEvent,
    TellJourney,
    TellOutcome,
    career_id,
    fold_into,
    timeline_of,
)
from domain.career.nominations import AnswerNomination, Nominate
from domain.privacy import erased_status

CAREER_WORKFLOW = "Career"
#: Attempts (about 30 s with the career's backoff) before a journey that joined is taken for
#: one that never started.
NOT_STARTED_ATTEMPTS = 6


def career_start(employee_id: str, task_queue: str) -> WithStartWorkflowOperation[None, None]:
    return WithStartWorkflowOperation(
        CAREER_WORKFLOW,
        CareerInput(employee_id=employee_id),
        id=career_id(employee_id),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        task_queue=task_queue,
    )


async def join_career(
    client: Client, employee_id: str, joining: JoinJourney, task_queue: str
) -> None:
    """Signal-with-start: recorded in the career's history at once (the career exists from
    then on), with no wait on a worker, so a start costs one more call and nothing more."""
    await client.start_workflow(
        CAREER_WORKFLOW,
        CareerInput(employee_id=employee_id),
        id=career_id(employee_id),
        task_queue=task_queue,
        start_signal="join",
        start_signal_args=[joining],
    )


async def submit_hr_event(
    client: Client, submitted: SubmitHrEvent, task_queue: str
) -> HrEventAnswer:
    """Apply one HR event to its employee's career, creating the career if it is the first.
    A refusal is a `WorkflowUpdateFailedError` whose cause carries the code."""
    answer: HrEventAnswer = await client.execute_update_with_start_workflow(
        "hr_event",
        submitted,
        start_workflow_operation=career_start(submitted.event.employee_id, task_queue),
        # The content is in the id: the same event again is answered as the first time, and
        # the same id with other content reaches the career, which refuses it.
        id=f"hr:{submitted.event.event_id}:{submitted.event.digest()}",
        result_type=HrEventAnswer,
    )
    return answer


async def current_timeline(client: Client, employee_id: str) -> CareerTimeline:
    """The career's timeline, with each journey it still lists as open checked against
    Temporal now: one that has closed since the career last told it is shown with how it
    closed. Raises the RPCError of a career that does not exist."""
    timeline: CareerTimeline = await client.get_workflow_handle(career_id(employee_id)).query(
        "timeline", result_type=CareerTimeline
    )

    async def now(entry: JourneyEntry) -> JourneyEntry:
        if not entry.open:
            return entry
        try:
            described = await client.get_workflow_handle(entry.journey_id).describe()
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                return entry.model_copy(update={"open": False, "outcome": NEVER_STARTED})
            raise
        if described.status in (None, WorkflowExecutionStatus.RUNNING):
            return entry
        return entry.model_copy(update={"open": False, "outcome": described.status.name.lower()})

    journeys = await asyncio.gather(*(now(j) for j in timeline.journeys))
    return timeline.model_copy(update={"journeys": list(journeys)})


async def logged_career(store: EventStore, employee_id: str) -> CareerState:
    """The employee's career folded from the event log (their personal fields opened by the
    store, or "[erased]")."""
    state = CareerState(employee_id=employee_id)
    for e in await store.read_stream(career_id(employee_id)):
        state = fold_into(state, e.to_domain())
    return state


async def readable_timeline(client: Client, store: EventStore, employee_id: str) -> CareerTimeline:
    """The career as a door shows it: `current_timeline`, or for a person whose personal data
    is erased their career folded from the event log, each personal field "[erased]" (the
    career workflow's own copy is under the district's key, not the person's)."""
    if not await is_erased(store.pool, employee_id):
        return await current_timeline(client, employee_id)
    return erased_status(timeline_of(await logged_career(store, employee_id)))


class CareerActivities:
    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="tell_journey")
    async def tell_journey(self, tell: TellJourney) -> TellOutcome:
        handle = self.client.get_workflow_handle(tell.journey_id)
        try:
            await handle.execute_update(tell.update, tell.argument, id=f"career:{tell.hr_event_id}")
        except WorkflowUpdateFailedError as error:
            if run_closed(error):
                return await self._ended(tell.journey_id)
            cause = error.cause
            code = None
            if isinstance(cause, ApplicationError) and cause.details:
                code = str(cause.details[0])
            message = getattr(cause, "message", None) or str(cause)
            return TellOutcome(outcome="refused", detail=message, code=code)
        except Exception as error:
            if run_closed(error):
                return await self._ended(tell.journey_id)
            raise
        return TellOutcome(outcome="heard")

    async def _ended(self, journey_id: str) -> TellOutcome:
        try:
            described = await self.client.get_workflow_handle(journey_id).describe()
        except Exception as error:
            if not run_closed(error):
                raise
            # It joined its career before its start: give the start a moment to go through.
            if activity.info().attempt < NOT_STARTED_ATTEMPTS:
                raise ApplicationError(f"{journey_id} has not started (yet)") from None
            return TellOutcome(outcome="ended", detail=NEVER_STARTED)
        status = described.status.name.lower() if described.status else "closed"
        return TellOutcome(outcome="ended", detail=status)

    @activity.defn(name="tell_career")
    async def tell_career(self, ended: JourneyEnded) -> bool:
        """Signal the employee's career that a journey ended; False when there is no career
        (a journey started before careers, or directly on Temporal)."""
        handle = self.client.get_workflow_handle(career_id(ended.employee_id))
        try:
            await handle.signal("journey_ended", ended)
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True

    def activities(self) -> list[object]:
        return [self.tell_journey, self.tell_career]


async def nominate(
    client: Client, employee_id: str, nomination: Nominate, task_queue: str
) -> CareerTimeline:
    """Record a nomination on the nominee's career (created if it is the first thing to reach
    it) and invite them; a refusal is a `WorkflowUpdateFailedError` with the code."""
    timeline: CareerTimeline = await client.execute_update_with_start_workflow(
        "nominate",
        nomination,
        start_workflow_operation=career_start(employee_id, task_queue),
        result_type=CareerTimeline,
    )
    return timeline


async def answer_nomination(
    client: Client, employee_id: str, answer: AnswerNomination
) -> CareerTimeline:
    timeline: CareerTimeline = await client.get_workflow_handle(
        career_id(employee_id)
    ).execute_update("answer_nomination", answer, result_type=CareerTimeline)
    return timeline
