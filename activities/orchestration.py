"""Journeys that start or ask other workflows: cohort seats and service commitments.

A fellow's journey cannot call another workflow's update itself, so these activities do it
with the worker's client. The cohort is started on first use (one per program); its updates
are idempotent per fellow, so a retried activity gets the same seat. Graduation starts the
fellow's service commitment as a workflow of its own (not a child: it runs for years after the
fellowship closes), with a deterministic id so a retry finds the one already started.
"""

from __future__ import annotations

import contextlib

from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.enrollment import start_journey
from activities.systems import Hris
from activities.updates import run_closed
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
        return [self.claim_seat, self.release_seat, self.start_service_commitment]
