"""The PostgreSQL event store: append-only, idempotent, hash-chained per stream.

Appends take one transaction-scoped advisory lock, so global positions become visible in the
order they were assigned and a reader that follows `read_all(after=...)` never skips a row that
commits late. Each row's hash is SHA-256 over the previous row's hash in the same stream and the
event's canonical bytes; `verify_stream` recomputes the chain and names the first row that
does not match. Under the same lock each row is also numbered (`log_seq`, 1..n in commit order)
and chained onto the row committed before it in any stream (`log_hash`, see `log_link`), so a
row deleted or inserted anywhere breaks the log's chain (`activities/logchain.py` checks it and
signs checkpoints of its head).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from activities.person_keys import (
    SEALED,
    PersonKeys,
    is_sealed,
    readable,
    seal_payload,
    to_seal,
)
from domain.events import DomainEvent, NewEvent, canonical_json, load_event, to_utc_iso
from domain.privacy import personal_part

APPEND_LOCK = 7_211_002
GENESIS = bytes(32)


class EventStoreError(Exception):
    """Base of the store's refusals."""


class WrongExpectedVersion(EventStoreError):
    """Another writer appended to the stream first."""


class EventIdReused(EventStoreError):
    """An event id already stands for a different event."""


@dataclass(frozen=True)
class StoredEvent:
    global_position: int
    stream_id: str
    stream_version: int
    event_id: UUID
    event_type: str
    schema_version: int
    payload: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    prev_hash: bytes
    hash: bytes
    log_seq: int = 0  # 0: exported before the log had one chain
    log_hash: bytes = b""
    stored_payload: dict[str, Any] | None = None
    """The payload as stored, when `payload` is it opened (its personal fields unsealed)."""
    erased: bool = False
    """Its personal fields show `domain.privacy.ERASED`: its person was erased."""

    @property
    def as_stored(self) -> dict[str, Any]:
        """The payload as stored (what the row's hash covers)."""
        return self.payload if self.stored_payload is None else self.stored_payload

    def to_domain(self) -> DomainEvent:
        where = f"event {self.stream_version} of {self.stream_id}"
        payload = readable(self.event_type, self.event_id, self.payload, None, where)
        return load_event(self.event_type, self.schema_version, self.event_id, payload)


@dataclass(frozen=True)
class StreamAppend:
    """Events for one stream. `expected_version` is the stream's version before the first of
    them (0 for a new stream); None appends after whatever is there."""

    stream_id: str
    events: Sequence[NewEvent]
    expected_version: int | None = None
    workflow_id: str | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    appended: int
    duplicates: int
    version: int


@dataclass(frozen=True)
class ChainVerdict:
    stream_id: str
    events_checked: int
    ok: bool
    first_bad_version: int | None = None
    first_bad_position: int | None = None
    reason: str | None = None
    head_hash: str | None = None


def event_bytes(
    *,
    stream_id: str,
    stream_version: int,
    event_id: UUID | str,
    event_type: str,
    schema_version: int,
    payload: dict[str, Any],
    metadata: dict[str, Any],
    recorded_at: datetime,
) -> bytes:
    """The canonical bytes of one stored event: what its hash covers besides the chain."""
    return canonical_json(
        {
            "stream_id": stream_id,
            "stream_version": stream_version,
            "event_id": str(event_id),
            "event_type": event_type,
            "schema_version": schema_version,
            "payload": payload,
            "metadata": metadata,
            "recorded_at": to_utc_iso(recorded_at),
        }
    ).encode("utf-8")


def chain_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    return hashlib.sha256(prev_hash + canonical).digest()


def log_link(prev_log_hash: bytes, log_seq: int, row_hash: bytes) -> bytes:
    """The log chain's hash of row number `log_seq`: it covers the row before it in commit
    order and the row's own hash (which covers its content and its stream's chain)."""
    return hashlib.sha256(prev_log_hash + log_seq.to_bytes(8, "big") + row_hash).digest()


_COLUMNS = (
    "global_position, stream_id, stream_version, event_id, event_type, schema_version, "
    "payload, metadata, recorded_at, prev_hash, hash, log_seq, log_hash"
)


def _stored(record: asyncpg.Record) -> StoredEvent:
    return StoredEvent(**dict(record))


