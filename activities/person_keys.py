"""Each person's data key (envelope encryption): the personal fields of their events are sealed
with it, and it is stored wrapped by the district's master key, which never enters the database.

A sealed payload keeps every field that is not personal as it was and holds the personal ones
(`domain.privacy.personal_fields`) in one AES-256-GCM box under `"_personal"`, which names the
person and the fields. The event id, the person and the field names are the box's associated
data, so a box cannot be moved to another event or relabelled; its nonce is derived (with a
subkey of the person's key) from those and the content, so the same event sealed again (a retried
append) is the same bytes, and the store's idempotency check holds. The hash chain covers what
is stored, the box: destroying the key (`erase`) leaves every hash valid, and the fields read
`domain.privacy.ERASED` from then on.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.events import canonical_json
from domain.pathway import person_named
from domain.privacy import StatusT, erased, erased_status, owner_of, personal_part

SEALED = "_personal"
NONCE_BYTES = 12


class PersonKeyError(Exception):
    """A person key that cannot be unwrapped or a box that does not open: the ring lacks the
    master key, or the data was altered. The message says which."""


class PersonalDataSealed(PersonKeyError):
    """A sealed payload read by a process that was not given the district's key ring."""


@dataclass(frozen=True)
class MasterKeys:
    """The district's master keys by id (its key ring) and the one that wraps new keys."""

    current: str
    keys: Mapping[str, bytes]


@dataclass
class PersonKeys:
    """Person keys in the `person_keys` table, wrapped by `master`; unwrapped ones are kept in
    memory for as long as their stored form is unchanged."""

    master: MasterKeys
    _opened: dict[tuple[str, bytes], bytes] = field(default_factory=dict)

    async def for_writing(
        self, pool: asyncpg.Pool, persons: Iterable[str]
    ) -> dict[str, bytes | None]:
        """Each person's key, made for whoever has none yet (None: erased). Made in its own
        statement, before and outside the append, so two appends never wait on each other."""
        wanted = sorted(set(persons))
        if not wanted:
            return {}
        found = await _stored_keys(pool, wanted)
        missing = [p for p in wanted if p not in found]
        if missing:
            kid = self.master.current
            wrapped = [self._wrap(p, AESGCM.generate_key(bit_length=256)) for p in missing]
            await pool.execute(
                "INSERT INTO person_keys (person_id, master_key, wrapped) "
                "SELECT p, $2, w FROM unnest($1::text[], $3::bytea[]) AS k(p, w) "
                "ON CONFLICT (person_id) DO NOTHING",
                missing,
                kid,
                wrapped,
            )
            found = await _stored_keys(pool, wanted)
        return {p: self._unwrap(p, *found[p]) for p in wanted}

    async def for_reading(
        self, conn: asyncpg.Pool | asyncpg.Connection, persons: Iterable[str]
    ) -> dict[str, bytes | None]:
        """The keys of these persons (None: erased, or never made: nothing of theirs opens)."""
        wanted = sorted(set(persons))
        found = await _stored_keys(conn, wanted) if wanted else {}
        return {p: self._unwrap(p, *found[p]) if p in found else None for p in wanted}

    async def open_all(
        self, conn: asyncpg.Pool | asyncpg.Connection, rows: Iterable[tuple[str, Any, Any]]
    ) -> list[tuple[dict[str, Any], bool]]:
        """Each (event type, event id, stored payload) opened: the payload and whether its
        personal fields are erased."""
        rows = list(rows)
        keys = await self.for_reading(conn, boxed_persons(p for _, _, p in rows))
        return [open_payload(t, i, p, keys) for t, i, p in rows]

    async def erase(self, pool: asyncpg.Pool, person: str, by: str) -> bool:
        """Destroy the person's key; True if there was one to destroy. A person with no key yet
        gets an erased one, so nothing personal of theirs is stored readable afterwards."""
        status = await pool.execute(
            "UPDATE person_keys SET wrapped = NULL, erased_at = now(), erased_by = $2 "
            "WHERE person_id = $1 AND wrapped IS NOT NULL",
            person,
            by,
        )
        if status.endswith(" 0"):
            await pool.execute(
                "INSERT INTO person_keys (person_id, master_key, wrapped, erased_at, erased_by) "
                "VALUES ($1, $2, NULL, now(), $3) ON CONFLICT (person_id) DO NOTHING",
                person,
                self.master.current,
                by,
            )
        for kept in [k for k in self._opened if k[0] == person]:
            del self._opened[kept]
        return not status.endswith(" 0")

    def _wrap(self, person: str, key: bytes) -> bytes:
        kid = self.master.current
        nonce = os.urandom(NONCE_BYTES)
        return nonce + _cipher(self.master.keys[kid]).encrypt(nonce, key, _wrap_aad(person, kid))

    def _unwrap(self, person: str, kid: str, wrapped: bytes | None) -> bytes | None:
        if wrapped is None:
            return None
        cached = self._opened.get((person, wrapped))
        if cached is not None:
            return cached
        master = self.master.keys.get(kid)
        if master is None:
            raise PersonKeyError(
                f"{person}'s data key is wrapped with master key {kid!r}, which the key ring "
                "(PAYLOAD_KEYS) does not have: give this process the district's key ring"
            )
        try:
            key = _cipher(master).decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(person, kid)
            )
        except InvalidTag:
            raise PersonKeyError(
                f"{person}'s data key does not open with master key {kid!r}: the key row was "
                "altered, or the ring's key is not the one used"
            ) from None
        self._opened[(person, wrapped)] = key
        return key


