"""The log's own hash chain and its signed checkpoints find tampering without an anchor:
each kind is named in one line, and a clean log (also one migrated from before the chain)
verifies."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activities.db import connect_pool, migrate, migrations
from activities.eventstore import (
    GENESIS,
    EventStore,
    chain_hash,
    event_bytes,
    log_link,
    stored_hash,
)
from activities.logchain import LogVerdict, verify_log, write_checkpoint
from pathways.audit_key import public_key_path_of
from tests.conftest import _with_database
from tests.test_cli import one_error_line, run
from tests.test_eventstore import new_event

KEY = Ed25519PrivateKey.generate()


async def three_journeys(pool: asyncpg.Pool) -> EventStore:
    """Streams a (3 events), b (2), c (3), appended in turns: a a b c c a b c."""
    store = EventStore(pool)
    for stream, count in (("a", 2), ("b", 1), ("c", 2), ("a", 1), ("b", 1), ("c", 1)):
        await store.append(stream, [new_event(i) for i in range(count)])
    return store


async def tamper(pool: asyncpg.Pool, *statements: str) -> None:
    """Do what the append-only triggers refuse, as someone with the owner's rights would."""
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
        await conn.execute("ALTER TABLE log_checkpoints DISABLE TRIGGER USER")
        for sql in statements:
            await conn.execute(sql)
        await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")
        await conn.execute("ALTER TABLE log_checkpoints ENABLE TRIGGER USER")


def forged_row(stream_and_version: str, hashes: str, copied_from: int) -> str:
    """An INSERT of a row copied from the one at global position `copied_from`, as another
    stream and version, with the chain columns the SQL expressions in `hashes` give."""
    return (
        "INSERT INTO events (stream_id, stream_version, event_id, event_type, schema_version, "
        "payload, metadata, recorded_at, prev_hash, hash, log_seq, log_hash) "
        f"SELECT {stream_and_version}, gen_random_uuid(), event_type, schema_version, payload, "
        f"metadata, recorded_at, {hashes} FROM events WHERE global_position = {copied_from}"
    )


async def recompute_every_hash(pool: asyncpg.Pool) -> None:
    """A careful forger: every stream's chain and the log's chain made consistent again."""
    rows = [e async for e in EventStore(pool).iter_all()]
    heads: dict[str, bytes] = {}
    log = GENESIS
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
        for seq, e in enumerate(rows, start=1):
            prev = heads.get(e.stream_id, GENESIS)
            digest = stored_hash(prev, e)
            log = log_link(log, seq, digest)
            heads[e.stream_id] = digest
            await conn.execute(
                "UPDATE events SET prev_hash = $2, hash = $3, log_seq = $4, log_hash = $5 "
                "WHERE global_position = $1",
                e.global_position,
                prev,
                digest,
                seq,
                log,
            )
        await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")


def lines(verdict: LogVerdict) -> list[str]:
    return [p.line() for p in verdict.problems]


async def test_appends_number_and_chain_every_row_in_commit_order(pool: asyncpg.Pool) -> None:
    store = await three_journeys(pool)
    rows = [e async for e in store.iter_all()]
    assert [e.log_seq for e in rows] == list(range(1, 9))
    prev = GENESIS
    for e in rows:
        assert e.log_hash == log_link(prev, e.log_seq, e.hash)
        prev = e.log_hash
    await write_checkpoint(pool, KEY)
    verdict = await verify_log(pool, KEY.public_key())
    assert verdict.ok, lines(verdict)
    assert (verdict.events_checked, verdict.streams, verdict.head_seq) == (8, 3, 8)
    assert verdict.checkpoints_checked == 1


