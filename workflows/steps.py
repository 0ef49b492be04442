"""Small steps every journey workflow takes the same way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.events import DomainEvent

Decision = Callable[[Callable[[], UUID]], list[DomainEvent]]


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
