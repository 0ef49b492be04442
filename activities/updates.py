"""Updates sent through the Temporal client: telling a closed run from a refusal."""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

# The server's failure type for an update accepted by a run that closed before answering it.
UPDATE_OUTLIVED_RUN = "AcceptedUpdateCompletedWorkflow"


def run_closed(error: BaseException) -> bool:
    """True if an update failed only because the workflow had closed (before it arrived, or
    while its handler ran)."""
    if isinstance(error, RPCError):
        return error.status is RPCStatusCode.NOT_FOUND
    if isinstance(error, WorkflowUpdateFailedError):
        cause = error.cause
        return isinstance(cause, ApplicationError) and cause.type == UPDATE_OUTLIVED_RUN
    return False