class EventStore:
    """The event log. With `people` (the district's person keys) an append seals each event's
    personal fields with its person's key and a read opens them; without, a read returns what
    is stored (enough to verify the chains) and `to_domain` of a sealed event refuses."""

    def __init__(self, pool: asyncpg.Pool, people: PersonKeys | None = None) -> None:
        self._pool = pool
        self.people = people

    @property
    def pool(self) -> asyncpg.Pool:
        return self._pool

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | None = None,
        workflow_id: str | None = None,
        run_id: str | None = None,
    ) -> AppendResult:
        batch = StreamAppend(stream_id, events, expected_version, workflow_id, run_id)
        return (await self.append_batch([batch]))[0]

    async def append_batch(self, batches: Sequence[StreamAppend]) -> list[AppendResult]:
        """Append to several streams in one transaction: all of it lands, or none of it."""
        recorded_at = datetime.now(UTC)
        ids = [e.event_id for b in batches for e in b.events]
        if len(set(ids)) != len(ids):
            raise EventIdReused("the same event id appears twice in one append")
        given: dict[UUID, dict[str, Any]] = {}  # what sealing changed, as it was given
        if self.people is not None:
            batches, given = await self._sealed(self.people, batches)
        async with self._pool.acquire() as conn:
            try:
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", APPEND_LOCK)
                    return await _append_locked(conn, batches, recorded_at, given)
            except asyncpg.UniqueViolationError as error:
                if error.constraint_name != "events_event_id_key":
                    raise
                raise await _reused_id(conn, error, ids) from None

    async def _sealed(
        self, people: PersonKeys, batches: Sequence[StreamAppend]
    ) -> tuple[list[StreamAppend], dict[UUID, dict[str, Any]]]:
        """The batches with each personal field sealed, and the payloads sealing changed."""
        found = {
            e.event_id: sealing
            for b in batches
            for e in b.events
            if (sealing := to_seal(b.stream_id, e.event_type, e.event_id, e.payload))
        }
        if not found:
            return list(batches), {}
        keys = await people.for_writing(self._pool, {s.person for s in found.values()})

        def sealed(e: NewEvent) -> NewEvent:
            sealing = found.get(e.event_id)
            if sealing is None:
                return e
            return e.model_copy(update={"payload": seal_payload(sealing, keys[sealing.person])})

        sealed_batches = [replace(b, events=[sealed(e) for e in b.events]) for b in batches]
        return sealed_batches, {i: dict(s.payload) for i, s in found.items()}

    async def _opened(self, records: Sequence[asyncpg.Record]) -> list[StoredEvent]:
        """The stored rows as events, their personal fields opened when this store can."""
        events = [_stored(r) for r in records]
        sealed = [i for i, e in enumerate(events) if is_sealed(e.payload)]
        if self.people is None or not sealed:
            return events
        opened = await self.people.open_all(
            self._pool, ((events[i].event_type, events[i].event_id, events[i].payload)
                         for i in sealed)
        )  # fmt: skip
        for i, (payload, erased) in zip(sealed, opened, strict=True):
            events[i] = replace(
                events[i], payload=payload, stored_payload=events[i].payload, erased=erased
            )
        return events

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[StoredEvent]:
        async with self._pool.acquire() as conn:
            records = await conn.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2 "
                "ORDER BY stream_version",
                stream_id,
                from_version,
            )
        return await self._opened(records)

    async def read_all(self, after: int = 0, limit: int = 1000) -> list[StoredEvent]:
        """Events with a global position greater than `after`, in position order."""
        async with self._pool.acquire() as conn:
            records = await conn.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE global_position > $1 "
                "ORDER BY global_position LIMIT $2",
                after,
                limit,
            )
        return await self._opened(records)

    async def read_prefix(
        self, prefix: str, event_types: Sequence[str] | None = None
    ) -> list[StoredEvent]:
        """Every event of the streams whose id begins with `prefix` (of `event_types` only,
        when given), in position order."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        async with self._pool.acquire() as conn:
            records = await conn.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE stream_id LIKE $1 "
                "AND ($2::text[] IS NULL OR event_type = ANY($2)) ORDER BY global_position",
                like,
                list(event_types) if event_types is not None else None,
            )
        return await self._opened(records)

    async def iter_all(self, after: int = 0, batch_size: int = 5000) -> AsyncIterator[StoredEvent]:
        while True:
            page = await self.read_all(after, batch_size)
            for event in page:
                yield event
            if len(page) < batch_size:
                return
            after = page[-1].global_position

    async def stream_version(self, stream_id: str) -> int:
        async with self._pool.acquire() as conn:
            version = await conn.fetchval(
                "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1",
                stream_id,
            )
        return int(version)

    async def stream_ids(self, prefix: str = "") -> list[str]:
        async with self._pool.acquire() as conn:
            records = await conn.fetch(
                "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE $1 ORDER BY 1",
                prefix.replace("%", r"\%").replace("_", r"\_") + "%",
            )
        return [r["stream_id"] for r in records]

    async def verify_stream(self, stream_id: str) -> ChainVerdict:
        """Recompute the stream's hash chain and check its versions run 1..n with no gap."""
        return verify_chain(stream_id, await self.read_stream(stream_id))

    async def verify_all(self) -> list[ChainVerdict]:
        return [await self.verify_stream(s) for s in await self.stream_ids()]


