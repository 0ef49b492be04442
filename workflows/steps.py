"""Small steps every journey workflow takes the same way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.events import DomainEvent

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


def decide(decision: Decision, refusal: type[Exception]) -> list[DomainEvent]:
    """Run a domain decision with the workflow's ids. A refusal here (the state moved between
    the update's validator and its handler) fails the update with the refusal's words."""
    try:
        return decision(workflow.uuid4)
    except refusal as error:
        raise ApplicationError(str(error), type=refusal.__name__, non_retryable=True) from error


async def wait_until(done: Callable[[], bool], until: datetime) -> bool:
    """Wait for `done` until the moment `until`; True if it held."""
    remaining = (until - workflow.now()).total_seconds()
    if remaining > 0:
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(done, timeout=remaining)
    return done()
