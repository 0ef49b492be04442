"""A workflow's side of the event store: events wait here until an activity appends them.

The workflow is the only writer of its stream, so it knows the stream's version and passes it
as the expected version. Event ids come from `workflow.uuid4()`, so a retried or replayed
append carries the same ids and the store writes nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.events import AppendEvents, AppendOutcome, DomainEvent, NewEvent

APPEND_EVENTS = "append_events"
APPEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
    non_retryable_error_types=["WrongExpectedVersion", "EventIdReused"],
)


class Journal:
    def __init__(self, stream_id: str, version: int = 0) -> None:
        self.stream_id = stream_id
        self.version = version
        self._pending: list[NewEvent] = []
        self._lock = asyncio.Lock()

    def add(self, events: Sequence[DomainEvent], actor: str, causation_id: str | None) -> None:
        self._pending.extend(NewEvent.of(e, actor, causation_id) for e in events)

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def busy(self) -> bool:
        """Events wait to be appended, or an append is under way."""
        return bool(self._pending) or self._lock.locked()

    async def flush(self) -> None:
        """Append what is pending, in order; concurrent callers queue behind one another."""
        async with self._lock:
            if not self._pending:
                return
            batch, self._pending = self._pending, []
            try:
                outcome = await workflow.execute_activity(
                    APPEND_EVENTS,
                    AppendEvents(
                        stream_id=self.stream_id, expected_version=self.version, events=batch
                    ),
                    result_type=AppendOutcome,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=APPEND_RETRY,
                )
            except BaseException:
                self._pending[:0] = batch  # keep them, in order, for the next flush
                raise
            self.version = outcome.version