async def test_concurrent_appends_keep_one_chain(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await asyncio.gather(
        *(store.append(f"s-{n}", [new_event(i) for i in range(5)]) for n in range(8))
    )
    verdict = await verify_log(pool, None)
    assert verdict.ok and verdict.head_seq == 40, lines(verdict)


async def test_deleting_a_streams_last_rows_breaks_the_log_chain(pool: asyncpg.Pool) -> None:
    await three_journeys(pool)
    await tamper(pool, "DELETE FROM events WHERE stream_id = 'a' AND stream_version = 3")
    assert (await EventStore(pool).verify_stream("a")).ok  # the stream alone looks fine
    assert lines(await verify_log(pool, None)) == [
        "[log.entries_missing] log entry 6 is missing (1 row(s) deleted) after c v2, "
        "global position 5, before b v2, global position 7"
    ]


async def test_deleting_a_whole_stream_breaks_the_log_chain(pool: asyncpg.Pool) -> None:
    await three_journeys(pool)
    await tamper(pool, "DELETE FROM events WHERE stream_id = 'b'")
    assert lines(await verify_log(pool, None)) == [
        "[log.entries_missing] log entry 3 is missing (1 row(s) deleted) after a v2, "
        "global position 2, before c v1, global position 4",
        "[log.entries_missing] log entry 7 is missing (1 row(s) deleted) after a v3, "
        "global position 6, before c v3, global position 8",
    ]


async def test_an_inserted_row_is_named(pool: asyncpg.Pool) -> None:
    await three_journeys(pool)
    # a row claiming an entry the log already has
    await tamper(pool, forged_row("'a', 4", "hash, hash, 5, log_hash", 6))
    verdict = await verify_log(pool, None)
    assert lines(verdict) == [
        "[stream.altered] a v4, global position 9: the row's content does not match its hash "
        "(altered after it was written)",
        "[log.entry_repeated] log entry 5 appears again at a v4, global position 9 "
        "(the log was at entry 8): a row was inserted",
    ]


async def test_a_row_appended_by_hand_without_the_log_chain_is_named(pool: asyncpg.Pool) -> None:
    await three_journeys(pool)
    await tamper(pool, forged_row("'z', 1", "prev_hash, hash, 9, hash", 1))
    problems = lines(await verify_log(pool, None))
    assert problems[-1] == (
        "[log.chain_broken] log entry 9 (z v1, global position 9) does not follow from the "
        "entry before it: a row was inserted or rewritten with its hash recomputed"
    )


async def test_a_rewrite_with_every_hash_recomputed_is_found_by_a_checkpoint(
    pool: asyncpg.Pool,
) -> None:
    await three_journeys(pool)
    signed = await write_checkpoint(pool, KEY)
    assert signed is not None
    await tamper(
        pool,
        "UPDATE events SET payload = jsonb_set(payload, '{n}', '99') WHERE global_position = 4",
    )
    assert [p.kind for p in (await verify_log(pool, KEY.public_key())).problems] == [
        "stream.altered"
    ]
    await recompute_every_hash(pool)
    unsigned = await verify_log(pool, None)  # consistent: only the signature can tell
    assert [p.kind for p in unsigned.problems] == ["checkpoint.unchecked"]
    assert lines(await verify_log(pool, KEY.public_key())) == [
        "[checkpoint.rewritten] log entry 8 no longer has the head checkpoint 1 signed on "
        f"{signed.line().split('signed ')[1].split(' by')[0]}: the log up to it was rewritten"
    ]


async def test_a_deleted_tail_of_the_log_is_found_by_a_checkpoint(pool: asyncpg.Pool) -> None:
    await three_journeys(pool)
    await write_checkpoint(pool, KEY)
    await tamper(pool, "DELETE FROM events WHERE global_position > 6")
    assert lines(await verify_log(pool, KEY.public_key())) == [
        "[checkpoint.beyond_log] checkpoint 1 signed log entry 8, but the log ends at entry 6: "
        "2 row(s) deleted from the end"
    ]


async def test_forged_and_missing_checkpoints_are_named(pool: asyncpg.Pool) -> None:
    await three_journeys(pool)
    await write_checkpoint(pool, KEY)
    await write_checkpoint(pool, KEY)
    assert await write_checkpoint(pool, KEY, only_if_moved=True) is None
    other = Ed25519PrivateKey.generate()
    forged = await write_checkpoint(pool, other)  # someone else's key
    assert forged is not None
    public = KEY.public_key()
    assert [p.kind for p in (await verify_log(pool, public)).problems] == ["checkpoint.forged"]
    assert (await verify_log(pool, public)).problems[0].text.startswith("checkpoint 3 names key ")
    await tamper(
        pool,
        "DELETE FROM log_checkpoints WHERE number = 3",
        # the audit key's id, but a head it never signed
        "UPDATE log_checkpoints SET log_hash = '\\x00' WHERE number = 2",
        "DELETE FROM log_checkpoints WHERE number = 1",
    )
    assert lines(await verify_log(pool, public)) == [
        "[checkpoint.missing] checkpoint 1 is missing (next is checkpoint 2)",
        "[checkpoint.forged] checkpoint 2's signature does not verify with the audit key: "
        "forged or altered",
    ]


async def test_an_existing_log_is_chained_by_the_migration(server_url: str) -> None:
    """A database from before the log chain: its rows get numbers and log hashes in commit
    order, verify clean, and appends go on from them."""
    name = f"pathways_old_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        pool = await connect_pool(_with_database(server_url, name))
        try:
            async with pool.acquire() as conn:
                await conn.execute(
                    "CREATE TABLE schema_migrations (version integer PRIMARY KEY, "
                    "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
                )
                for m in migrations()[:3]:
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations VALUES ($1, $2)", m.version, m.name
                    )
                await _old_rows(conn)
                assert await migrate(conn) == [m.name for m in migrations()[3:]]
            verdict = await verify_log(pool, None)
            assert verdict.ok and verdict.head_seq == 4, lines(verdict)
            await EventStore(pool).append("old-1", [new_event(9)])
            await write_checkpoint(pool, KEY)
            verdict = await verify_log(pool, KEY.public_key())
            assert verdict.ok and verdict.head_seq == 5, lines(verdict)
        finally:
            await pool.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def _old_rows(conn: asyncpg.Connection) -> None:
    """Rows as the store wrote them before the log chain: two streams, interleaved."""
    from datetime import UTC, datetime

    at = datetime(2027, 1, 15, tzinfo=UTC)
    heads: dict[str, bytes] = {}
    for stream, version in (("old-1", 1), ("old-2", 1), ("old-1", 2), ("old-2", 2)):
        e = new_event(version)
        metadata = {"actor": e.actor}
        prev = heads.get(stream, GENESIS)
        digest = chain_hash(
            prev,
            event_bytes(
                stream_id=stream,
                stream_version=version,
                event_id=e.event_id,
                event_type=e.event_type,
                schema_version=1,
                payload=e.payload,
                metadata=metadata,
                recorded_at=at,
            ),
        )
        heads[stream] = digest
        await conn.execute(
            "INSERT INTO events (stream_id, stream_version, event_id, event_type, "
            "schema_version, payload, metadata, recorded_at, prev_hash, hash) "
            "VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9)",
            stream,
            version,
            e.event_id,
            e.event_type,
            e.payload,
            metadata,
            at,
            prev,
            digest,
        )


