"""Small steps every journey workflow takes the same way."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar
from uuid import UUID

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.events import DomainEvent
    from domain.refusals import Refusal

Decision = Callable[[Callable[[], UUID]], list[DomainEvent]]
Definition = TypeVar("Definition", bound=BaseModel)

# Patch id: dates people mean (a session's day, a separation's effective date, an anniversary)
# are read in the definition's time zone. Runs started before this read them in UTC.
LOCAL_DATES = "local-dates"


def dates_as_run(definition: Definition) -> Definition:
    """The definition as this run reads calendar dates: in its own time zone, or in UTC for a
    run recorded before that change, so its replay takes the branches it took then. Call it
    once, from the workflow's init (a patch cannot be checked from a validator or a query)."""
    if workflow.patched(LOCAL_DATES):
        return definition
    return definition.model_copy(update={"time_zone": "UTC"})


P = ParamSpec("P")

# How a refusal crosses Temporal, from a validator and from a handler alike: an ApplicationError
# of this type, with the refusal's words as its message and its code as the first detail.
REFUSAL_TYPE = "Refusal"


def refused(error: Refusal) -> ApplicationError:
    return ApplicationError(str(error), error.code, type=REFUSAL_TYPE, non_retryable=True)


def refuses(validator: Callable[P, None]) -> Callable[P, None]:
    """Mark an update validator whose refusal reaches the caller with its code (without this,
    the SDK sends the exception's class name and words, and the code is lost)."""

    @functools.wraps(validator)
    def validate(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            validator(*args, **kwargs)
        except Refusal as error:
            raise refused(error) from error

    return validate


def decide(decision: Decision, refusal: type[Refusal]) -> list[DomainEvent]:
    """Run a domain decision with the workflow's ids. A refusal here (the state moved between
    the update's validator and its handler) fails the update with the refusal's code and words."""
    try:
        return decision(workflow.uuid4)
    except refusal as error:
        raise refused(error) from error


async def wait_until(done: Callable[[], bool], until: datetime) -> bool:
    """Wait for `done` until the moment `until`; True if it held."""
    remaining = (until - workflow.now()).total_seconds()
    if remaining > 0:
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(done, timeout=remaining)
    return done()
