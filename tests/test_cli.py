"""The real command line in a subprocess: a known failure is one line on stderr, never a trace."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.enrollment import start_journey
from activities.local_systems import LocalHris
from domain.calendar import local_date
from domain.external import Employee
from domain.fellowship.journey import FellowshipApplication
from domain.fellowship.journey import Stage as FellowStage
from domain.fellowship.program import SAMPLE_FELLOWSHIP, load_fellowship
from domain.program import SAMPLE_PROGRAM, Role
from domain.service_commitment.start import SERVICE_COMMITMENT, ServiceCommitmentInput
from domain.teacher_leader.journey import Application, Withdraw
from domain.teacher_leader.start import TEACHER_LEADER
from pathways.cli import journey_time_zone
from pathways.journeys import start_fellowship, start_teacher_leader
from tests.journey_kit import (
    OTHER_SCHOOL,
    PRINCIPAL,
    SCHOOL,
    program_near,
    running_worker,
    seed_district,
)
from workflows.fellowship import FellowshipJourney
from workflows.service_commitment import ServiceCommitment

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30


def closed_port() -> int:
    """A local port nothing listens on (bound once to pick it, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    for name in ("DATABASE_URL", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "TEMPORAL_API_KEY"):
        environment.pop(name, None)
    environment.update({"LOG_FORMAT": "console", "LOG_LEVEL": "warning", "COLUMNS": "200"})
    environment.update(env)
    return subprocess.run(
        [sys.executable, "starter.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_a_bad_temporal_address_is_one_configuration_line() -> None:
    result = run("status", "some-id", TEMPORAL_ADDRESS="nonsense")

    line = one_error_line(result)
    assert line == (
        "error: configuration: TEMPORAL_ADDRESS: expected host:port, for example "
        "localhost:7233 (got 'nonsense')"
    )
    assert result.returncode == 2
    assert result.stdout == ""


def test_a_tls_cert_without_a_key_is_one_configuration_line(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n", "utf-8")

    result = run("status", "some-id", TEMPORAL_TLS_CERT=str(cert))

    line = one_error_line(result)
    assert line == (
        "error: configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together "
        "(mutual TLS)"
    )
    assert result.returncode == 2


def test_an_unreachable_temporal_is_one_line_and_quick() -> None:
    port = closed_port()
    started = time.monotonic()

    result = run("status", "some-id", TEMPORAL_ADDRESS=f"127.0.0.1:{port}")

    assert time.monotonic() - started < TIMEOUT
    line = one_error_line(result)
    assert line.startswith(
        f"error: cannot reach Temporal at 127.0.0.1:{port} (namespace default): connection "
        "refused (nothing listens there). Start it with 'make up'"
    ), line
    assert "set TEMPORAL_ADDRESS" in line and "tonic" not in line
    assert result.returncode != 0
    assert result.stdout == ""


def test_an_invalid_program_file_names_the_field(tmp_path: Path) -> None:
    text = SAMPLE_PROGRAM.read_text("utf-8")
    assert text.count("on = 2027-07-26\n") == 1
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace("on = 2027-07-26\n", "on = 2028-07-26\n"), "utf-8")

    result = run("check-program", "--program", str(broken))

    line = one_error_line(result)
    assert line == (
        f"error: {broken} is not valid: (file): sessions[0].on: summer-1 on 2028-07-26 is "
        "outside the year 2027-07-01..2028-06-30"
    )
    assert result.returncode == 2
    assert result.stdout == ""


def test_a_file_that_is_not_toml_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("program_year = [\n", "utf-8")

    result = run("check-program", "--program", str(broken))

    line = one_error_line(result)
    assert line.startswith(f"error: {broken}: not valid TOML: ")
    assert result.returncode == 2


def test_the_sample_program_checks_clean() -> None:
    result = run("check-program")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Teacher Leader Pathways 2027-28" in result.stdout
    assert "$215.00 a day, partner share 0.80" in " ".join(result.stdout.split())

    as_json = run("teacher-leader", "check", "--json")
    assert '"program_year": "2027-28"' in as_json.stdout
    assert '"partner_share": "0.80"' in as_json.stdout


def test_scores_out_of_range_are_refused_before_contacting_temporal() -> None:
    port = closed_port()

    result = run(
        "decide",
        "x",
        "--outcome",
        "accepted",
        "--scores",
        "9,9,9,9",
        "--by",
        "office:a",
        TEMPORAL_ADDRESS=f"127.0.0.1:{port}",
    )

    line = one_error_line(result)
    assert line == (
        "error: invalid input: time: Input should be less than or equal to 4; "
        "mindset: Input should be less than or equal to 4; "
        "skillset: Input should be less than or equal to 4; "
        "experience: Input should be less than or equal to 4"
    )
    assert "Temporal" not in line
    assert result.returncode == 2


@pytest.mark.parametrize("scores", ["4,4,4", "4,4,x,4", "4,4,4,4,4", "-1,2,3,4"])
def test_scores_that_are_not_four_numbers_are_refused(scores: str) -> None:
    port = closed_port()

    result = run(
        "decide",
        "x",
        "--outcome",
        "accepted",
        "--scores",
        scores,
        "--by",
        "office:a",
        TEMPORAL_ADDRESS=f"127.0.0.1:{port}",
    )

    line = one_error_line(result)
    assert line == (
        "error: --scores: four whole numbers 1-4 (time,mindset,skillset,experience), e.g. 4,4,3,3"
    )
    assert result.returncode == 2


def test_a_make_up_date_that_is_not_a_date_is_refused_before_contacting_temporal() -> None:
    port = closed_port()

    result = run(
        "make-up",
        "x",
        "--session",
        "seminar-1",
        "--on",
        "yesterday",
        "--by",
        "office:a",
        TEMPORAL_ADDRESS=f"127.0.0.1:{port}",
    )

    line = one_error_line(result)
    assert re.match(r"^error: invalid input: completed_on: Input should be a valid date", line)
    assert result.returncode == 2


def test_audit_replay_of_a_recorded_history_says_deterministic() -> None:
    history = ROOT / "tests" / "histories" / "fellowship_graduated.json"
    result = run("audit", "replay", "--history", str(history))
    assert result.returncode == 0, result.stderr
    assert "(FellowshipJourney): deterministic" in result.stdout
    assert "1 run(s) replayed" in result.stdout


def test_audit_replay_of_a_file_that_is_not_a_bundle_is_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "bundle.zip"
    bogus.write_text("not a zip")
    line = one_error_line(run("audit", "replay", "--bundle", str(bogus)))
    assert line.startswith("error: bundle: ") and "not a bundle" in line


def test_fellowship_scores_are_checked_before_contacting_temporal() -> None:
    result = run(
        "fellowship", "decide", "fellowship/plf-2027/e-1", "--by", "office:a", "--scores", "4,4",
        TEMPORAL_ADDRESS=f"127.0.0.1:{closed_port()}",
    )  # fmt: skip
    line = one_error_line(result)
    assert line.startswith("error: --scores: four whole numbers")


def test_the_sample_fellowship_checks_clean() -> None:
    result = run("fellowship", "check")
    assert result.returncode == 0, result.stderr
    assert "12 seats, 4 terms, $30,000.00 assistance per fellow" in " ".join(result.stdout.split())


def test_a_waiver_by_someone_outside_the_office_is_refused_in_words() -> None:
    result = run(
        "fellowship", "waive", "fellowship/plf-2027/e-1", "--by", "ana", "--reason", "hardship",
        TEMPORAL_ADDRESS=f"127.0.0.1:{closed_port()}",
    )  # fmt: skip
    assert one_error_line(result) == (
        "error: invalid input: decided_by: must name someone in the program office, "
        "e.g. office:ana or director:maya (got 'ana')"
    )


# --- one error boundary: definition files, journey ids, ended journeys ----------------------

DEFINITION_COMMANDS = {
    "fellowship check": ["fellowship", "check", "--program"],
    "apply": [
        "apply", "--employee", "e-1", "--role", "team_lead", "--school", "s",
        "--cohort", "elementary_tk_6", "--program",
    ],
    "apply-roster": ["apply-roster", str(ROOT / "tests" / "__init__.py"), "--program"],
    "fellowship apply": ["fellowship", "apply", "--employee", "e-1", "--program"],
    "start-commitment": [
        "start-commitment", "--fellow", "e-1", "--program", "plf-2027", "--graduated",
        "2027-06-01", "--assistance", "100", "--office-email", "o@district.example", "--rules",
    ],
    "aspiring nominate": [
        "aspiring", "nominate", "--employee", "e-1", "--tier1", "2026-06-01", "--year",
    ],
}  # fmt: skip


@pytest.mark.parametrize("command", DEFINITION_COMMANDS)
def test_a_definition_file_that_is_not_toml_is_one_line_for_every_command(
    command: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("program_year = [\n", "utf-8")

    result = run(*DEFINITION_COMMANDS[command], str(broken), TEMPORAL_ADDRESS="127.0.0.1:1")

    assert one_error_line(result).startswith(f"error: {broken}: not valid TOML: ")
    assert result.returncode == 2


def test_a_definition_file_with_a_wrong_type_or_an_unknown_field_names_them(
    tmp_path: Path,
) -> None:
    from domain.fellowship.program import SAMPLE_FELLOWSHIP

    text = SAMPLE_FELLOWSHIP.read_text("utf-8")
    assert text.count("cohort_capacity = 12\n") == 1
    broken = tmp_path / "fellowship.toml"
    broken.write_text(
        text.replace("cohort_capacity = 12\n", 'cohort_capacity = "twelve"\nseats = 1\n')
    )

    line = one_error_line(run("fellowship", "check", "--program", str(broken)))

    assert line.startswith(f"error: {broken} is not valid: cohort_capacity: Input should be")
    assert "seats: Extra inputs are not permitted" in line


def test_a_missing_definition_file_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    result = run(*DEFINITION_COMMANDS["start-commitment"], str(missing))
    assert one_error_line(result) == f"error: {missing}: cannot be read: No such file or directory"
    assert result.returncode == 2


async def run_against(
    env: WorkflowEnvironment, *args: str, database_url: str = "", **more: str
) -> subprocess.CompletedProcess[str]:
    """The command line against the test's Temporal server (and HR tables, where given),
    while the test's worker runs."""
    address = env.client.service_client.config.target_host
    database = {"DATABASE_URL": database_url} if database_url else {}
    return await asyncio.to_thread(run, *args, TEMPORAL_ADDRESS=address, **database, **more)


async def test_journey_ids_that_are_unknown_or_of_another_kind_or_ended_are_one_line(
    client: Client,
    env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    task_queue: str,
    database_url: str,
) -> None:
    await seed_district(pool, ["t-cli"])
    # Fourteen hours ahead of UTC, so the day it closed there is not UTC's for most of the day.
    program = (await program_near(env)).model_copy(update={"time_zone": "Etc/GMT-14"})
    application = Application(
        employee_id="t-cli", role=Role.PEER_COACH, school_id=SCHOOL, submitted_by="hris"
    )
    async with running_worker(client, pool, task_queue):
        handle, _ = await start_teacher_leader(
            client,
            LocalHris(pool),
            program,
            application,
            task_queue,
            now=await env.get_current_time(),
        )
        journey = handle.id

        unknown = await run_against(env, "status", "teacher-leader/1999-00/nobody")
        assert one_error_line(unknown) == "error: there is no journey teacher-leader/1999-00/nobody"
        assert unknown.returncode == 2

        other_status = await run_against(env, "commitment-status", journey)
        assert one_error_line(other_status) == (
            f"error: {journey} is a teacher leader journey, not a service commitment; "
            "see `pathways teacher-leader status`"
        )
        assert other_status.returncode == 2
        other_update = await run_against(
            env, "aspiring", "withdraw", journey, "--by", "office:ana", "--reason", "wrong id"
        )
        assert one_error_line(other_update).startswith(
            f"error: {journey} is a teacher leader journey, not an aspiring principal's year"
        )

        # HR knows the principal, who may not withdraw a teacher's journey.
        refused = await run_against(
            env, "teacher-leader", "withdraw", journey, "--by", PRINCIPAL, "--reason", "x",
            database_url=database_url,
        )  # fmt: skip
        line = one_error_line(refused)
        assert line.startswith(f"error: refused: {PRINCIPAL} cannot withdraw the journey: only")
        assert line.endswith("[policy.not_permitted]")
        assert refused.returncode == 1

        # Actors HR does not know, or whose HR title does not fit the claim, are refused at
        # the edge: nothing is sent.
        for by, code in (
            ("t-nobody", "actor.unknown"),
            ("office:t-nobody", "actor.unknown"),
            (f"office:{PRINCIPAL}", "actor.title_mismatch"),
            ("auditor:zed", "actor.not_configured"),
        ):
            unknown_actor = await run_against(
                env, "withdraw", journey, "--by", by, "--reason", "x", database_url=database_url
            )
            assert one_error_line(unknown_actor).endswith(f"[{code}]"), by
            assert unknown_actor.returncode == 1
        before = await handle.describe()
        assert before.status is not None and before.status.name == "RUNNING"

        shown = await run_against(
            env, "teacher-leader", "status", journey, database_url=database_url,
            PATHWAYS_OPERATOR="rosa",
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert "stage" in shown.stdout and "$" in shown.stdout and "{" not in shown.stdout
        as_json = await run_against(env, "status", journey, "--json", database_url=database_url)
        assert '"stage": "applied"' in as_json.stdout
        # Each reading is in the access log, which an auditor lists.
        readings = await run_against(
            env, "audit", "access", "--employee", "t-cli", "--json", database_url=database_url
        )
        assert readings.returncode == 0, readings.stderr
        rows = [json.loads(line) for line in readings.stdout.splitlines()]
        assert len(rows) == 2 and {r["door"] for r in rows} == {"cli"}
        assert rows[1]["reader"].startswith("pathways-cli rosa@")
        assert (rows[1]["what"], rows[1]["subject"]) == ("journey", journey)

        await handle.execute_update("withdraw", Withdraw(withdrawn_by="t-cli", reason="moving"))
        await handle.result()
        closed_on = (await handle.describe()).close_time
        assert closed_on is not None

        ended = await run_against(
            env, "attend", journey, "--session", "summer-1", "--status", "present",
            "--by", "office:ana",
        )  # fmt: skip
        assert await journey_time_zone(client, handle, TEACHER_LEADER) == "Etc/GMT-14"
        assert one_error_line(ended) == (
            f"error: {journey}: the journey ended on "
            f"{local_date(closed_on, 'Etc/GMT-14').isoformat()} "
            "(withdrawn: moving); nothing more can be recorded"
        )
        assert ended.returncode == 1


async def test_a_transfer_to_a_school_hr_does_not_list_is_refused_and_not_recorded(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, database_url: str
) -> None:
    # In real time: a commitment's years must not pass while the command line runs.
    env, client = dev_env, dev_env.client
    await seed_district(pool, ["t-moves"])
    commitment = commitment_of("t-moves")
    async with running_worker(client, pool, task_queue):
        started = await start_journey(
            client, LocalHris(pool), SERVICE_COMMITMENT, commitment, task_queue,
            now=await env.get_current_time(),
        )  # fmt: skip
        journey = started.workflow_id

        refused = await run_against(
            env, "commitment", "hr-event", journey, "--change", "school_transfer",
            "--on", "2025-09-01", "--school", "nowhere-es", database_url=database_url,
        )  # fmt: skip
        line = one_error_line(refused)
        assert line.startswith("error: refused: ") and "'nowhere-es'" in line
        assert line.endswith("The change was not recorded. [hr.unknown_school]")
        assert refused.returncode == 1
        unchanged = await started.handle.query(ServiceCommitment.status)
        assert unchanged.school_id in (None, SCHOOL)  # as HR listed it at the start

        listed = await run_against(
            env, "commitment", "hr-event", journey, "--change", "school_transfer",
            "--on", "2025-09-01", "--school", OTHER_SCHOOL, database_url=database_url,
        )  # fmt: skip
        assert listed.returncode == 0, listed.stderr
        after = await started.handle.query(ServiceCommitment.status)
        assert after.school_id == OTHER_SCHOOL


def commitment_of(fellow_id: str) -> ServiceCommitmentInput:
    return ServiceCommitmentInput(
        program="plf-cli",
        fellow_id=fellow_id,
        graduated_on=date(2025, 6, 15),
        assistance_cents=1_000_000,
        rules=load_fellowship(SAMPLE_FELLOWSHIP).service,
        program_office_email="plf@district.example",
    )


async def test_a_command_sent_while_the_journey_is_still_starting_is_sent_again(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, database_url: str
) -> None:
    """A command typed right after the start meets a journey still looking its person up in
    HR (`journey.starting`, which asks the caller to send again): the command line does."""
    await seed_district(pool, ["t-early"])
    await LocalHris(pool).upsert_employee(
        Employee(employee_id="ana", full_name="Ana Torres", role="program_office",
                 email="ana@district.example")
    )  # fmt: skip
    now = await dev_env.get_current_time()
    sample = load_fellowship(SAMPLE_FELLOWSHIP)
    fellowship = sample.shifted(
        ((now + timedelta(days=20)).date() - sample.selection_closes_at.date()).days,
        program_id="plf-early",
    )
    handle, _ = await start_fellowship(
        dev_env.client, LocalHris(pool), fellowship, FellowshipApplication(employee_id="t-early"),
        task_queue, now=now,
    )  # fmt: skip
    # No worker yet: the decision reaches the journey in its first task, before HR has named
    # the applicant, and is refused as still starting; the command line sends it again.
    command = asyncio.create_task(
        run_against(
            dev_env, "fellowship", "decide", handle.id, "--select", "--scores", "4,4,3,3",
            "--by", "ana", database_url=database_url, PATHWAYS_OPERATOR="operator:jo",
        )
    )  # fmt: skip
    await asyncio.sleep(3)
    async with running_worker(dev_env.client, pool, task_queue):
        result = await command
        status = await handle.query(FellowshipJourney.status)
        history = await handle.fetch_history()
        await handle.terminate("test over")
    assert result.returncode == 0, result.stderr
    assert status.stage is not FellowStage.APPLIED  # selected: a seat, or the waitlist
    # Temporal recorded who ran the command as the update's sender.
    senders = {
        e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.identity
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    }
    assert any(s.startswith("pathways-cli operator:jo@") for s in senders), senders


async def test_only_an_operator_the_configuration_names_makes_or_revokes_an_api_key(
    pool: asyncpg.Pool, database_url: str
) -> None:
    """A key lets a system write HR's events: `--by` is resolved and checked by the policy
    like every other actor, not taken at its word."""
    await seed_district(pool, [])
    await LocalHris(pool).upsert_employee(
        Employee(employee_id="ana", full_name="Ana Torres", role="program_office",
                 email="ana@district.example")
    )  # fmt: skip
    configured = {"DATABASE_URL": database_url, "NON_HR_ACTORS": "hris,operator:it"}

    def create(by: str) -> subprocess.CompletedProcess[str]:
        return run("api", "key", "create", "feed-cli", "--scope", "hr:write", "--by", by,
                   **configured)  # fmt: skip

    assert "[actor.not_configured]" in one_error_line(create("operator:nobody"))
    assert "[policy.not_permitted]" in one_error_line(create("ana"))  # office:ana, from HR
    assert "[actor.unknown]" in one_error_line(create("office:zed"))
    made = create("operator:it")
    assert made.returncode == 0, made.stderr
    assert await pool.fetchval(
        "SELECT created_by FROM api_keys WHERE name = 'feed-cli'"
    ) == "operator:it"  # fmt: skip
    refused = run("api", "key", "revoke", "feed-cli", "--by", "hris", **configured)
    assert "[policy.not_permitted]" in one_error_line(refused)
    revoked = run("api", "key", "revoke", "feed-cli", "--by", "operator:it", **configured)
    assert revoked.returncode == 0, revoked.stderr