def verify_chain(stream_id: str, events: Sequence[StoredEvent]) -> ChainVerdict:
    prev = GENESIS
    for expected_version, event in enumerate(events, start=1):
        reason = row_problem(event, expected_version, prev)
        if reason is not None:
            return ChainVerdict(
                stream_id,
                expected_version - 1,
                False,
                event.stream_version,
                event.global_position,
                reason,
            )
        prev = event.hash
    return ChainVerdict(stream_id, len(events), True, head_hash=prev.hex() if events else None)


def stored_hash(prev: bytes, event: StoredEvent) -> bytes:
    """The hash a stored row must carry after `prev` in its stream, from its content."""
    return chain_hash(
        prev,
        event_bytes(
            stream_id=event.stream_id,
            stream_version=event.stream_version,
            event_id=event.event_id,
            event_type=event.event_type,
            schema_version=event.schema_version,
            payload=event.as_stored,
            metadata=event.metadata,
            recorded_at=event.recorded_at,
        ),
    )


def row_problem(event: StoredEvent, expected_version: int, prev: bytes) -> str | None:
    """Why a row does not follow `prev` (the hash of the row before it in its stream) as
    version `expected_version`, or None when it does."""
    if event.stream_version != expected_version:
        return f"version {expected_version} is missing (next stored is {event.stream_version})"
    if event.prev_hash != prev:
        return "prev_hash does not match the hash of the row before it"
    if stored_hash(prev, event) != event.hash:
        return "the row's content does not match its hash (altered after it was written)"
    return None


async def _append_locked(
    conn: asyncpg.Connection,
    batches: Sequence[StreamAppend],
    recorded_at: datetime,
    given: Mapping[UUID, dict[str, Any]],
) -> list[AppendResult]:
    streams = list({b.stream_id for b in batches})
    heads = {
        r["stream_id"]: (r["stream_version"], bytes(r["hash"]))
        for r in await conn.fetch(
            "SELECT DISTINCT ON (stream_id) stream_id, stream_version, hash "
            "FROM events WHERE stream_id = ANY($1::text[]) "
            "ORDER BY stream_id, stream_version DESC",
            streams,
        )
    }
    # Only a stream that exists can already hold some of these events (a retried append). An
    # id that another stream holds is refused by the unique index when the rows are written.
    known = [e.event_id for b in batches if b.stream_id in heads for e in b.events]
    existing: dict[UUID, asyncpg.Record] = {}
    if known:
        existing = {
            r["event_id"]: r
            for r in await conn.fetch(
                "SELECT event_id, stream_id, stream_version, event_type, payload "
                "FROM events WHERE event_id = ANY($1::uuid[])",
                known,
            )
        }
    versions = {stream: version for stream, (version, _) in heads.items()}
    results, writes = [], []
    for batch in batches:
        result, write = _check(batch, existing, versions, given)
        results.append(result)
        if write.events:
            writes.append(write)
    if writes:
        chain = {stream: head for stream, (_, head) in heads.items()}
        rows = _rows(writes, chain, await log_head(conn), recorded_at)
        await conn.copy_records_to_table("events", records=rows, columns=_COPY_COLUMNS)
    return results


