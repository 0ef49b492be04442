"""The district's systems as workflows call them: HR look-ups, payroll and e-mail.

Each call is one activity with the same timeout and retry policy, keyed by the workflow's id so
that a retry, a crashed worker or a replay repeats the same idempotency key.

An HR answer that only a correction of HR's records puts right (`NEEDS_DATA_FIX`: a NUL in a
name, an employee or school HR does not list, a school without a principal) does not end the
journey: it waits, shown by its `waiting_on` query and its `WaitingOn` memo, asks again every
`DATA_FIX_RETRY` (after `HOURLY_ASKS` answers, every `DATA_FIX_RETRY_LATER`, so a long wait
keeps the history small) and at once on the `retry_after_fix` update, and goes on where it
stopped (`Fixes`). A journey that ends while it waits (withdrawn, or HR says the person left)
stops asking: `EndedWhileWaiting`, which the journey's `unless_ended` turns into None so that
the course that asked goes on to the journey's end. Inside an update's handler the update
fails instead, with HR's words: its caller is waiting for an answer. Payroll and e-mail
answers are not waited on: their refusals are the callers' to handle.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.external import (
        NEEDS_DATA_FIX,
        DataFixNeeded,
        EmailMessage,
        EmailReceipt,
        Employee,
        PaymentKind,
        PaymentReceipt,
        PaymentRequest,
    )
    from workflows import search

ACTIVITY_TIMEOUT = timedelta(seconds=30)
EXTERNAL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
NIL_ID = UUID(int=0)


#: Journeys that failed on such an answer before they waited for its fix replay as they ran.
WAIT_ON_DATA_FIX = "wait-on-data-fix"
#: How often a journey waiting on a fix asks again by itself (HR corrections land within a day),
#: and after the first `HOURLY_ASKS` answers.
DATA_FIX_RETRY = timedelta(hours=1)
DATA_FIX_RETRY_LATER = timedelta(days=1)
HOURLY_ASKS = 24
#: Journeys that went on asking after they ended while waiting replay as they ran.
STOP_ASKING_ONCE_ENDED = "stop-asking-once-ended"
#: Journeys that noted a wait (memo, warning) for an answer they no longer needed, because they
#: had ended before it came, replay as they ran.
STOP_BEFORE_WAITING = "stop-before-waiting"
#: Journeys that waited before they carried `WaitingOnFix` replay as they ran.
WAITING_SEARCHABLE = "waiting-on-fix-searchable"
#: The memo key a waiting journey carries (`pathways ops stuck` reads it from the list).
WAITING_ON_MEMO = "WaitingOn"

T = TypeVar("T")


class EndedWhileWaiting(ApplicationError):
    """The journey ended while it waited on a district record's fix: the answer it asked for is
    no longer needed. `JourneyWorkflow.unless_ended` catches it (an ApplicationError, so a
    look-up made without it fails the run instead of failing its workflow task forever)."""

    def __init__(self, asked: str) -> None:
        super().__init__(f"the journey ended while waiting on {asked}", type="EndedWhileWaiting")


class Fixes:
    """What a journey is waiting on, if anything (a journey workflow's `fixes`);
    `stops_asking` says when the answer is no longer needed, which ends a wait."""

    def __init__(self, stops_asking: Callable[[], bool]) -> None:
        self.waiting: DataFixNeeded | None = None
        self._searchable: str | None = None  # the `WaitingOnFix` value upserted, if any
        self._retry = False
        self._stops_asking = stops_asking

    def retry_now(self) -> None:
        self._retry = True

    async def until_fixed(self, asked: str, call: Callable[[], Awaitable[T]]) -> T:
        """`call()`'s answer, waiting for each fix its answer needs first; `EndedWhileWaiting`
        when the journey ends during such a wait, or had ended before an answer needing a fix
        came (then it never says it waits). From an update's handler, `call()` as it is:
        only the journey's own course waits."""
        if workflow.current_update_info() is not None:
            return await call()
        while True:
            self._retry = False  # a retry asked for from here on is for the next answer
            try:
                answer = await call()
            except ActivityError as error:
                cause = error.cause
                if isinstance(cause, ApplicationError) and self._waits(cause):
                    if self._stops_asking() and workflow.patched(STOP_BEFORE_WAITING):
                        self._done(asked, "journey ended while waiting on a district record")
                        raise EndedWhileWaiting(asked) from None
                    if await self._wait(asked, cause):
                        self._done(asked, "journey ended while waiting on a district record")
                        raise EndedWhileWaiting(asked) from None
                    continue
                self._done(asked, "district record no longer waited on")
                raise
            self._done(asked, "district record fixed")
            return answer

    def _done(self, asked: str, words: str) -> None:
        if self.waiting is None:
            return
        workflow.logger.info(words, extra={"record": self.waiting.record, "asked": asked})
        self.waiting = None
        workflow.upsert_memo({WAITING_ON_MEMO: None})
        if self._searchable is not None:
            self._searchable = None
            workflow.upsert_search_attributes([search.WAITING_ON.value_unset()])

    @staticmethod
    def _waits(cause: ApplicationError) -> bool:
        return cause.type in NEEDS_DATA_FIX and workflow.patched(WAIT_ON_DATA_FIX)

    async def _wait(self, asked: str, cause: ApplicationError) -> bool:
        """Wait until the next try; True when the answer stopped being needed meanwhile."""
        ids: dict[str, Any] = cause.details[0] if cause.details else {}
        now = workflow.now()
        before = self.waiting
        attempts = before.attempts + 1 if before is not None else 1
        pause = DATA_FIX_RETRY if attempts <= HOURLY_ASKS else DATA_FIX_RETRY_LATER
        self.waiting = DataFixNeeded(
            system=str(ids.get("system", "a district system")),
            record=_record(ids),
            error_type=cause.type or "ApplicationError",
            problem=cause.message,
            asked=asked,
            since=before.since if before is not None else now,
            attempts=attempts,
            next_try_at=now + pause,
        )
        workflow.upsert_memo({WAITING_ON_MEMO: self.waiting.model_dump(mode="json")})
        kind = self.waiting.error_type
        if kind != self._searchable and workflow.patched(WAITING_SEARCHABLE):
            self._searchable = kind
            workflow.upsert_search_attributes([search.WAITING_ON.value_set(kind)])
        if before is None:
            workflow.logger.warning(
                "waiting on a district record's fix",
                extra={"record": self.waiting.record, "error_type": cause.type, "asked": asked},
            )
        stops = workflow.patched(STOP_ASKING_ONCE_ENDED)
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(
                lambda: self._retry or (stops and self._stops_asking()),
                timeout=pause.total_seconds(),
            )
        return stops and self._stops_asking()


def _record(ids: dict[str, Any]) -> str:
    if "record" in ids:
        return str(ids["record"])
    for key, kind in (("employee_id", "employee"), ("school_id", "school")):
        if key in ids:
            return f"{kind} {ids[key]!r}"
    return "a record"


async def _asked(asked: str, call: Callable[[], Awaitable[T]]) -> T:
    """`call()` through the journey's `fixes` (a workflow without them fails as it did). By
    what it does, not its class: the sandbox may hold this module twice."""
    until_fixed = getattr(getattr(workflow.instance(), "fixes", None), "until_fixed", None)
    if until_fixed is None:
        return await call()
    answer: T = await until_fixed(asked, call)
    return answer


def nil_id() -> UUID:
    """The id update validators hand to domain decisions: they must not draw on the
    workflow's random stream, which only the accepted handler may advance."""
    return NIL_ID


async def employee(employee_id: str) -> Employee:
    return await _asked(
        "hris_employee",
        lambda: workflow.execute_activity(
            "hris_employee",
            employee_id,
            result_type=Employee,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=EXTERNAL_RETRY,
        ),
    )


async def principal_of(school_id: str) -> Employee:
    return await _asked(
        "hris_principal_of",
        lambda: workflow.execute_activity(
            "hris_principal_of",
            school_id,
            result_type=Employee,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=EXTERNAL_RETRY,
        ),
    )


async def pay(
    key: str, kind: PaymentKind, payee_id: str, amount_cents: int, memo: str
) -> PaymentReceipt:
    request = PaymentRequest(
        idempotency_key=key,
        kind=kind,
        payee_id=payee_id,
        amount_cents=amount_cents,
        memo=memo,
        workflow_id=workflow.info().workflow_id,
    )
    receipt: PaymentReceipt = await workflow.execute_activity(
        "request_payment",
        request,
        result_type=PaymentReceipt,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=EXTERNAL_RETRY,
    )
    return receipt


async def email(key: str, to: str, subject: str, body: str) -> EmailReceipt:
    message = EmailMessage(
        idempotency_key=key,
        to=to,
        subject=subject,
        body=body,
        workflow_id=workflow.info().workflow_id,
    )
    sent: EmailReceipt = await workflow.execute_activity(
        "send_email",
        message,
        result_type=EmailReceipt,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=EXTERNAL_RETRY,
    )
    return sent


async def send_notice(to: str, address: str, topic: str, subject: str, body: str) -> str:
    """E-mail a notice under the key `<workflow>/notice/<topic>/<to>`; returns the key."""
    key = f"{workflow.info().workflow_id}/notice/{topic}/{to}"
    await email(key, address, subject, body)
    return key
