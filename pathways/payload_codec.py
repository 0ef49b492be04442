"""Payloads Temporal stores, encrypted: what the client, the worker and the Replayer send and
read passes through AES-256-GCM (`cryptography`), so a history exported without the key shows
no name, e-mail or reason.

Each encrypted payload carries the id of the key that sealed it in its metadata
(`encryption-key-id`), and the key id is bound to the ciphertext as associated data. The key
ring is a JSON file (`PAYLOAD_KEYS`): every key the district has used, by id, and the one new
payloads are sealed with. Rotating adds a key, then makes it current; old payloads stay readable
as long as their key is in the ring. A payload that is not encrypted (a history recorded before
encryption was turned on) is read as it is.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from activities.person_keys import MasterKeys, PersonKeys

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class PayloadKeyError(Exception):
    """A key ring that cannot be read, or a payload sealed with a key the ring lacks."""


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict[str, bytes]
    source: str = ""

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        try:
            data = json.loads(path.read_text("utf-8"))
            keys = {
                kid: base64.b64decode(value, validate=True) for kid, value in data["keys"].items()
            }
            current = str(data["current"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise PayloadKeyError(f"cannot read the payload key ring {path}: {error}") from None
        if current not in keys:
            raise PayloadKeyError(f"the payload key ring {path} has no key {current!r} (current)")
        short = [kid for kid, key in keys.items() if len(key) != 32]
        if short:
            raise PayloadKeyError(
                f"the payload key ring {path}: keys {', '.join(short)} are not 256-bit"
            )
        return cls(current, keys, str(path))

    @classmethod
    def create(cls, path: Path) -> KeyRing:
        """A new ring with one key, written readable by its owner only."""
        ring = cls("k1", {"k1": AESGCM.generate_key(bit_length=256)}, str(path))
        ring.save(path)
        return ring

    @classmethod
    def load_or_create(cls, path: Path) -> KeyRing:
        return cls.load(path) if path.exists() else cls.create(path)

    def with_new_key(self) -> tuple[KeyRing, str]:
        """The ring with one more key, not yet current: rotation's first step, so that every
        process can open payloads sealed with it before any process seals with it."""
        n = len(self.keys) + 1
        while f"k{n}" in self.keys:
            n += 1
        kid = f"k{n}"
        keys = {**self.keys, kid: AESGCM.generate_key(bit_length=256)}
        return KeyRing(self.current, keys, self.source), kid

    def using(self, kid: str) -> KeyRing:
        """The ring sealing new payloads with `kid` (rotation's second step)."""
        if kid not in self.keys:
            raise PayloadKeyError(
                f"the payload key ring has no key {kid!r}: {', '.join(self.keys)}"
            )
        return KeyRing(kid, self.keys, self.source)

    def save(self, path: Path) -> None:
        """Write the ring (mode 0600, flushed to disk); the ring it replaces is kept beside it
        as `<name>.bak`, as losing a key loses every payload sealed with it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "current": self.current,
            "keys": {kid: base64.b64encode(key).decode() for kid, key in self.keys.items()},
        }
        if path.exists():
            _write(path.with_name(path.name + ".bak"), path.read_bytes())
        _write(path, json.dumps(data, indent=2).encode())


def _write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically and durably, readable by its owner only."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole payload (its metadata and data)."""

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring
        self._ciphers = {kid: AESGCM(key) for kid, key in ring.keys.items()}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        kid = self._ring.current
        cipher = self._ciphers[kid]
        sealed = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            data = nonce + cipher.encrypt(nonce, payload.SerializeToString(), kid.encode())
            sealed.append(Payload(metadata={"encoding": ENCODING, KEY_ID: kid.encode()}, data=data))
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        opened = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                opened.append(payload)  # recorded before encryption: read as it is
                continue
            kid = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
            cipher = self._ciphers.get(kid)
            if cipher is None:
                raise PayloadKeyError(
                    f"a payload is encrypted with key {kid!r}, which the payload key ring "
                    f"{self._ring.source or '(PAYLOAD_KEYS)'} does not have: give this process "
                    "the district's key ring"
                )
            nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            try:
                plain = cipher.decrypt(nonce, sealed, kid.encode())
            except InvalidTag:
                raise PayloadKeyError(
                    f"a payload sealed with key {kid!r} does not open with the ring's key "
                    f"{kid!r}: it was altered, or the ring's key is not the one used"
                ) from None
            opened.append(Payload.FromString(plain))
        return opened


def encrypted(converter: DataConverter, ring: KeyRing) -> DataConverter:
    """`converter` with every payload encrypted under `ring`, failures' messages and stack
    traces too (a refusal's words may name a person): Temporal keeps "Encoded failure" in their
    place, and every process with the ring reads them back."""
    return replace(
        converter,
        payload_codec=EncryptionCodec(ring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def person_keys(keys: Path | None) -> PersonKeys | None:
    """The person keys of the event log, wrapped by the key ring at `keys` (the same ring that
    encrypts Temporal's payloads); None without a ring: personal fields are stored as given."""
    if keys is None:
        return None
    ring = KeyRing.load(keys)
    return PersonKeys(MasterKeys(ring.current, dict(ring.keys)))


def sealed_with(payloads: Sequence[Payload]) -> str | None:
    """The key id the first encrypted payload names (None: none is encrypted)."""
    for payload in payloads:
        if payload.metadata.get("encoding") == ENCODING:
            return payload.metadata.get(KEY_ID, b"").decode() or "?"
    return None