_COPY_COLUMNS = (
    "stream_id", "stream_version", "event_id", "event_type", "schema_version",
    "payload", "metadata", "recorded_at", "prev_hash", "hash", "log_seq", "log_hash",
)  # fmt: skip


async def _reused_id(
    conn: asyncpg.Connection, error: asyncpg.UniqueViolationError, ids: list[UUID]
) -> EventIdReused:
    """Name the event id of a refused append that another stream already holds."""
    # PostgreSQL names the key in the error's detail: "Key (event_id)=(<uuid>) already exists."
    named = re.search(r"\(event_id\)=\(([0-9a-fA-F-]{36})\)", str(error.detail or ""))
    found = await conn.fetchrow(
        "SELECT event_id, stream_id, stream_version, event_type FROM events "
        "WHERE event_id = ANY($1::uuid[]) ORDER BY global_position LIMIT 1",
        [UUID(named.group(1))] if named else ids,
    )
    if found is None:  # written and gone again: cannot happen in an append-only log
        return EventIdReused("an event id of this append is already stored")
    return _stored_as(found)


def _stored_as(found: asyncpg.Record) -> EventIdReused:
    return EventIdReused(
        f"event {found['event_id']} is already stored as {found['event_type']} "
        f"v{found['stream_version']} of stream {found['stream_id']}"
    )


@dataclass
class _LogHead:
    """The log chain's last row: its number and hash."""

    seq: int
    hash: bytes


async def log_head(conn: asyncpg.Connection) -> _LogHead:
    """The log chain's head: its last committed row (appends commit in log order under their
    lock), or the genesis of an empty log."""
    last = await conn.fetchrow(
        "SELECT log_seq, log_hash FROM events ORDER BY global_position DESC LIMIT 1"
    )
    return _LogHead(last["log_seq"], bytes(last["log_hash"])) if last else _LogHead(0, GENESIS)


@dataclass(frozen=True)
class _Write:
    """What one stream's part of an append writes: these events, after `version`."""

    batch: StreamAppend
    version: int
    events: Sequence[NewEvent]


def _check(
    batch: StreamAppend,
    existing: dict[UUID, asyncpg.Record],
    versions: dict[str, int],
    given: Mapping[UUID, dict[str, Any]],
) -> tuple[AppendResult, _Write]:
    """Decide what one stream's part of an append writes, updating `versions` as it goes."""
    stream = batch.stream_id
    version = versions.get(stream, 0)
    base = batch.expected_version
    duplicates = 0
    # Events already stored (a retried activity) must be the leading part of the batch, at
    # the same positions with the same content; the rest is appended after them.
    for index, event in enumerate(batch.events):
        found = existing.get(event.event_id)
        if found is None:
            break
        same_place = found["stream_id"] == stream and (
            base is None or found["stream_version"] == base + index + 1
        )
        same_content = found["event_type"] == event.event_type and (
            canonical_json(found["payload"]).encode("utf-8") == _canonical_payload(event.payload)
            or _same_as_given(event.event_type, found["payload"], given.get(event.event_id))
        )
        if not (same_place and same_content):
            raise _stored_as(found)
        duplicates += 1
    remaining = batch.events[duplicates:]
    for event in remaining:
        if event.event_id in existing:
            raise EventIdReused(f"event {event.event_id} is already stored out of order")
    if base is not None and remaining and version != base + duplicates:
        raise WrongExpectedVersion(
            f"stream {stream} is at version {version}, but the append expected "
            f"{base + duplicates}: another writer appended to it first"
        )
    versions[stream] = version + len(remaining)
    result = AppendResult(stream, len(remaining), duplicates, version + len(remaining))
    return result, _Write(batch, version, remaining)


def _same_as_given(event_type: str, stored: dict[str, Any], given: dict[str, Any] | None) -> bool:
    """Whether a stored event is the one given, sealed differently: stored in plain text
    before the district had a key ring, or sealed before its person was erased (their fields
    are then compared by name, the rest in full)."""
    if given is None:
        return False
    if not is_sealed(stored):
        return canonical_json(stored) == canonical_json(given)
    mine = personal_part(event_type, given)
    box = stored[SEALED]
    rest = {k: v for k, v in given.items() if k not in mine}
    kept = {k: v for k, v in stored.items() if k != SEALED}
    return box.get("fields") == sorted(mine) and canonical_json(kept) == canonical_json(rest)


