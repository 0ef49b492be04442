"""The README walkthrough, command by command, against a dev server in real time.

The blocks marked `<!-- walkthrough -->` in README.md are run in order as one shell script, as
a reader would paste them after `make up`: load HR, write today's sample definitions, then
teacher leader, fellowship, aspiring principal, service commitment and audit commands. Every
command must succeed, and the journey ids the README builds must be the ones the starts print.
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import sys
from pathlib import Path

import asyncpg
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from pathways.config import embedded_key_ring
from pathways.payload_codec import KeyRing, encrypted, person_keys
from pathways.temporal import DATA_CONVERTER
from tests.journey_kit import running_worker

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = "<!-- walkthrough"
PROGRAM = "P=.venv/bin/pathways"


def walkthrough_blocks(text: str) -> list[str]:
    """The shell blocks that follow a walkthrough marker, in README order."""
    blocks = []
    for part in text.split(MARKER)[1:]:
        after_marker = part.split("\n", 1)[1]
        found = re.match(r"```sh\n(.*?)```", after_marker, re.DOTALL)
        assert found is not None, f"no shell block right after a walkthrough marker: {part[:80]}"
        blocks.append(found.group(1))
    return blocks


def test_the_readme_marks_its_walkthrough_and_starts_it_with_hr_and_todays_definitions() -> None:
    blocks = walkthrough_blocks(README.read_text("utf-8"))
    assert len(blocks) >= 4
    first = blocks[0].splitlines()
    assert first[0] == PROGRAM
    assert first[1].startswith("$P load-hr --employees examples/employees.csv")
    assert first[2].startswith("$P sample-year")


async def test_every_walkthrough_command_succeeds_on_a_dev_server(
    pool: asyncpg.Pool, dev_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    script = "\n".join(walkthrough_blocks(README.read_text("utf-8")))
    wrapper = tmp_path / "pathways"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "starter.py"}" "$@"\n')
    wrapper.chmod(0o755)
    script = script.replace(PROGRAM, f'P="{wrapper}"', 1)
    script = (
        "set -eE\ntrap 'echo \"walkthrough command failed: $BASH_COMMAND\" >&2' ERR\n"
        f'{script}\necho "ids: $J $F $A $C $E $T $I $S $G $B"\n'
    )
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    task_queue = "walkthrough"
    # Encrypted as `make up` encrypts: the data folder's key ring, which the commands find there.
    ring = KeyRing.create(embedded_key_ring(tmp_path / ".data"))
    sealed = Client(dev_env.client.service_client, namespace=dev_env.client.namespace,
                    data_converter=encrypted(DATA_CONVERTER, ring))  # fmt: skip
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TEMPORAL_", "HRIS_", "PAYROLL_", "EMAIL_", "PAYLOAD_KEYS"))
    }
    environment.update(
        TEMPORAL_ADDRESS=dev_env.client.service_client.config.target_host,
        TEMPORAL_TASK_QUEUE=task_queue,
        DATABASE_URL=database_url,
        PATHWAYS_DATA_DIR=str(tmp_path / ".data"),
        LOG_FORMAT="console",
        LOG_LEVEL="warning",
        COLUMNS="200",
    )

    async with running_worker(sealed, pool, task_queue, people=person_keys(Path(ring.source))):
        shell = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            script,
            cwd=tmp_path,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(shell.communicate(), timeout=150)
    stdout, stderr = out.decode(), err.decode()

    assert shell.returncode == 0, f"{stderr}\n--- output ---\n{stdout[-3000:]}"
    assert "Traceback" not in stderr + stdout
    started = re.findall(r"^started: (\S+)$", stdout, re.MULTILINE)
    ids = re.search(r"^ids: (.*)$", stdout, re.MULTILINE)
    assert ids is not None
    built = ids.group(1).split()
    assert len(started) == 10 and set(built) == set(started), (started, built)
    assert f"recorded: {built[0]} is closed" in stdout  # the teacher leader's year, closed early
    assert f"recorded: {built[3]} is breached" in stdout  # the commitment, left early, waived
    # The lists fold each pathway's journeys from the event log.
    assert re.search(r"^\s*Aspiring Principals \S+: 1\s*$", stdout, re.MULTILINE)
    assert re.search(r"\(e-3001\) .*\bactive\b.*\b4 missing\b", stdout)
    title = r"^\s*Service commitments of \S+ on \d{4}-\d\d-\d\d: 1\s*$"
    assert re.search(title, stdout, re.MULTILINE)
    assert re.search(r"\be-1002 .*\bbreached\b.*\$15,000\.00", stdout)
    assert "$" in stdout and "_cents" not in stdout  # a person reads money in dollars
    # Training records and a badge verified offline.
    assert re.search(r"\bcertification\b.*\bLBUSD Certified Evaluator until \d{4}", stdout)
    assert re.search(
        r"^valid: LBUSD Certified Evaluator for e-1002@district\.example", stdout, re.M
    )
    assert "0 altered" in stdout and "0 discrepancies" in stdout

    # Temporal and the event log hold no name or e-mail of the walkthrough's people.
    with (ROOT / "examples" / "employees.csv").open(encoding="utf-8") as rows:
        people = list(csv.DictReader(rows))
    for journey in built:
        raw = (await dev_env.client.get_workflow_handle(journey).fetch_history()).to_json()
        named = [p["full_name"] for p in people if p["full_name"] in raw or p["email"] in raw]
        assert named == [], (journey, named)
    log = str(await pool.fetchval("SELECT string_agg(payload::text, ' ') FROM events"))
    named = [p["full_name"] for p in people if p["full_name"] in log or p["email"] in log]
    assert named == [], named
