"""The web app's list queries over the read models and the event log."""

from __future__ import annotations

import asyncpg


async def test_a_catalog_sheet_reads_only_the_marks_of_the_journeys_current_year(
    pool: asyncpg.Pool,
) -> None:
    """A multi-year program keeps its session ids: year 1's mark is not year 2's."""
    import uuid

    from activities.eventstore import EventStore
    from activities.progress import session_marks
    from domain.events import NewEvent

    def event(kind: str, **payload: object) -> NewEvent:
        return NewEvent(event_id=uuid.uuid4(), event_type=kind, schema_version=1,
                        payload=payload, actor="office:ana")  # fmt: skip

    stream, store = "program/induction/2027-28/p-1", EventStore(pool)
    mark = {"part_id": "pd", "session_id": "pd-sep", "status": "present", "recorded_by": "x"}
    await store.append(stream, [event("program.ProgramEnrolled", year=1),
                                event("program.SessionMarked", **mark)])  # fmt: skip
    assert await session_marks(pool, [stream], "pd", "pd-sep") == {stream: ("present", None)}
    await store.append(stream, [event("program.ProgramEnrolled", year=2)])
    assert await session_marks(pool, [stream], "pd", "pd-sep") == {}
    await store.append(stream, [event("program.SessionMarked", **{**mark, "status": "absent"})])
    assert await session_marks(pool, [stream], "pd", "pd-sep") == {stream: ("absent", None)}