async def _rows(
    writes: list[_Write], chain: dict[str, bytes], log: _LogHead, recorded_at: datetime
) -> AsyncIterator[tuple[Any, ...]]:
    """The rows to COPY, each hashed onto the one before it in its stream and numbered and
    chained onto the one before it in the log (COPY gives them positions in this order).

    Made as the COPY sends them, so PostgreSQL writes one part while the next is made; a
    payload that cannot be stored (a float) aborts the COPY and with it the append.
    """
    recorded_json = _scalar_json(to_utc_iso(recorded_at)).encode("utf-8")
    made = 0
    for write in writes:
        stream = write.batch.stream_id
        prev = chain.get(stream, GENESIS)
        envelope = _Envelope(write.batch, recorded_json)
        for version, event in enumerate(write.events, start=write.version + 1):
            payload, metadata, head = envelope.parts(event)
            digest = hashlib.sha256(b"%b%b%d}" % (prev, head, version)).digest()
            log.seq += 1
            log.hash = log_link(log.hash, log.seq, digest)
            yield (
                stream,
                version,
                event.event_id,
                event.event_type,
                event.schema_version,
                payload,
                metadata,
                recorded_at,
                prev,
                digest,
                log.seq,
                log.hash,
            )
            prev = digest
            made += 1
            if made % 2000 == 0:
                await asyncio.sleep(0)  # let the worker's other tasks run during a large append
        chain[stream] = prev


class _Envelope:
    """An event's canonical JSON: payload, metadata and the bytes its hash covers.

    Those bytes are what `event_bytes` encodes, assembled from parts already in canonical JSON:
    the envelope's keys in sorted order and each value's canonical JSON (the nested objects of
    a canonical document are themselves canonical), so they are identical. The stream version,
    the last key, is added by the caller.
    """

    def __init__(self, batch: StreamAppend, recorded_json: bytes) -> None:
        self._batch = batch
        self._tail = b"".join(
            (
                b',"recorded_at":',
                recorded_json,
                b',"schema_version":',
            )
        )
        self._stream = _scalar_json(batch.stream_id).encode("utf-8")

    def parts(self, event: NewEvent) -> tuple[bytes, bytes, bytes]:
        payload = _canonical_payload(event.payload)
        metadata = orjson.dumps(
            {
                "actor": event.actor,
                "causation_id": event.causation_id,
                "run_id": self._batch.run_id,
                "workflow_id": self._batch.workflow_id,
            }
        )
        head = b"".join(
            (
                b'{"event_id":"',
                str(event.event_id).encode("ascii"),
                b'","event_type":',
                _scalar_json(event.event_type).encode("utf-8"),
                b',"metadata":',
                metadata,
                b',"payload":',
                payload,
                self._tail,
                _scalar_json(event.schema_version).encode("utf-8"),
                b',"stream_id":',
                self._stream,
                b',"stream_version":',
            )
        )
        return payload, metadata, head


def _is_plain(value: Any) -> bool:
    """True if `value` is made only of str-keyed dicts, lists, str, int, bool and None: then
    `json.dumps` with sorted keys already gives its canonical JSON, without a conversion."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        return all(type(k) is str and _is_plain(v) for k, v in value.items())
    if kind is list:
        return all(_is_plain(v) for v in value)
    return False


_json_string: Any = getattr(json.encoder, "c_encode_basestring", None) or (
    json.encoder.py_encode_basestring
)  # what json.dumps(text, ensure_ascii=False) writes for a str


def _canonical_payload(payload: dict[str, Any]) -> bytes:
    if _is_plain(payload):
        # For plain values orjson's sorted, compact UTF-8 output is canonical_json's, byte for
        # byte (tests/test_eventstore.py checks unusual text, keys and numbers against it).
        try:
            return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # an integer beyond 64 bits, or nesting deeper than orjson goes
    return canonical_json(payload).encode("utf-8")  # decimals, dates..., or refused (floats)


def _scalar_json(value: Any) -> str:
    if type(value) is str:
        return str(_json_string(value))
    if value is None:
        return "null"
    if type(value) is int:
        return str(value)
    return canonical_json(value)
