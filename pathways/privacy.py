"""A person's records: exported for inspection in one file (Labor Code 1198.5: an employee may
inspect their personnel records within 30 days of asking), held, and erased once no rule keeps
them.

The export is a zip: what HR lists for the person, every journey of theirs (each event as the
log holds it, with its hashes, and the timeline in words), their career as it answers now, and
every reading of their records in the access log. Making it is itself recorded there.

Holds and erasure are events in the person's `privacy/<employee>` stream; erasing destroys the
person's data key (`activities.person_keys`), after `domain.privacy.decide_erasure` finds that
no retention rule or hold keeps their records, and folds the read models' rows of their
journeys again so that no copy of a personal field is left there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg

from activities.access_log import AccessLog
from activities.careers import logged_career
from activities.eventstore import EventStore, StoredEvent, WrongExpectedVersion
from activities.readmodel import ReadModel
from domain.events import DomainEvent, NewEvent
from domain.explain import explain
from domain.external import Employee, EmploymentStatus
from domain.policy import Action, Case, authorize
from domain.privacy import (
    ERASED,
    PRIVACY_PREFIX,
    LegalHoldLifted,
    LegalHoldPlaced,
    PersonErased,
    PrivacyRecord,
    PrivacyRefusal,
    RetentionRules,
    check_no_hold,
    decide_erasure,
    fold_privacy,
    personal_part,
)
from pathways.audit import event_json, write_archive

EXPORT_FORMAT = "pathways-personal-records/1"


async def streams_of(pool: asyncpg.Pool, employee_id: str) -> list[str]:
    """The journeys (and the career) whose records are the person's: every stream id ends with
    the employee's id, and its events name them (a journey's participant, a commitment's
    fellow) or it is their career."""
    escaped = employee_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    records = await pool.fetch(
        "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE $1 AND (stream_id = $2 "
        "OR payload->>'employee_id' = $3 OR payload->>'fellow_id' = $3) ORDER BY stream_id",
        f"%/{escaped}",
        f"career/{employee_id}",
        employee_id,
    )
    return [r["stream_id"] for r in records]


@dataclass(frozen=True)
class Exported:
    path: Path
    journeys: int
    events: int
    readings: int


async def export_person(
    store: EventStore,
    employee: Employee | None,
    employee_id: str,
    career: dict[str, Any] | None,
    by: str,
    dest: Path,
) -> Exported:
    """Write the person's records to `dest` (a zip with a manifest of every file's SHA-256);
    each event's personal fields opened beside what is stored, where the store can."""
    pool = store.pool
    files: dict[str, bytes] = {}
    files["person.json"] = json.dumps(
        employee.model_dump(mode="json") if employee else {"employee_id": employee_id,
                                                           "hr": "HR has no record"},
        indent=2,
    ).encode()  # fmt: skip
    total = 0
    streams = await streams_of(pool, employee_id)
    for stream in streams:
        stored: list[StoredEvent] = await store.read_stream(stream)
        total += len(stored)
        name = stream.replace("/", "_")
        files[f"journeys/{name}.jsonl"] = "".join(
            json.dumps(_exported(e), sort_keys=True) + "\n" for e in stored
        ).encode()
        lines = explain((e.to_domain(), str(e.metadata.get("actor", "?"))) for e in stored)
        files[f"journeys/{name}.txt"] = "".join(
            f"{line.when}\t{line.actor}\t{line.what}\n" for line in lines
        ).encode()
    if career is not None:
        files["career.json"] = json.dumps(career, indent=2).encode()
    readings = await AccessLog(pool).entries(employee_id=employee_id, limit=1_000_000)
    files["access_log.jsonl"] = "".join(r.model_dump_json() + "\n" for r in readings).encode()
    about = {"format": EXPORT_FORMAT, "employee_id": employee_id, "exported_by": by}
    write_archive(dest, files, {**about, "journeys": streams, "events": total})
    return Exported(dest, len(streams), total, len(readings))


def _exported(e: StoredEvent) -> dict[str, Any]:
    """The event as stored, and its payload as the person reads it when it was sealed."""
    found = event_json(e)
    if e.stored_payload is not None:
        found["opened_payload"] = e.payload
    return found


# --- holds and erasure -------------------------------------------------------------------------


def privacy_stream(employee_id: str) -> str:
    return f"{PRIVACY_PREFIX}{employee_id}"


async def privacy_record(
    store: EventStore, employee_id: str, employee: Employee | None
) -> PrivacyRecord:
    """What decides whether the person may be erased: their holds, whether HR lists them as
    employed, the separation date their career holds, and whether money moved for them."""
    stream = await store.read_stream(privacy_stream(employee_id))
    holds, done = fold_privacy([e.to_domain() for e in stream])
    career = await logged_career(store, employee_id)
    separated_on = None
    if career.employed is False and "employment" in career.latest:
        separated_on = career.latest["employment"][0]
    employed: bool | None = career.employed
    if employee is not None:
        employed = employee.status is not EmploymentStatus.SEPARATED
    streams = await streams_of(store.pool, employee_id)
    paid = bool(
        await store.pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM events WHERE stream_id = ANY($1::text[]) "
            "AND payload ? 'payroll_reference')",
            streams,
        )
    )
    return PrivacyRecord(employee_id, holds, done, employed, separated_on, paid, len(stream))


