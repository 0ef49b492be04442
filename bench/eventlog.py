"""Scenarios 2 and 3: appending a million events to the hash-chained log, and rebuilding the
read model from them, each against what PostgreSQL can do with the same rows at best.

Each repetition uses a fresh database cloned from a migrated template on a throwaway
PostgreSQL (or on DATABASE_URL's server), so no run sees another's rows or indexes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from activities.db import connect_pool, migrate
from activities.eventstore import (
    GENESIS,
    EventStore,
    StreamAppend,
    chain_hash,
    event_bytes,
    log_link,
)
from activities.person_keys import MasterKeys, PersonKeys
from activities.readmodel import ReadModel
from bench.common import Clock, Figure, Options, Ratio, console, show
from domain.events import NewEvent, canonical_json
from pathways.config import load_settings
from pathways.demo import throwaway_database

EVENTS_PER_STREAM = 10
STREAMS_PER_APPEND = 1000  # 10,000 events per append_batch call
FULL_EVENTS = 1_000_000
BASELINE_SAMPLE = 20_000
TEMPLATE = "bench_template"


def journey_events(stream: str, n: int) -> list[NewEvent]:
    """Ten events shaped like a teacher leader's year (the types the read model projects)."""
    employee = f"e-{n:06d}"
    school = f"school-{n % 400:03d}"
    at = "2027-0{}-15T16:00:00Z"
    payloads: list[tuple[str, dict[str, Any], str]] = [
        ("ApplicationSubmitted", {"employee_id": employee, "role": "peer_coach", "cohort": None,
            "school_id": school, "program_year": "2027-28", "submitted_by": "hris"}, "hris"),
        ("ApplicantIdentified", {"full_name": f"Teacher {n}",
            "email": f"{employee}@district.example"}, "hris"),
        ("ApplicationDecided", {"outcome": "accepted", "decided_by": "office:ana", "note": "",
            "scores": {"time": 4, "mindset": 3, "skillset": 3, "experience": 3}}, "office:ana"),
        ("CommitmentRequested", {"principal_id": f"p-{n % 400:03d}",
            "principal_name": "Principal", "principal_email": "p@district.example",
            "deadline": "2027-06-01T07:00:00Z"}, "system"),
        ("CommitmentSigned", {"signer": "teacher", "signer_id": employee}, employee),
        ("CommitmentSigned", {"signer": "principal", "signer_id": f"p-{n % 400:03d}"}, "p"),
        ("JoinedInstructionalLeadershipTeam", {"school_id": school}, "system"),
        ("AttendanceRecorded", {"session_id": "summer-1", "status": "present",
            "recorded_by": "office:ana"}, "office:ana"),
        ("StipendDecided", {"paid": True, "amount_cents": 300000, "role": "peer_coach",
            "rule": "all PD attended and deliverables accepted", "reasons": []}, "system"),
        ("JourneyEnded", {"outcome": "closed"}, "system"),
    ]  # fmt: skip
    return [
        NewEvent.model_construct(
            event_id=uuid.uuid4(),
            event_type=f"teacher_leader.{kind}",
            schema_version=1,
            payload={"occurred_at": at.format(1 + i % 9), **payload},
            actor=actor,
            causation_id=None,
        )
        for i, (kind, payload, actor) in enumerate(payloads)
    ]


