"""Small steps every journey workflow takes the same way."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec
from uuid import UUID

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.events import DomainEvent
    from domain.refusals import Refusal

Decision = Callable[[Callable[[], UUID]], list[DomainEvent]]
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
