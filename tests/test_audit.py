"""Auditors: replay (serial, parallel, over a visibility query), bundles, anchors."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from temporalio import workflow
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

with workflow.unsafe.imports_passed_through():
    from activities.enrollment import start_journey
    from activities.eventstore import EventStore, verify_chain
    from activities.local_systems import LocalHris
    from domain.program import ProgramYear
    from domain.teacher_leader.journey import (
        Application,
        JourneyStatus,
        Withdraw,
    )
    from domain.teacher_leader.start import TEACHER_LEADER
    from pathways.audit import (
        BundleError,
        check_anchor,
        check_bundle,
        export_bundle,
        fetch_runs,
        histories_for_query,
        load_workflows,
        replay_many,
        replay_serial,
    )
    from pathways.journeys import start_teacher_leader
    from tests.journey_kit import SCHOOL, program_near, running_worker, seed_district
    from tests.test_service_commitment import begin, pro_rata, seed_fellow
    from workflows import district
    from workflows.teacher_leader import TeacherLeaderInput, TeacherLeaderJourney

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
CHANGED = "tests.test_audit:ChangedTeacherLeaderJourney"


@workflow.defn(name="TeacherLeaderJourney")
class ChangedTeacherLeaderJourney(TeacherLeaderJourney):
    """A test-only copy with a change made without `workflow.patched`: it asks HR for the
    school's principal before anything else, which released journeys never did."""

    @workflow.init
    def __init__(self, inp: TeacherLeaderInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: TeacherLeaderInput) -> JourneyStatus:
        await district.principal_of(inp.application.school_id)
        return await super().run(inp)


def golden(name: str) -> WorkflowHistory:
    path = Path(__file__).parent / "histories" / f"{name}.json"
    return WorkflowHistory.from_json(name, path.read_text())


async def test_an_unpatched_change_fails_replay_naming_the_workflow_and_the_event() -> None:
    history = golden("teacher_leader_paid")
    # Replays that fail run in a process of their own here: in a process that has also run a
    # worker, the SDK can crash at exit after a failed replay.
    (verdict,) = await replay_many([history], processes=2, workflows=CHANGED)
    assert not verdict.deterministic
    assert verdict.workflow_type == "TeacherLeaderJourney"
    assert (verdict.event_id, verdict.event_type) == (5, "ACTIVITY_TASK_SCHEDULED")
    assert "'hris_employee' does not match" in (verdict.reason or "")
    assert "history event 5 (ACTIVITY_TASK_SCHEDULED)" in verdict.line()
    (same,) = await replay_serial([history])
    assert same.deterministic


async def test_parallel_replay_gives_the_serial_verdicts() -> None:
    histories = [WorkflowHistory.from_json(p.stem, p.read_text()) for p in HISTORIES] * 2
    serial = await replay_many(histories, processes=1)
    parallel = await replay_many(histories, processes=2)
    assert parallel == serial
    assert len(parallel) == len(histories) and all(v.deterministic for v in parallel)


async def withdrawn_journey(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, who: str
) -> str:
    await seed_district(pool, [who])
    program = await program_near(env)
    application = Application(employee_id=who, role="peer_coach", school_id=SCHOOL)
    async with running_worker(client, pool, task_queue):
        handle, _ = await start_teacher_leader(
            client,
            LocalHris(pool),
            program,
            application,
            task_queue,
            now=await env.get_current_time(),
        )
        await handle.execute_update(
            TeacherLeaderJourney.withdraw, Withdraw(withdrawn_by=who, reason="changed schools")
        )
        await handle.result()
    return handle.id


