"""Temporal's payloads encrypted (AES-256-GCM, a key id in each payload): a history fetched
without the key holds no name or e-mail; replay needs the key ring; rotation keeps old payloads
readable."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.access_log import AccessLog
from activities.local_systems import LocalHris
from domain.access import Door, Read
from domain.external import Employee
from domain.program import Role
from domain.teacher_leader.journey import Application, JourneyStatus, Withdraw
from pathways.audit import replay_serial
from pathways.config import Settings, embedded_key_ring
from pathways.journeys import start_teacher_leader
from pathways.payload_codec import ENCODING, EncryptionCodec, KeyRing, PayloadKeyError, encrypted
from pathways.refusals import refusal_of
from pathways.temporal import DATA_CONVERTER
from pathways.web.app import WebBackend, create_web_app
from tests.journey_kit import PRINCIPAL, SCHOOL, program_near, running_worker, seed_district
from tests.test_api import free_port, served
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
        # A refusal's words travel encrypted too, and read back whole with the ring.
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(
                TeacherLeaderJourney.withdraw, Withdraw(withdrawn_by="t-other", reason="moving")
            )
        found = refusal_of(refused.value)
        assert found is not None and found.code == "policy.not_permitted", refused.value
        assert "t-other cannot withdraw the journey" in str(found)
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


def test_the_embedded_key_ring_is_the_default_and_can_be_turned_off(tmp_path: Path) -> None:
    settings = Settings.model_validate({"PATHWAYS_DATA_DIR": tmp_path, "PAYLOAD_KEYS": None})
    assert settings.payload_keys is None  # no ring yet: payloads are not encrypted
    KeyRing.create(embedded_key_ring(tmp_path))
    assert settings.payload_keys == embedded_key_ring(tmp_path)  # the one `make up` created
    off = Settings.model_validate({"PATHWAYS_DATA_DIR": tmp_path, "PAYLOAD_KEYS": "none"})
    assert off.payload_keys is None
    named = Settings.model_validate({"PAYLOAD_KEYS": str(tmp_path / "district.json")})
    assert named.payload_keys == tmp_path / "district.json"


@contextlib.asynccontextmanager
async def web_app(client: Client, pool: asyncpg.Pool, folder: Path) -> AsyncIterator[str]:
    """The web app served on a free port with local sign-in, once it answers: its address."""
    port = free_port()
    settings = Settings.model_validate(
        {"PATHWAYS_DATA_DIR": folder, "WEB_LOCAL_SIGN_IN": True, "WEB_PORT": port}
    )
    backend = WebBackend(client, pool, LocalHris(pool), "web", settings.non_hr_actors)
    async with served(create_web_app(settings, backend), port) as url:
        yield url


async def signed_in(url: str, who: str) -> httpx.AsyncClient:
    """A browser's session with the web app, signed in locally as `who`."""
    session = httpx.AsyncClient(base_url=url)
    page = (await session.get("/sign-in", params={"q": who})).text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    answer = await session.post(
        "/sign-in/local", data={"employee_id": who, "csrf": found.group(1), "next": "/"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/", answer.text
    return session


async def test_the_codec_server_opens_payloads_only_for_those_who_may_see_the_journey(
    env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """The Temporal Web UI's codec server: signed in through the web app, CORS for the UI's
    origin only, each payload opened for someone `sees` lets see it, each decode logged."""
    await seed_district(pool, ["t-cod", "t-col"])
    hris = LocalHris(pool)
    await hris.upsert_employee(
        Employee(employee_id="ana", full_name="Ana Torres", role="program_office",
                 email="ana@district.example")
    )  # fmt: skip
    ring = KeyRing.create(tmp_path / "keys.json")
    codec = EncryptionCodec(ring)
    client = Client(env.client.service_client, namespace=env.client.namespace,
                    data_converter=encrypted(DATA_CONVERTER, ring))  # fmt: skip

    def record(fields: dict[str, str]) -> Payload:
        return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(fields).encode())

    mine = record({"employee_id": "t-cod", "full_name": "Teacher t-cod"})
    theirs = record({"employee_id": "t-col", "full_name": "Teacher t-col"})
    nobody = record({"session_id": "s-1", "note": "family emergency"})
    both = record({"employee_id": "t-cod", "signer": {"employee_id": "t-col"}})
    sealed = await codec.encode([mine, theirs, nobody, both])

    def body(payloads: list[Payload]) -> dict[str, object]:
        return json_format.MessageToDict(Payloads(payloads=payloads))

    def opened(answer: httpx.Response) -> list[Payload]:
        return list(json_format.ParseDict(answer.json(), Payloads()).payloads)

    async with web_app(client, pool, tmp_path) as url:
        async with httpx.AsyncClient(base_url=url) as anonymous:
            answer = await anonymous.post("/codec/decode", json=body(sealed))
            assert answer.status_code == 401 and answer.json()["code"] == "codec.sign_in"
            ui = {"Origin": "http://localhost:8233", "Access-Control-Request-Method": "POST",
                  "Access-Control-Request-Headers": "content-type,x-namespace"}  # fmt: skip
            preflight = await anonymous.options("/codec/decode", headers=ui)
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == "http://localhost:8233"
            assert preflight.headers["access-control-allow-credentials"] == "true"
            other = await anonymous.options(
                "/codec/decode", headers={**ui, "Origin": "http://elsewhere.example"}
            )
            assert "access-control-allow-origin" not in other.headers
            # The rest of the web app answers no other origin either.
            page = await anonymous.get("/sign-in", headers={"Origin": "http://localhost:8233"})
            assert "access-control-allow-origin" not in page.headers

        teacher = await signed_in(url, "t-cod")
        answer = await teacher.post("/codec/decode", json=body([sealed[1]]))
        assert answer.status_code == 403 and answer.json()["code"] == "codec.not_allowed"
        answer = await teacher.post(
            "/codec/decode", json=body(sealed), headers={"X-Namespace": "default"}
        )
        assert answer.status_code == 200
        # Only their own: a payload that also names a colleague stays sealed.
        assert opened(answer) == [mine, sealed[1], sealed[2], sealed[3]]
        refused = await teacher.post("/codec/encode", json=body([mine]))
        assert refused.status_code == 403

        principal = await signed_in(url, PRINCIPAL)  # t-col teaches at their school
        answer = await principal.post("/codec/decode", json=body([sealed[1]]))
        assert answer.status_code == 200 and opened(answer) == [theirs]

        office = await signed_in(url, "ana")
        answer = await office.post("/codec/default/decode", json=body(sealed))
        assert answer.status_code == 200 and opened(answer) == [mine, theirs, nobody, both]
        # Once t-col's personal data is erased, what Temporal keeps of them reads "[erased]".
        await pool.execute(
            "INSERT INTO person_keys (person_id, master_key, wrapped, erased_at, erased_by) "
            "VALUES ('t-col', 'k1', NULL, now(), 'operator:jo')"
        )
        answer = await office.post("/codec/decode", json=body([sealed[1]]))
        [shown] = opened(answer)
        assert json.loads(shown.data) == {"employee_id": "t-col", "full_name": "[erased]"}
        encoded = await office.post("/codec/encode", json=body([nobody]))
        [again] = opened(encoded)
        assert again.metadata["encoding"] == ENCODING and b"family" not in again.data
        assert await codec.decode([again]) == [nobody]
        garbled = await office.post("/codec/decode", content=b"not json")
        assert garbled.status_code == 400 and garbled.json()["code"] == "codec.bad_request"
        for session in (teacher, principal, office):
            await session.aclose()

    reads = await AccessLog(pool).entries(since=None)
    codec_reads = {(a.reader, a.employee_id) for a in reads if a.door is Door.CODEC}
    assert {("t-cod", "t-cod"), (PRINCIPAL, "t-col"), ("office:ana", "t-cod"),
            ("office:ana", "t-col"), ("office:ana", None)} <= codec_reads  # fmt: skip
    assert ("t-cod", "t-col") not in codec_reads
    assert all(a.what is Read.PAYLOADS for a in reads if a.door is Door.CODEC)