def test_the_command_line_names_an_unknown_stream_and_what_broke(
    database_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": database_url, "PATHWAYS_DATA_DIR": str(tmp_path)}
    unknown = run("audit", "verify", "teacher-leader/2027-28/team_lead/nobody", **env)
    assert one_error_line(unknown) == (
        "error: refused: the event log holds no stream teacher-leader/2027-28/team_lead/nobody: "
        "nothing to verify [audit.unknown_stream]"
    )
    assert unknown.returncode == 1

    asyncio.run(_append_two(database_url))
    signed = run("audit", "checkpoint", "--public-key-out", str(tmp_path / "audit.pub"), **env)
    assert signed.returncode == 0, signed.stderr
    assert signed.stdout.startswith("checkpoint 1: log entry 2, head ")
    # The key was made on first use in the data folder; the auditor keeps the public half.
    key_file = tmp_path / "audit" / "signing_key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert public_key_path_of(key_file).read_bytes() == (tmp_path / "audit.pub").read_bytes()

    clean = run("audit", "verify", "--public-key", str(tmp_path / "audit.pub"), **env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.splitlines()[-1] == (
        "1 streams, 2 events verified, 0 altered; log chain of 2 entries intact; "
        "1 signed checkpoint(s) checked"
    )
    asyncio.run(_delete_last(database_url))
    broken = run("audit", "verify", "s-1", **env)
    assert broken.returncode == 1
    assert broken.stdout.splitlines()[0] == (
        "ALTERED [checkpoint.beyond_log] checkpoint 1 signed log entry 2, but the log ends at "
        "entry 1: 1 row(s) deleted from the end"
    )


async def _append_two(database_url: str) -> None:
    pool = await connect_pool(database_url)
    try:
        await EventStore(pool).append("s-1", [new_event(0), new_event(1)])
    finally:
        await pool.close()


async def _delete_last(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("ALTER TABLE events DISABLE TRIGGER USER")
        await conn.execute("DELETE FROM events WHERE log_seq = 2")
        await conn.execute("ALTER TABLE events ENABLE TRIGGER USER")
    finally:
        await conn.close()