def _wrap_aad(person: str, kid: str) -> bytes:
    return f"person-key|{person}|{kid}".encode()


async def _stored_keys(
    conn: asyncpg.Pool | asyncpg.Connection, persons: list[str]
) -> dict[str, tuple[str, bytes | None]]:
    rows = await conn.fetch(
        "SELECT person_id, master_key, wrapped FROM person_keys WHERE person_id = ANY($1::text[])",
        persons,
    )
    return {
        r["person_id"]: (r["master_key"], bytes(r["wrapped"]) if r["wrapped"] else None)
        for r in rows
    }


@lru_cache(maxsize=65_536)
def _cipher(key: bytes) -> AESGCM:
    return AESGCM(key)


@dataclass(frozen=True)
class ToSeal:
    """An event with something personal: its personal fields and whose they are."""

    event_type: str
    event_id: UUID
    payload: Mapping[str, Any]
    part: dict[str, Any]
    person: str


def to_seal(
    stream_id: str, event_type: str, event_id: UUID, payload: Mapping[str, Any]
) -> ToSeal | None:
    """What sealing the event needs, or None when it holds nothing personal."""
    part = personal_part(event_type, payload)
    if not part:
        return None
    return ToSeal(event_type, event_id, payload, part, owner_of(stream_id, payload))


def boxed_persons(payloads: Iterable[Any]) -> set[str]:
    """Whose keys open these stored payloads (the persons their boxes name)."""
    return {p[SEALED]["person"] for p in payloads if isinstance(p, Mapping) and is_sealed(p)}


def seal_payload(event: ToSeal, key: bytes | None) -> dict[str, Any]:
    """The payload as stored: its personal fields in a box sealed with its person's key, or
    `ERASED` for a person already erased."""
    event_type, event_id, part, person = event.event_type, event.event_id, event.part, event.person
    rest = {k: v for k, v in event.payload.items() if k not in part}
    if key is None:
        return {**rest, **erased(event_type, sorted(part))}
    fields = sorted(part)
    plain = canonical_json(part).encode("utf-8")
    aad = _box_aad(event_id, person, fields)
    nonce = hmac.digest(_nonce_key(key), aad + b"\x00" + plain, "sha256")[:NONCE_BYTES]
    box = nonce + _cipher(key).encrypt(nonce, plain, aad)
    sealed = base64.b64encode(box).decode()
    return {**rest, SEALED: {"person": person, "fields": fields, "sealed": sealed}}


def _box_aad(event_id: UUID | str, person: str, fields: Sequence[str]) -> bytes:
    """What a box is bound to: its event, its person and the fields it holds."""
    return f"{event_id}|{person}|{','.join(fields)}".encode()


@lru_cache(maxsize=65_536)
def _nonce_key(key: bytes) -> bytes:
    """The key that derives a box's nonce, apart from the one that seals it."""
    return hmac.digest(key, b"pathways person-key nonce", "sha256")


def open_payload(
    event_type: str,
    event_id: UUID | str,
    payload: Mapping[str, Any],
    keys: Mapping[str, bytes | None],
) -> tuple[dict[str, Any], bool]:
    """The payload with its personal fields back (or `ERASED`, and True, once its person's key
    is destroyed). A payload with no box is returned as it is."""
    box = payload.get(SEALED)
    if not isinstance(box, dict):
        return dict(payload), False
    rest = {k: v for k, v in payload.items() if k != SEALED}
    key = keys.get(box["person"])
    if key is None:
        return {**rest, **erased(event_type, box["fields"])}, True
    data = base64.b64decode(box["sealed"])
    aad = _box_aad(event_id, box["person"], box["fields"])
    try:
        plain = _cipher(key).decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], aad)
    except InvalidTag:
        raise PersonKeyError(
            f"the personal fields of event {event_id} do not open with {box['person']}'s key: "
            "they were altered or moved from another event"
        ) from None
    return {**rest, **json.loads(plain)}, False


def readable(
    event_type: str,
    event_id: UUID | str,
    payload: dict[str, Any],
    keys: Mapping[str, bytes | None] | None,
    where: str,
) -> dict[str, Any]:
    """The payload to read the event from: as it is, or opened with `keys`; a sealed one this
    process has no keys for is `PersonalDataSealed`, in words (`where`: which event)."""
    if not is_sealed(payload):
        return payload
    if keys is None:
        raise PersonalDataSealed(
            f"{where} holds personal data sealed with the district's key ring: reading it "
            "needs PAYLOAD_KEYS"
        )
    return open_payload(event_type, event_id, payload, keys)[0]


async def is_erased(conn: asyncpg.Pool | asyncpg.Connection, person: str | None) -> bool:
    """Whether the person's key was destroyed (their personal data erased)."""
    if not person:
        return False
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM person_keys WHERE person_id = $1 AND wrapped IS NULL)",
            person,
        )
    )


async def as_shown(conn: asyncpg.Pool | asyncpg.Connection, status: StatusT) -> StatusT:
    """A journey's answer as a door may show it: masked once its person is erased."""
    if await is_erased(conn, person_named(dict(status))):
        return erased_status(status)
    return status


def is_sealed(payload: Mapping[str, Any]) -> bool:
    return isinstance(payload.get(SEALED), dict)
