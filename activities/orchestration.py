"""Journeys that start or ask other workflows: cohort and program seats, service commitments.

A journey cannot call another workflow's update itself, so these activities do it with the
worker's client. A fellowship's cohort is started on first use (one per program), a catalog
program's seats by the first claim's update-with-start (one per program and school year);
their updates are idempotent per person, so a retried activity gets the same seat. Graduation
starts the fellow's service commitment as a workflow of its own (not a child: it runs for
years after the fellowship closes), with a deterministic id so a retry finds the one already
started.
"""

from __future__ import annotations

import contextlib
from typing import Any

from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.enrollment import start_journey
from activities.systems import Hris
from activities.updates import run_closed
from domain.catalog.seats import ClaimProgramSeat, Place, ReleaseProgramSeat, seats_id
from domain.fellowship.cohort import ClaimSeat, CohortInput, ReleaseSeat, SeatAnswer, cohort_id
from domain.pathway import StartRefused
from domain.service_commitment.start import SERVICE_COMMITMENT, ServiceCommitmentInput


class OrchestrationActivities:
    def __init__(self, client: Client, hris: Hris) -> None:
        self.client = client
        self.hris = hris

    @activity.defn(name="claim_cohort_seat")
    async def claim_seat(self, request: ClaimSeat) -> SeatAnswer:
        workflow_id = cohort_id(request.program.program_id)
        # Already running (or closed: the update below says so) is fine.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self.client.start_workflow(
                "FellowshipCohort",
                CohortInput(program=request.program),
                id=workflow_id,
                task_queue=activity.info().task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        handle = self.client.get_workflow_handle(workflow_id)
        try:
            answer: SeatAnswer = await handle.execute_update(
                "claim", request.fellow_id, result_type=SeatAnswer
            )
        except WorkflowUpdateFailedError as error:
            raise ApplicationError(
                f"the cohort refused the seat: {error.cause}", non_retryable=True
            ) from error
        except RPCError as error:
            if error.status is RPCStatusCode.NOT_FOUND:
                raise ApplicationError(
                    f"cohort {workflow_id} has closed: enrollment has ended", non_retryable=True
                ) from error
            raise
        return answer

    @activity.defn(name="release_cohort_seat")
    async def release_seat(self, request: ReleaseSeat) -> bool:
        """True if the cohort took the place back; False if the cohort had already closed."""
        handle = self.client.get_workflow_handle(cohort_id(request.program_id))
        try:
            await handle.execute_update("release", request)
        except (WorkflowUpdateFailedError, RPCError) as error:
            if run_closed(error):  # closed (or never opened): nothing left to give back
                return False
            raise
        return True

    @activity.defn(name="claim_program_seat")
    async def claim_program_seat(self, request: ClaimProgramSeat) -> Place:
        """A seat or a waitlist place from the program's seats, started by the first claim."""
        inp = request.seats
        workflow_id = seats_id(inp.program_key, inp.school_year)
        start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            "ProgramSeats",
            inp,
            id=workflow_id,
            task_queue=activity.info().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # Closed is closed: a claim after enrollment ended must not open the seats again.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        try:
            answer: Place = await self.client.execute_update_with_start_workflow(
                "claim", request, start_workflow_operation=start, result_type=Place
            )
        except WorkflowUpdateFailedError as error:
            if run_closed(error):
                raise ApplicationError(
                    f"{workflow_id} closed: enrollment has ended", non_retryable=True
                ) from error
            raise ApplicationError(
                f"the seats refused the claim: {error.cause}", non_retryable=True
            ) from error
        except WorkflowAlreadyStartedError as error:
            raise ApplicationError(
                f"{workflow_id} closed: enrollment has ended", non_retryable=True
            ) from error
        return answer

    @activity.defn(name="release_program_seat")
    async def release_program_seat(self, request: ReleaseProgramSeat) -> bool:
        """True if the seats took the place back; False if enrollment had already closed."""
        handle = self.client.get_workflow_handle(request.seats_id)
        try:
            await handle.execute_update("release", request)
        except (WorkflowUpdateFailedError, RPCError) as error:
            if run_closed(error):
                return False
            raise
        return True

    @activity.defn(name="start_service_commitment")
    async def start_service_commitment(self, inp: ServiceCommitmentInput) -> str:
        """Start the commitment through the one start path, or find it already started;
        returns its workflow id."""
        try:
            started = await start_journey(
                self.client, self.hris, SERVICE_COMMITMENT, inp, activity.info().task_queue
            )
        except StartRefused as refused:
            raise ApplicationError(
                refused.message, {"code": refused.code}, type="StartRefused", non_retryable=True
            ) from refused
        return started.workflow_id

    def activities(self) -> list[object]:
        return [
            self.claim_seat,
            self.release_seat,
            self.claim_program_seat,
            self.release_program_seat,
            self.start_service_commitment,
        ]
