"""Temporal's payloads encrypted (AES-256-GCM, a key id in each payload): a history fetched
without the key holds no name or e-mail; replay needs the key ring; rotation keeps old payloads
readable."""

from __future__ import annotations

import asyncio
import base64
import json
import stat
from pathlib import Path

import asyncpg
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.local_systems import LocalHris
from domain.program import Role
from domain.teacher_leader.journey import Application, JourneyStatus
from pathways.audit import replay_serial
from pathways.journeys import start_teacher_leader
from pathways.payload_codec import ENCODING, EncryptionCodec, KeyRing, PayloadKeyError, encrypted
from pathways.temporal import DATA_CONVERTER
from tests.journey_kit import SCHOOL, program_near, running_worker, seed_district
from workflows.teacher_leader import TeacherLeaderJourney


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(text).encode())


async def test_payloads_are_sealed_opened_and_rotated(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "payload_keys.json"
    ring = KeyRing.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    codec = EncryptionCodec(KeyRing.load(path))
    [sealed] = await codec.encode([payload("Anavelen Macias")])
    assert sealed.metadata["encoding"] == ENCODING and b"Anavelen" not in sealed.data
    assert (await codec.decode([sealed]))[0] == payload("Anavelen Macias")
    # A payload from before encryption is read as it is.
    assert (await codec.decode([payload("plain")]))[0] == payload("plain")

    # Rotation: a key added is not used until it is made current; old payloads still open.
    added, kid = ring.with_new_key()
    added.save(path)
    assert KeyRing.load(path).current == "k1" and kid == "k2"
    assert KeyRing.load(path.with_name(path.name + ".bak")).keys == ring.keys
    KeyRing.load(path).using(kid).save(path)
    rotated = EncryptionCodec(KeyRing.load(path))
    [newer] = await rotated.encode([payload("x")])
    assert newer.metadata["encryption-key-id"] == b"k2"
    assert (await rotated.decode([sealed]))[0] == payload("Anavelen Macias")

    # Without the key, or with the data altered, nothing opens, in words.
    with pytest.raises(PayloadKeyError, match="key 'k2', which the payload key ring"):
        await codec.decode([newer])
    altered = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + b"\x00")
    with pytest.raises(PayloadKeyError, match="altered"):
        await codec.decode([altered])
    path.write_text('{"current": "k9", "keys": {}}')
    with pytest.raises(PayloadKeyError, match="has no key 'k9'"):
        KeyRing.load(path)


async def test_temporal_holds_only_ciphertext_and_replay_needs_the_key(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    keys = tmp_path / "payload_keys.json"
    converter = encrypted(DATA_CONVERTER, KeyRing.create(keys))
    sealed = Client(own_env.client.service_client, namespace=own_env.client.namespace,
                    data_converter=converter)  # fmt: skip
    await seed_district(pool, ["t-enc"])
    program = await program_near(own_env)
    application = Application(employee_id="t-enc", role=Role.PEER_COACH, school_id=SCHOOL)
    async with running_worker(sealed, pool, task_queue):
        handle, _ = await start_teacher_leader(
            sealed, LocalHris(pool), program, application, task_queue,
            now=await own_env.get_current_time(),
        )  # fmt: skip
        for _ in range(100):  # HR names the applicant a moment after the start
            status: JourneyStatus = await handle.query(TeacherLeaderJourney.status)
            if status.full_name:
                break
            await asyncio.sleep(0.05)
        assert status.full_name == "Teacher t-enc"  # the worker and the client read it
        history = await sealed.get_workflow_handle(handle.id).fetch_history()

    raw = history.to_json()
    assert "Teacher t-enc" not in raw and "t-enc@district.example" not in raw
    assert base64.b64encode(ENCODING).decode() in raw  # metadata is base64 in the JSON

    # The SDK's Replayer without the key cannot read it; `audit replay` says what it needs.
    plain = Replayer(workflows=[TeacherLeaderJourney], data_converter=DATA_CONVERTER)
    assert (await plain.replay_workflow(history, raise_on_replay_failure=False)).replay_failure
    with pytest.raises(PayloadKeyError, match="needs the district's key ring"):
        await replay_serial([history])
    [verdict] = await replay_serial([history], keys=keys)
    assert verdict.deterministic, verdict.line()
