"""The log's own hash chain and its signed checkpoints: tampering found without an anchor.

Every row carries `log_seq` (1..n in commit order) and `log_hash` (`eventstore.log_link`), so
a row deleted or inserted anywhere, a whole stream deleted, or a row rewritten with its stream's
hashes recomputed, breaks the chain where it happened. A forger who recomputes every later hash
too leaves a consistent chain; a **checkpoint** finds that: an Ed25519 signature over the
chain's head at some moment (`write_checkpoint`), made with a private key kept outside the
database. `verify_log` walks the whole log once, rechecking each stream's chain, the log's
chain and every checkpoint against the public key the auditor keeps.

Each problem is one line with a stable kind: `log.entries_missing`, `log.entry_repeated`,
`log.chain_broken`, `stream.altered`, `checkpoint.missing`, `checkpoint.forged`,
`checkpoint.beyond_log`, `checkpoint.rewritten`, `checkpoint.unchecked`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from activities.eventstore import (
    GENESIS,
    EventStore,
    StoredEvent,
    log_head,
    log_link,
    row_problem,
)
from activities.periodic import every
from domain.events import canonical_json, to_utc_iso

CHECKPOINT_LOCK = 7_211_004  # one checkpoint writer at a time (7_211_003 is the projection's)

log = structlog.get_logger(__name__)


def key_id(public_key: Ed25519PublicKey) -> str:
    """The SHA-256 of the raw public key, in hex: names the key a checkpoint was signed with."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    number: int
    log_seq: int  # the log held this many rows
    log_hash: bytes  # and this was the log_hash of the last of them (GENESIS when none)
    signed_at: datetime
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        """The bytes the signature covers."""
        return statement(self.number, self.log_seq, self.log_hash, self.signed_at)

    def line(self) -> str:
        return (
            f"checkpoint {self.number}: log entry {self.log_seq}, head {self.log_hash.hex()}, "
            f"signed {to_utc_iso(self.signed_at)} by key {self.key_id[:16]}"
        )


def statement(number: int, log_seq: int, log_hash: bytes, signed_at: datetime) -> bytes:
    return canonical_json(
        {
            "statement": "pathways event log checkpoint",
            "number": number,
            "log_seq": log_seq,
            "log_hash": log_hash.hex(),
            "signed_at": to_utc_iso(signed_at),
        }
    ).encode("utf-8")