async def test_an_exported_bundle_replays_offline_with_the_same_verdict(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    workflow_id = await withdrawn_journey(client, env, pool, task_queue, "t-31")
    runs = await fetch_runs(client, workflow_id)
    stored = await EventStore(pool).read_stream(workflow_id)
    bundle = tmp_path / "bundle.zip"
    manifest = await export_bundle(runs, stored, bundle)
    assert manifest["events"] == len(stored) > 3
    with zipfile.ZipFile(bundle) as z:
        definition = json.loads(z.read("definition.json"))
        head = json.loads(z.read("chain_head.json"))
    assert definition["workflow_type"] == "TeacherLeaderJourney"
    ProgramYear.model_validate(definition["input"]["program"])  # the rules it ran under
    assert head["version"] == len(stored) and head["hash"] == stored[-1].hash.hex()

    report = await check_bundle(bundle)
    assert report.ok, report
    online = await replay_many(runs, processes=2, workflows=CHANGED)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        offline = await asyncio.wrap_future(pool.submit(offline_verdicts, bundle, CHANGED))
    assert [(v.deterministic, v.event_id, v.reason) for v in online] == offline
    assert offline[0][:2] == (False, 5)


def offline_verdicts(bundle: Path, spec: str) -> list[tuple[bool, int | None, str | None]]:
    """In a fresh process, as an auditor with only the bundle and this code would run it."""
    report = asyncio.run(check_bundle(bundle, load_workflows(spec)))
    assert not report.ok
    return [(v.deterministic, v.event_id, v.reason) for v in report.replays]


def rewrite(bundle: Path, name: str, data: bytes, *, fix_manifest: bool) -> None:
    with zipfile.ZipFile(bundle) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files[name] = data
    if fix_manifest:
        import hashlib

        manifest = json.loads(files["manifest.json"])
        manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(bundle, "w") as z:
        for n, d in files.items():
            z.writestr(n, d)


async def test_a_tampered_bundle_is_named(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    workflow_id = await withdrawn_journey(client, env, pool, task_queue, "t-32")
    bundle = tmp_path / "b.zip"
    stored = await EventStore(pool).read_stream(workflow_id)
    await export_bundle(await fetch_runs(client, workflow_id), stored, bundle)
    with zipfile.ZipFile(bundle) as z:
        lines = z.read("events.jsonl").decode().splitlines()
    row = json.loads(lines[-2])
    row["payload"]["reason"] = "promoted" if "reason" in row["payload"] else "x"
    lines[-2] = json.dumps(row, sort_keys=True)
    altered = ("\n".join(lines) + "\n").encode()

    rewrite(bundle, "events.jsonl", altered, fix_manifest=False)
    with pytest.raises(BundleError, match=r"events\.jsonl does not match the manifest"):
        await check_bundle(bundle)
    dropped = ("\n".join(lines[:-1]) + "\n").encode()
    rewrite(bundle, "events.jsonl", dropped, fix_manifest=True)  # the last event cut off
    with pytest.raises(BundleError, match=f"{len(stored) - 1} events, the manifest says"):
        await check_bundle(bundle)
    rewrite(bundle, "events.jsonl", altered, fix_manifest=True)  # a careful forger
    report = await check_bundle(bundle)
    assert not report.ok
    assert report.chain.first_bad_version == len(stored) - 1
    assert [d.kind for d in report.discrepancies] == ["altered"]


async def test_an_anchor_finds_a_deleted_tail_the_chain_cannot(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    workflow_id = await withdrawn_journey(client, env, pool, task_queue, "t-33")
    store = EventStore(pool)
    stored = await store.read_stream(workflow_id)
    head = {"version": len(stored), "hash": stored[-1].hash.hex()}
    assert check_anchor(stored, head) is None
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await conn.execute(
            "DELETE FROM events WHERE stream_id = $1 AND stream_version > $2",
            workflow_id,
            len(stored) - 2,
        )
    left = await store.read_stream(workflow_id)
    assert verify_chain(workflow_id, left).ok  # what is left is self-consistent
    assert check_anchor(left, head) == (
        f"the log holds {len(stored) - 2} events but version {len(stored)} was exported: "
        "2 event(s) deleted from the end"
    )


async def test_list_replay_over_a_visibility_query(
    pool: asyncpg.Pool, dev_env: WorkflowEnvironment
) -> None:
    """On the dev server (the time-skipping one has no visibility): every journey of a
    program year, found by its search attribute, replays with this code."""
    client = dev_env.client
    await seed_district(pool, ["t-41", "t-42", "t-43"])
    # A year whose commitment deadline has passed: each journey lapses at once.
    program = (await program_near(dev_env)).shifted(-60, program_year="2026-27")
    async with running_worker(client, pool, "audit-list"):
        for who in ("t-41", "t-42", "t-43"):
            application = Application(employee_id=who, role="arts_lead", school_id=SCHOOL)
            inp = TeacherLeaderInput(program=program, application=application)
            started = await start_journey(
                client,
                LocalHris(pool),
                TEACHER_LEADER,
                inp,
                "audit-list",
                now=program.application_deadline,
            )
            handle = client.get_workflow_handle_for(TeacherLeaderJourney.run, started.workflow_id)
            assert (await handle.result()).stage.value == "lapsed"
    query = "ProgramYear = '2026-27'"
    for _ in range(100):  # visibility catches up a moment after the journeys close
        histories = await histories_for_query(client, query)
        if len(histories) == 3:
            break
        await asyncio.sleep(0.1)
    verdicts = await replay_many(histories, processes=2)
    assert sorted(v.workflow_id for v in verdicts) == [
        f"teacher-leader/2026-27/arts_lead/{w}" for w in ("t-41", "t-42", "t-43")
    ]
    assert all(v.deterministic for v in verdicts)
    # The closed journeys' histories go to the archive once.
    from pathways.archive import archive_closed

    closed = f"{query} AND ExecutionStatus != 'Running'"
    assert await archive_closed(client, pool, closed) == 3
    assert await archive_closed(client, pool, closed) == 0


async def test_a_commitment_of_several_runs_is_fetched_exported_and_checked_whole(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    """A four-year commitment continues as new each anniversary: the auditor's tools follow
    the chain of runs, and the events of all of them make one stream."""
    await seed_fellow(pool)
    async with running_worker(client, pool, task_queue):
        started, handle, _graduated = await begin(client, env, task_queue, pro_rata())
        await started.result()
    runs = await fetch_runs(client, handle.id)
    assert len(runs) >= 4  # one per anniversary, then the last
    verdicts = await replay_many(runs, processes=1)
    assert [v.workflow_type for v in verdicts] == ["ServiceCommitment"] * len(runs)
    assert all(v.deterministic for v in verdicts)
    stored = await EventStore(pool).read_stream(handle.id)
    bundle = tmp_path / "commitment.zip"
    manifest = await export_bundle(runs, stored, bundle)
    assert manifest["runs"] == len(runs)
    report = await check_bundle(bundle)
    assert report.ok and report.chain.events_checked == len(stored)
