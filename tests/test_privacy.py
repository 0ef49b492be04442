"""A person's records exported in one command (`pathways privacy export`)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import asyncpg
from temporalio.testing import WorkflowEnvironment

from activities.access_log import AccessLog
from activities.local_systems import LocalHris
from domain.program import Role
from domain.teacher_leader.journey import Application
from pathways.journeys import start_teacher_leader
from pathways.privacy import streams_of
from tests.journey_kit import SCHOOL, program_near, running_worker, seed_district
from tests.test_cli import run_against


async def test_a_persons_records_are_exported_with_who_read_them(
    own_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    task_queue: str,
    database_url: str,
    tmp_path: Path,
) -> None:
    await seed_district(pool, ["t-ex", "t-ex1"])
    program = await program_near(own_env)
    client = own_env.client
    async with running_worker(client, pool, task_queue):
        for who in ("t-ex", "t-ex1"):  # t-ex1's journey is not t-ex's, though its id ends alike
            handle, _ = await start_teacher_leader(
                client, LocalHris(pool),  program,
                Application(employee_id=who, role=Role.PEER_COACH, school_id=SCHOOL),
                task_queue, now=await own_env.get_current_time(),
            )  # fmt: skip
            await handle.query("status")
        journey = f"teacher-leader/{program.program_year}/peer_coach/t-ex"
        shown = await run_against(own_env, "status", journey, database_url=database_url)
        assert shown.returncode == 0, shown.stderr
        out = tmp_path / "t-ex.zip"
        exported = await run_against(
            own_env, "privacy", "export", "t-ex", "--out", str(out), database_url=database_url,
            PATHWAYS_OPERATOR="inspector",
        )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert await streams_of(pool, "t-ex") == ["career/t-ex", journey]
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for name, digest in manifest["sha256"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
        person = json.loads(archive.read("person.json"))
        events = archive.read(f"journeys/{journey.replace('/', '_')}.jsonl").decode()
        words = archive.read(f"journeys/{journey.replace('/', '_')}.txt").decode()
        readings = [json.loads(x) for x in archive.read("access_log.jsonl").splitlines()]
    assert manifest["journeys"] == ["career/t-ex", journey]
    assert manifest["events"] > len(events.splitlines()) > 0  # the career's events besides
    assert manifest["exported_by"].startswith("pathways-cli inspector@")
    assert person["full_name"] == "Teacher t-ex"
    assert "ApplicationSubmitted" in events and "applied as Peer Coach" in words
    assert [(r["door"], r["what"], r["subject"]) for r in readings][-1] == (
        "cli", "journey", journey
    )  # fmt: skip
    # The export itself is a reading of the person's records.
    newest = (await AccessLog(pool).entries(employee_id="t-ex", limit=1))[0]
    assert (newest.what.value, newest.subject) == ("export", "t-ex")
