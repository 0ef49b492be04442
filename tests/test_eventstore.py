from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from activities.eventstore import (
    EventIdReused,
    EventStore,
    StreamAppend,
    WrongExpectedVersion,
)
from domain.events import NewEvent


def new_event(n: int = 0, **payload: object) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        event_type="TestHappened",
        schema_version=1,
        payload={"n": n, "at": "2027-01-15T08:00:00Z", **payload},
        actor="tester",
        causation_id=f"cmd-{n}",
    )


async def test_append_and_read_stream_in_order(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    events = [new_event(i) for i in range(3)]
    result = await store.append("s-1", events, expected_version=0, workflow_id="wf", run_id="r")
    assert (result.appended, result.duplicates, result.version) == (3, 0, 3)
    stored = await store.read_stream("s-1")
    assert [e.stream_version for e in stored] == [1, 2, 3]
    assert [e.event_id for e in stored] == [e.event_id for e in events]
    assert stored[0].metadata == {
        "workflow_id": "wf",
        "run_id": "r",
        "actor": "tester",
        "causation_id": "cmd-0",
    }
    assert stored[1].prev_hash == stored[0].hash
    assert (await store.verify_stream("s-1")).ok


async def test_retried_append_writes_nothing_twice(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    events = [new_event(i) for i in range(2)]
    await store.append("s-1", events, expected_version=0)
    again = await store.append("s-1", events, expected_version=0)
    assert (again.appended, again.duplicates, again.version) == (0, 2, 2)
    # A retry that carries one more event appends only the new one.
    extended = await store.append("s-1", [*events, new_event(2)], expected_version=0)
    assert (extended.appended, extended.duplicates, extended.version) == (1, 2, 3)
    assert await store.stream_version("s-1") == 3


async def test_concurrent_duplicate_appends_store_one_copy(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    events = [new_event(i) for i in range(5)]
    results = await asyncio.gather(
        *(store.append("s-1", events, expected_version=0) for _ in range(8))
    )
    assert sorted(r.appended for r in results) == [0] * 7 + [5]
    assert len(await store.read_stream("s-1")) == 5
    assert (await store.verify_stream("s-1")).ok


async def test_version_conflict_is_refused_with_a_clear_error(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await store.append("s-1", [new_event(1)], expected_version=0)
    with pytest.raises(WrongExpectedVersion, match="stream s-1 is at version 1, but the append"):
        await store.append("s-1", [new_event(2)], expected_version=0)
    assert await store.stream_version("s-1") == 1


async def test_an_event_id_cannot_stand_for_another_event(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    first = new_event(1)
    await store.append("s-1", [first], expected_version=0)
    forged = first.model_copy(update={"payload": {"n": 99}})
    with pytest.raises(EventIdReused):
        await store.append("s-1", [forged], expected_version=0)
    with pytest.raises(EventIdReused, match=f"event {first.event_id} is already stored as .* s-1"):
        await store.append("s-2", [first], expected_version=0)
    assert await store.stream_version("s-2") == 0
    # A retry of s-1 together with a new stream reusing s-1's id: the reused id is named.
    later = new_event(2)
    await store.append("s-1", [later], expected_version=1)
    with pytest.raises(EventIdReused, match=f"event {later.event_id} is already stored as"):
        await store.append_batch(
            [StreamAppend("s-1", [first], expected_version=0), StreamAppend("s-3", [later])]
        )


async def test_a_payload_that_cannot_be_stored_leaves_the_whole_append_undone(
    pool: asyncpg.Pool,
) -> None:
    store = EventStore(pool)
    good = [new_event(i) for i in range(3)]
    bad = new_event(9).model_copy(update={"payload": {"amount": 1.5}})
    with pytest.raises(TypeError, match="floats are not allowed"):
        await store.append_batch(
            [StreamAppend("s-1", good, expected_version=0), StreamAppend("s-2", [bad])]
        )
    assert await store.stream_version("s-1") == 0
    assert await store.stream_version("s-2") == 0
    assert (await store.append("s-1", good, expected_version=0)).appended == 3


async def test_batch_append_is_one_transaction(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await store.append("s-2", [new_event(0)], expected_version=0)
    batches = [
        StreamAppend("s-1", [new_event(1), new_event(2)], expected_version=0),
        StreamAppend("s-2", [new_event(3)], expected_version=0),  # conflicts: s-2 is at 1
    ]
    with pytest.raises(WrongExpectedVersion):
        await store.append_batch(batches)
    assert await store.stream_version("s-1") == 0
    ok = await store.append_batch(
        [
            StreamAppend("s-1", [new_event(1), new_event(2)], expected_version=0),
            StreamAppend("s-2", [new_event(3)], expected_version=1),
        ]
    )
    assert [r.version for r in ok] == [2, 2]


async def test_read_all_is_in_global_order_after_a_position(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)

    async def writer(stream: str) -> None:
        for i in range(10):
            await store.append(stream, [new_event(i)])

    await asyncio.gather(*(writer(f"s-{k}") for k in range(5)))
    everything = await store.read_all(after=0, limit=1000)
    positions = [e.global_position for e in everything]
    assert len(everything) == 50
    assert positions == sorted(positions)
    tail = await store.read_all(after=positions[19], limit=1000)
    assert [e.global_position for e in tail] == positions[20:]
    streamed = [e.global_position async for e in store.iter_all(after=0, batch_size=7)]
    assert streamed == positions


async def test_verification_names_a_row_altered_by_sql(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await store.append("s-1", [new_event(i) for i in range(4)], expected_version=0)
    async with pool.acquire() as conn:
        # The log refuses ordinary rewrites; someone with the rights to disable that tampers.
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute("UPDATE events SET payload = '{\"n\": 7}' WHERE stream_version = 3")
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await conn.execute(
            "UPDATE events SET payload = jsonb_set(payload, '{n}', '700') "
            "WHERE stream_id = 's-1' AND stream_version = 3"
        )
    verdict = await store.verify_stream("s-1")
    assert not verdict.ok
    assert verdict.first_bad_version == 3
    assert verdict.reason is not None and "altered" in verdict.reason


async def test_verification_names_a_missing_version(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await store.append("s-1", [new_event(i) for i in range(4)], expected_version=0)
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await conn.execute("DELETE FROM events WHERE stream_id = 's-1' AND stream_version = 2")
    verdict = await store.verify_stream("s-1")
    assert (verdict.ok, verdict.first_bad_version) == (False, 3)
    assert verdict.reason is not None and "version 2 is missing" in verdict.reason


async def test_timestamps_and_unicode_survive_the_round_trip(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    event = new_event(1, name="Anavelen Macías", amount="1500.00")
    await store.append("s-1", [event], expected_version=0)
    (stored,) = await store.read_stream("s-1")
    assert stored.payload["name"] == "Anavelen Macías"
    assert stored.recorded_at.tzinfo is not None
    assert stored.recorded_at <= datetime.now(UTC)
    assert (await store.verify_stream("s-1")).ok


def _nested(depth: int) -> object:
    value: object = {"leaf": True}
    for _ in range(depth):
        value = [value]
    return value


async def test_the_chain_covers_the_canonical_bytes_of_any_payload(pool: asyncpg.Pool) -> None:
    from datetime import date
    from decimal import Decimal

    from activities.eventstore import GENESIS, chain_hash, event_bytes
    from domain.events import canonical_json

    store = EventStore(pool)
    payloads: list[dict[str, object]] = [
        {"é": 'naïve \u2028 "quoted" \\ tab\t', "b": [1, {"z": None, "a": True}], "a": -5},
        {"big": 10**30, "empty": {}, "list": [], "flag": False},
        {"amount": Decimal("1.50"), "on": date(2027, 1, 15), "tags": ["x"]},
        # keys that sort differently by code point than by ASCII case, control characters,
        # characters outside the BMP, and integers at and beyond 64 bits
        {"z": 1, "é": 2, "€": 3, "😀": 4, "Z": 5, "a": 6, "ab": 7, "": 8},
        {"text": "\x01\x1f\x7f\x80 \u2029 \ufeff 😀 \\u0041 </script>"},
        {"max": 2**63 - 1, "min": -(2**63), "over": 2**64, "under": -(2**63) - 1},
        {"deep": _nested(300)},
    ]
    events = [
        NewEvent(
            event_id=uuid.uuid4(),
            event_type='Tést"Happened',
            schema_version=2,
            payload=p,
            actor="office:josé",
            causation_id=None if i else "upd-1",
        )
        for i, p in enumerate(payloads)
    ]
    await store.append("stream/ü", events, workflow_id='wf "1"', run_id=None)

    stored = await store.read_stream("stream/ü")
    prev = GENESIS
    for event, row in zip(events, stored, strict=True):
        assert row.payload == json.loads(canonical_json(event.payload))
        metadata = {"workflow_id": 'wf "1"', "run_id": None, "actor": "office:josé",
                    "causation_id": event.causation_id}  # fmt: skip
        assert row.metadata == metadata
        assert row.hash == chain_hash(
            prev,
            event_bytes(
                stream_id="stream/ü", stream_version=row.stream_version, event_id=event.event_id,
                event_type=event.event_type, schema_version=2, payload=event.payload,
                metadata=metadata, recorded_at=row.recorded_at,
            ),
        )  # fmt: skip
        prev = row.hash
    assert (await store.verify_stream("stream/ü")).ok