async def write_checkpoint(
    pool: asyncpg.Pool, key: Ed25519PrivateKey, *, only_if_moved: bool = False
) -> Checkpoint | None:
    """Sign the log's current head and store the checkpoint. With `only_if_moved`, nothing is
    written (None) when the last checkpoint already covers the head."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", CHECKPOINT_LOCK)
        head = await log_head(conn)
        seq, digest = head.seq, head.hash
        last = await conn.fetchrow(
            "SELECT number, log_seq FROM log_checkpoints ORDER BY number DESC LIMIT 1"
        )
        if only_if_moved and last is not None and last["log_seq"] == seq:
            return None
        if only_if_moved and last is None and seq == 0:
            return None
        number = (last["number"] if last else 0) + 1
        # Microseconds are what PostgreSQL keeps, so the stored time signs the same bytes.
        signed_at = datetime.now(UTC)
        signature = key.sign(statement(number, seq, digest, signed_at))
        checkpoint = Checkpoint(number, seq, digest, signed_at, key_id(key.public_key()), signature)
        await conn.execute(
            "INSERT INTO log_checkpoints (number, log_seq, log_hash, signed_at, key_id, "
            "signature) VALUES ($1, $2, $3, $4, $5, $6)",
            checkpoint.number,
            checkpoint.log_seq,
            checkpoint.log_hash,
            checkpoint.signed_at,
            checkpoint.key_id,
            checkpoint.signature,
        )
    return checkpoint


async def checkpoints(pool: asyncpg.Pool) -> list[Checkpoint]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT number, log_seq, log_hash, signed_at, key_id, signature "
            "FROM log_checkpoints ORDER BY number"
        )
    return [
        Checkpoint(
            r["number"],
            r["log_seq"],
            bytes(r["log_hash"]),
            r["signed_at"],
            r["key_id"],
            bytes(r["signature"]),
        )
        for r in rows
    ]


async def checkpoint_periodically(
    pool: asyncpg.Pool, key: Ed25519PrivateKey, every_seconds: float, stop: asyncio.Event
) -> None:
    """Sign the head every `every_seconds` while the log moves, until `stop` is set. A failed
    attempt (PostgreSQL away) is one log line and the next one tries again."""

    async def round() -> None:
        done = await write_checkpoint(pool, key, only_if_moved=True)
        if done is not None:
            log.info("log checkpoint signed", number=done.number, log_seq=done.log_seq)

    await every(every_seconds, stop, round, log=log, failed="log checkpoint not written")


# --- verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class LogProblem:
    kind: str
    text: str

    def line(self) -> str:
        return f"[{self.kind}] {self.text}"


@dataclass
class LogVerdict:
    events_checked: int = 0
    streams: int = 0
    checkpoints_checked: int = 0
    head_seq: int = 0
    problems: list[LogProblem] = field(default_factory=list)
    altered_streams: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems


def _where(event: StoredEvent) -> str:
    return f"{event.stream_id} v{event.stream_version}, global position {event.global_position}"


@dataclass
class _Walk:
    """The state of one pass over the log in commit order."""

    verdict: LogVerdict
    seq: int = 0
    log_hash: bytes = GENESIS
    before: StoredEvent | None = None
    streams: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # version, hash
    hashes_at: dict[int, bytes] = field(default_factory=dict)  # of the checkpointed entries

    def step(self, event: StoredEvent, wanted: set[int]) -> None:
        problems = self.verdict.problems
        self.verdict.events_checked += 1
        if event.stream_id not in self.verdict.altered_streams:
            version, prev = self.streams.get(event.stream_id, (0, GENESIS))
            reason = row_problem(event, version + 1, prev)
            if reason is None:
                self.streams[event.stream_id] = (version + 1, event.hash)
            else:
                self.verdict.altered_streams.add(event.stream_id)
                problems.append(LogProblem("stream.altered", f"{_where(event)}: {reason}"))
        after = f"after {_where(self.before)}" if self.before else "at the start of the log"
        if event.log_seq > self.seq + 1:
            first, last = self.seq + 1, event.log_seq - 1
            span = f"entry {first} is" if first == last else f"entries {first}–{last} are"
            problems.append(
                LogProblem(
                    "log.entries_missing",
                    f"log {span} missing ({last - first + 1} row(s) deleted) "
                    f"{after}, before {_where(event)}",
                )
            )
        elif event.log_seq <= self.seq:
            problems.append(
                LogProblem(
                    "log.entry_repeated",
                    f"log entry {event.log_seq} appears again at {_where(event)} "
                    f"(the log was at entry {self.seq}): a row was inserted",
                )
            )
        elif log_link(self.log_hash, event.log_seq, event.hash) != event.log_hash:
            problems.append(
                LogProblem(
                    "log.chain_broken",
                    f"log entry {event.log_seq} ({_where(event)}) does not follow from the "
                    f"entry before it: a row was inserted or rewritten with its hash recomputed",
                )
            )
        # Go on from what is stored, so that each later break is named on its own.
        self.seq = max(self.seq, event.log_seq)
        self.log_hash = event.log_hash
        self.before = event
        if event.log_seq in wanted:
            self.hashes_at[event.log_seq] = event.log_hash


def check_checkpoints(
    signed: Sequence[Checkpoint],
    public_key: Ed25519PublicKey | None,
    head_seq: int,
    hashes_at: dict[int, bytes],
) -> list[LogProblem]:
    """Each checkpoint must be signed by the key, numbered in turn, and still describe the
    log: its entry must exist and carry the hash it signed."""
    problems: list[LogProblem] = []
    expected_key = key_id(public_key) if public_key is not None else None
    if public_key is None and signed:
        problems.append(
            LogProblem(
                "checkpoint.unchecked",
                f"{len(signed)} signed checkpoint(s) not checked: no public key "
                "(set AUDIT_PUBLIC_KEY or give --public-key)",
            )
        )
    for index, checkpoint in enumerate(signed, start=1):
        name = f"checkpoint {checkpoint.number}"
        if checkpoint.number != index:
            problems.append(
                LogProblem("checkpoint.missing", f"checkpoint {index} is missing (next is {name})")
            )
        if public_key is None:
            continue
        if checkpoint.key_id != expected_key:
            problems.append(
                LogProblem(
                    "checkpoint.forged",
                    f"{name} names key {checkpoint.key_id[:16]}, not the audit key "
                    f"{(expected_key or '')[:16]}: forged",
                )
            )
            continue
        try:
            public_key.verify(checkpoint.signature, checkpoint.message())
        except InvalidSignature:
            problems.append(
                LogProblem(
                    "checkpoint.forged",
                    f"{name}'s signature does not verify with the audit key: forged or altered",
                )
            )
            continue
        if checkpoint.log_seq > head_seq:
            problems.append(
                LogProblem(
                    "checkpoint.beyond_log",
                    f"{name} signed log entry {checkpoint.log_seq}, but the log ends at entry "
                    f"{head_seq}: {checkpoint.log_seq - head_seq} row(s) deleted from the end",
                )
            )
        elif checkpoint.log_seq and hashes_at.get(checkpoint.log_seq) != checkpoint.log_hash:
            problems.append(
                LogProblem(
                    "checkpoint.rewritten",
                    f"log entry {checkpoint.log_seq} no longer has the head {name} signed "
                    f"on {to_utc_iso(checkpoint.signed_at)}: the log up to it was rewritten",
                )
            )
    return problems


async def verify_log(
    pool: asyncpg.Pool, public_key: Ed25519PublicKey | None, *, batch_size: int = 5000
) -> LogVerdict:
    """One pass over the whole log: every stream's chain, the log's chain, and every
    checkpoint (its signature with `public_key`, skipped when None, and its head)."""
    signed = await checkpoints(pool)
    wanted = {c.log_seq for c in signed}
    walk = _Walk(LogVerdict())
    async for event in EventStore(pool).iter_all(batch_size=batch_size):
        walk.step(event, wanted)
    verdict = walk.verdict
    verdict.streams = len(walk.streams.keys() | verdict.altered_streams)
    verdict.head_seq = walk.seq
    verdict.problems += check_checkpoints(signed, public_key, walk.seq, walk.hashes_at)
    verdict.checkpoints_checked = len(signed) if public_key is not None else 0
    return verdict
