"""Reading a refusal on the caller's side of Temporal: match on its code, never on its words.

A journey refuses an update in its validator (the update never enters the history) or, when
the state moved in between, in its handler. Either way the caller's `WorkflowUpdateFailedError`
has as its cause an `ApplicationError` of type "Refusal" whose message is the refusal's words
and whose first detail is its code (domain/refusals.py lists the codes):

    try:
        await handle.execute_update("record_attendance", command)
    except WorkflowUpdateFailedError as error:
        refusal = refusal_of(error)
        if refusal is not None and refusal.code == "attendance.already_recorded":
            ...
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from domain.refusals import Refusal
from workflows.steps import REFUSAL_TYPE

__all__ = ["UpdateFailure", "refusal_of", "update_failure"]


def refusal_of(error: BaseException) -> Refusal | None:
    """The refusal an error carries (its code and words), or None if it is no refusal.

    Takes what a caller catches: a refusal raised on this side (a start checked before
    contacting Temporal), a `WorkflowUpdateFailedError`, or an activity's or child's failure
    whose cause is the journey's refusal.
    """
    if isinstance(error, Refusal):
        return error
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ApplicationError) and cause.type == REFUSAL_TYPE and cause.details:
            return Refusal(cause.message, code=str(cause.details[0]))
        cause = cause.__cause__
    return None


@dataclass(frozen=True)
class UpdateFailure:
    """Why an update sent to a journey was not taken, as every interface tells its caller."""

    code: str
    """The refusal's code; `update.failed` or `temporal.unavailable` when it was not refused."""
    words: str
    refused: bool
    """True: the journey refused it (sending it again changes nothing); False: send it again."""


def update_failure(error: BaseException) -> UpdateFailure | None:
    """What an interface says when an update fails; None for an error that is not about the
    update (a bug, which keeps its traceback)."""
    refusal = refusal_of(error)
    if refusal is not None:
        return UpdateFailure(refusal.code, str(refusal), True)
    if isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError):
        return UpdateFailure(
            "temporal.unavailable",
            "the journey did not answer in time; nothing is known to have changed, so send it "
            "again",
            False,
        )
    if isinstance(error, WorkflowUpdateFailedError):
        cause = getattr(error.cause, "message", None) or str(error.cause or error)
        return UpdateFailure(
            "update.failed", f"the journey did not take it ({cause}); send it again", False
        )
    if isinstance(error, RPCError):
        return UpdateFailure(
            "temporal.unavailable",
            f"the journey has ended or Temporal did not answer: {error.message}",
            False,
        )
    return None
