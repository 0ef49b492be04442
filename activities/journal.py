"""The activity through which workflows append their domain events to the event store."""

from __future__ import annotations

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.eventstore import EventIdReused, EventStore, WrongExpectedVersion
from domain.events import AppendEvents, AppendOutcome

log = structlog.get_logger(__name__)


class JournalActivities:
    def __init__(self, store: EventStore) -> None:
        self._store = store

    @activity.defn(name="append_events")
    async def append_events(self, request: AppendEvents) -> AppendOutcome:
        info = activity.info()
        try:
            result = await self._store.append(
                request.stream_id,
                request.events,
                expected_version=request.expected_version,
                workflow_id=info.workflow_id,
                run_id=info.workflow_run_id,
            )
        except (WrongExpectedVersion, EventIdReused) as error:
            raise ApplicationError(
                str(error), type=type(error).__name__, non_retryable=True
            ) from error
        except asyncpg.DataError as error:
            # SQLSTATE class 22 (a NUL in text or jsonb, a value out of range): the same events
            # fail the same way on every attempt, so retrying would hold the journey forever.
            raise ApplicationError(
                f"the event store cannot store the events of {request.stream_id!r}: "
                f"{error.__class__.__name__}: {error}",
                {"stream_id": request.stream_id, "sqlstate": error.sqlstate},
                type="EventNotStorable",
                non_retryable=True,
            ) from None
        log.info(
            "events appended",
            stream_id=result.stream_id,
            appended=result.appended,
            duplicates=result.duplicates,
            version=result.version,
        )
        return AppendOutcome(
            stream_id=result.stream_id,
            version=result.version,
            appended=result.appended,
            duplicates=result.duplicates,
        )