def chunks(total_events: int, prefix: str) -> Iterator[list[StreamAppend]]:
    streams = max(1, total_events // EVENTS_PER_STREAM)
    for first in range(0, streams, STREAMS_PER_APPEND):
        yield [
            StreamAppend(
                f"teacher-leader/{prefix}/{n}",
                journey_events(f"{prefix}/{n}", n),
                expected_version=0,
                workflow_id=f"teacher-leader/{prefix}/{n}",
                run_id="bench",
            )
            for n in range(first, min(streams, first + STREAMS_PER_APPEND))
        ]


class Databases:
    """Fresh migrated databases on one server, cloned from a template."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url

    def url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.server_url)._replace(path="/" + name))

    async def prepare(self) -> None:
        admin = await asyncpg.connect(self.server_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await admin.close()
        conn = await asyncpg.connect(self.url(TEMPLATE))
        try:
            await migrate(conn)
        finally:
            await conn.close()

    @asynccontextmanager
    async def fresh(self) -> AsyncIterator[asyncpg.Pool]:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(self.server_url)
        try:
            await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
            pool = await connect_pool(self.url(name), min_size=1, max_size=4)
            try:
                yield pool
            finally:
                await pool.close()
                await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


def bench_people_of(people: PersonKeys) -> PersonKeys:
    """The same master key with nothing unwrapped yet, as a new process starts."""
    return PersonKeys(people.master)


def bench_people() -> PersonKeys:
    """Person keys under a throwaway master key: the log as a district with a key ring keeps it."""
    return PersonKeys(MasterKeys("k1", {"k1": os.urandom(32)}))


async def append_ours(
    pool: asyncpg.Pool, total: int, prefix: str, people: PersonKeys | None = None
) -> float:
    store = EventStore(pool, people)
    clock = Clock()
    for batches in chunks(total, prefix):
        with clock:
            await store.append_batch(batches)
    return clock.seconds


async def append_copy_bound(pool: asyncpg.Pool, total: int, prefix: str) -> float:
    """COPY the same rows into an index-free copy of the table: no lookups, no chain."""
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE events_raw (LIKE events)")
        clock = Clock()
        position = 0
        recorded_at = datetime.now(UTC)
        columns = [
            "global_position", "stream_id", "stream_version", "event_id", "event_type",
            "schema_version", "payload", "metadata", "recorded_at", "prev_hash", "hash",
            "log_seq", "log_hash",
        ]  # fmt: skip
        for batches in chunks(total, prefix):
            records = []
            for batch in batches:
                metadata = canonical_json({"workflow_id": batch.workflow_id, "run_id": "bench"})
                for version, e in enumerate(batch.events, start=1):
                    position += 1
                    records.append(
                        (position, batch.stream_id, version, e.event_id, e.event_type, 1,
                         canonical_json(e.payload), metadata, recorded_at, GENESIS, GENESIS,
                         position, GENESIS)
                    )  # fmt: skip
            with clock:
                await conn.copy_records_to_table("events_raw", records=records, columns=columns)
    return clock.seconds


async def append_one_by_one(pool: asyncpg.Pool, total: int, prefix: str) -> float:
    """The naive way: compute the chains, then one INSERT per event, each committed alone."""
    clock = Clock()
    recorded_at = datetime.now(UTC)
    seq, log = 0, GENESIS
    async with pool.acquire() as conn:
        for batches in chunks(total, prefix):
            with clock:
                for batch in batches:
                    prev = GENESIS
                    for version, e in enumerate(batch.events, start=1):
                        metadata = {"workflow_id": batch.workflow_id, "run_id": "bench",
                                    "actor": e.actor, "causation_id": e.causation_id}  # fmt: skip
                        digest = chain_hash(
                            prev,
                            event_bytes(
                                stream_id=batch.stream_id, stream_version=version,
                                event_id=e.event_id, event_type=e.event_type, schema_version=1,
                                payload=e.payload, metadata=metadata, recorded_at=recorded_at,
                            ),
                        )  # fmt: skip
                        seq += 1
                        log = log_link(log, seq, digest)
                        await conn.execute(
                            "INSERT INTO events (stream_id, stream_version, event_id, event_type,"
                            " schema_version, payload, metadata, recorded_at, prev_hash, hash,"
                            " log_seq, log_hash) VALUES ($1, $2, $3, $4, $5, $6::jsonb,"
                            " $7::jsonb, $8, $9, $10, $11, $12)",
                            batch.stream_id, version, e.event_id, e.event_type, 1,
                            canonical_json(e.payload), canonical_json(metadata), recorded_at,
                            prev, digest, seq, log,
                        )  # fmt: skip
                        prev = digest
    return clock.seconds


async def rebuild_ours(pool: asyncpg.Pool, people: PersonKeys | None = None) -> tuple[float, int]:
    clock = Clock()
    with clock:
        applied = await ReadModel(pool, people=people).rebuild()
    return clock.seconds, applied


class _Sink:
    def __init__(self) -> None:
        self.bytes = 0

    async def __call__(self, data: bytes) -> None:
        self.bytes += len(data)


async def rebuild_copy_bound(pool: asyncpg.Pool) -> float:
    """The least a rebuild must move: COPY its input rows out of `events` and COPY the
    finished read-model rows into an index-free copy of its table."""
    async with pool.acquire() as conn:
        result = await conn.fetch("SELECT * FROM teacher_leader_journeys")
        rows = [tuple(r.values()) for r in result]
        columns = list(result[0].keys()) if result else []
        await conn.execute(
            "DROP TABLE IF EXISTS journeys_raw; CREATE TABLE journeys_raw "
            "(LIKE teacher_leader_journeys)"
        )
        clock = Clock()
        with clock:
            await conn.copy_from_query(
                "SELECT global_position, stream_id, event_type, payload FROM events "
                "WHERE event_type LIKE 'teacher\\_leader.%' ORDER BY global_position",
                output=_Sink(),
                format="binary",
            )
            await conn.copy_records_to_table("journeys_raw", records=rows, columns=columns)
    return clock.seconds


async def run(options: Options, scenarios: set[int]) -> None:
    total = options.size(FULL_EVENTS, smallest=EVENTS_PER_STREAM * 10)
    sample = min(total, options.size(BASELINE_SAMPLE, smallest=EVENTS_PER_STREAM * 10))
    settings = load_settings()
    async with throwaway_database(settings) as server_url:
        databases = Databases(server_url)
        await databases.prepare()
        ours = Figure("ours: EventStore.append_batch", "events/s")
        bound = Figure("upper bound: COPY, no indexes, no chain", "events/s")
        naive = Figure(
            "baseline: one INSERT per event", "events/s", note=f"{sample:,}-event sample"
        )
        rebuild = Figure("ours: ReadModel.rebuild", "events/s")
        rebuild_bound = Figure("upper bound: COPY rows out and in", "events/s")
        sealed = Figure("ours, personal fields sealed per person", "events/s")
        sealed_rebuild = Figure("ours: rebuild, personal fields opened", "events/s")
        for rep in range(options.repeat):
            console.print(f"[dim]event log: repetition {rep + 1}/{options.repeat}[/dim]")
            async with databases.fresh() as pool:
                if 2 in scenarios:
                    async with databases.fresh() as other:
                        seconds = await append_one_by_one(other, sample, f"n{rep}")
                        naive.samples.append(sample / seconds)
                        seconds = await append_copy_bound(other, total, f"c{rep}")
                        bound.samples.append(total / seconds)
                seconds = await _maybe_profiled(
                    options, rep, "append", append_ours(pool, total, f"o{rep}")
                )
                ours.samples.append(total / seconds)
                async with databases.fresh() as keyed:
                    people = bench_people()
                    seconds = await append_ours(keyed, total, f"s{rep}", people)
                    sealed.samples.append(total / seconds)
                    if 3 in scenarios:
                        await rebuild_copy_bound(keyed)  # warm, as below
                        seconds, _ = await rebuild_ours(keyed, bench_people_of(people))
                        sealed_rebuild.samples.append(total / seconds)
                if 3 in scenarios:
                    # Read the log once untimed, so that neither side is the one that finds
                    # the freshly written events outside PostgreSQL's and the OS's caches.
                    await rebuild_copy_bound(pool)
                    seconds, applied = await _maybe_profiled_rebuild(options, rep, pool)
                    # The projector reads only the event types it applies; the rate is over
                    # the whole log it brings the read model through.
                    assert 0 < applied <= total, (applied, total)
                    rebuild.samples.append(total / seconds)
                    rebuild_bound.samples.append(total / await rebuild_copy_bound(pool))
                    console.print(f"[dim]  {total / seconds:,.0f} events/s rebuilt[/dim]")
        if 2 in scenarios:
            show(
                f"2. Event append: {total:,} events over {total // EVENTS_PER_STREAM:,} streams, "
                f"{STREAMS_PER_APPEND * EVENTS_PER_STREAM:,} events per call",
                [ours, bound, naive, sealed],
                [
                    Ratio("ours / COPY bound", ours, bound),
                    Ratio("ours / one INSERT", ours, naive),
                    Ratio("sealed / ours", sealed, ours),
                ],
                [
                    "ours: idempotency lookup, stream and log heads, SHA-256 chains of the "
                    "streams and the log, three indexes;",
                    f"baseline rate measured on a {sample:,}-event sample (autocommit per event) "
                    "and compared as a rate;",
                    "sealed: the same append with person keys (2 of each journey's 10 events "
                    "carry a name or an e-mail), each person's key made on first use.",
                ],
            )
        if 3 in scenarios:
            show(
                f"3. Read-model rebuild from {total:,} events "
                f"({total // EVENTS_PER_STREAM:,} journeys)",
                [rebuild, rebuild_bound, sealed_rebuild],
                [
                    Ratio("ours / COPY bound", rebuild, rebuild_bound),
                    Ratio("opened / ours", sealed_rebuild, rebuild),
                ],
                [
                    "bound: COPY the projected columns out of events + COPY the final rows in;",
                    "opened: the same rebuild of a sealed log, every person's key unwrapped "
                    "in a new process's memory first.",
                ],
            )


async def _maybe_profiled(options: Options, rep: int, name: str, work: Any) -> float:
    if not (options.profile and rep == 0):
        return float(await work)
    from bench.profiling import profiled

    with profiled(name):
        return float(await work)


async def _maybe_profiled_rebuild(
    options: Options, rep: int, pool: asyncpg.Pool
) -> tuple[float, int]:
    if not (options.profile and rep == 0):
        return await rebuild_ours(pool)
    from bench.profiling import profiled

    with profiled("rebuild"):
        return await rebuild_ours(pool)