def _stamp(now: datetime) -> dict[str, Any]:
    return {"event_id": uuid4(), "occurred_at": now}


def _new(event: DomainEvent, actor: str) -> NewEvent:
    return NewEvent.of(event, actor)


async def _holds(
    store: EventStore, employee_id: str
) -> tuple[dict[str, LegalHoldPlaced], PersonErased | None, int]:
    stream = await store.read_stream(privacy_stream(employee_id))
    holds, done = fold_privacy([e.to_domain() for e in stream])
    return holds, done, len(stream)


async def _record(
    store: EventStore, employee_id: str, event: DomainEvent, by: str, after: int
) -> None:
    """Append to the person's privacy stream right after version `after`: a hold placed while
    an erasure was decided (or the other way round) makes the later of the two start again."""
    try:
        await store.append(privacy_stream(employee_id), [_new(event, by)], expected_version=after)
    except WrongExpectedVersion:
        raise PrivacyRefusal(
            f"{employee_id}'s holds or erasure changed while this was decided: run it again",
            code="privacy.changed",
        ) from None


async def place_hold(
    store: EventStore, employee_id: str, hold_id: str, matter: str, by: str, now: datetime
) -> LegalHoldPlaced:
    """Place a legal hold: nothing of the person is erased until it is lifted."""
    authorize(Action.HOLD_RECORDS, by, Case(employee_id=employee_id))
    holds, done, version = await _holds(store, employee_id)
    if done is not None:
        raise PrivacyRefusal(
            f"{employee_id}'s personal data was erased on {done.occurred_at.date()}: there is "
            "nothing personal left to hold",
            code="privacy.erased",
        )
    if hold_id in holds:
        raise PrivacyRefusal(
            f"{employee_id} is already under legal hold {hold_id}", code="privacy.hold_exists"
        )
    placed = LegalHoldPlaced(
        **_stamp(now), employee_id=employee_id, hold_id=hold_id, matter=matter, placed_by=by
    )
    await _record(store, employee_id, placed, by, version)
    return placed


async def lift_hold(
    store: EventStore, employee_id: str, hold_id: str, by: str, now: datetime
) -> LegalHoldLifted:
    authorize(Action.HOLD_RECORDS, by, Case(employee_id=employee_id))
    holds, _, version = await _holds(store, employee_id)
    if hold_id not in holds:
        held = ", ".join(holds) or "none"
        raise PrivacyRefusal(
            f"{employee_id} has no legal hold {hold_id} in force (in force: {held})",
            code="privacy.no_such_hold",
        )
    lifted = LegalHoldLifted(**_stamp(now), employee_id=employee_id, hold_id=hold_id, lifted_by=by)
    await _record(store, employee_id, lifted, by, version)
    return lifted


async def erase_person(
    store: EventStore,
    employee_id: str,
    employee: Employee | None,
    by: str,
    rules: RetentionRules,
    now: datetime,
    today: date,
    read_models: Sequence[ReadModel] = (),
) -> PersonErased:
    """Erase the person's personal data (their key destroyed), or `PrivacyRefusal` with the
    rule that keeps it. The erasure is recorded first, so an erasure cut short is finished by
    running it again."""
    authorize(Action.ERASE_PERSON, by, Case(employee_id=employee_id))
    people = store.people
    if people is None:
        raise PrivacyRefusal(
            "the event log's personal fields are not sealed here (no PAYLOAD_KEYS): erasing "
            "needs the district's key ring",
            code="privacy.no_key_ring",
        )
    pool = store.pool
    record = await privacy_record(store, employee_id, employee)
    done = record.erased
    if done is None:
        rule = decide_erasure(record, rules, today)
        done = PersonErased(
            **_stamp(now), employee_id=employee_id, erased_by=by,
            separated_on=record.separated_on, rule=rule,
        )  # fmt: skip
        await _record(store, employee_id, done, by, record.version)
        await people.erase(pool, employee_id, by)
    else:  # recorded before: finish it, unless a hold came in between or it is done
        check_no_hold(record)
        if not await people.erase(pool, employee_id, by):
            raise PrivacyRefusal(
                f"{employee_id}'s personal data is already erased", code="privacy.erased"
            )
    streams = await streams_of(pool, employee_id)
    for model in read_models:
        await model.refold(streams)
    return done


async def plaintext_left(pool: asyncpg.Pool, employee_id: str) -> int:
    """How many of the person's events hold personal fields in plain text: stored before the
    district had a key ring, so destroying a key cannot make them unreadable (the log is
    append-only); the district's records officer has to know of them."""
    raw = EventStore(pool)
    left = 0
    for stream in await streams_of(pool, employee_id):
        for e in await raw.read_stream(stream):
            kept = personal_part(e.event_type, e.payload)
            left += any(v not in (ERASED, [ERASED]) for v in kept.values())
    return left
