"""Data from outside is checked where it enters: a value that cannot be stored or cannot be
right is refused for good, naming the system, the field and the record, and never retried."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from pydantic import ValidationError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.enrollment import check_start
from activities.eventstore import EventStore
from activities.external import ExternalActivities
from activities.http_systems import HttpHris, HttpMailer, HttpPayroll, open_http_client
from activities.journal import JournalActivities
from activities.systems import ExternalDataInvalid, ExternalSystemUnavailable
from domain import registry
from domain.events import AppendEvents, NewEvent
from domain.external import Employee, School
from domain.pathway import StartRefused
from domain.program import SAMPLE_PROGRAM, SERVICE_RULES, Role, load_program_year
from domain.service_commitment.rules import load_service_rules
from domain.service_commitment.start import ServiceCommitmentInput
from domain.teacher_leader.journey import Application
from domain.teacher_leader.start import TeacherLeaderInput
from pathways.roster import parse_roster
from tests.fake_district import FakeDistrict
from tests.test_cli import one_error_line, run
from tests.test_logging import captured_logs

NUL_NAME = "Ana\x00 Reyes"


def hr_record_with_nul(district: FakeDistrict) -> None:
    district.add_school(School(school_id="s-1", name="Grape Street ES"))
    good = Employee(
        employee_id="e-9", full_name="Ana Reyes", email="e-9@district.example", role="teacher"
    )
    district.employees["e-9"] = {**good.model_dump(mode="json"), "full_name": NUL_NAME}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with open_http_client(5) as client:
        yield client


def test_hr_records_refuse_control_characters_and_name_the_field() -> None:
    with pytest.raises(ValidationError, match=r"full_name\n.*U\+0000 at position 4"):
        Employee(employee_id="e-9", full_name=NUL_NAME, email="a@b.c", role="teacher")
    with pytest.raises(ValidationError, match="school_id"):
        School(school_id="s\x07", name="Grape Street ES")
    assert Employee(employee_id="e-9", full_name="Zoë Ng", email="a@b.c", role="teacher")


async def test_a_nul_from_hr_over_http_is_refused_for_good(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    hr_record_with_nul(district)
    hris = HttpHris(base_url, http)
    with pytest.raises(ExternalDataInvalid) as invalid:
        await hris.employee("e-9")
    message = invalid.value.message
    assert message.startswith("The HR system (HRIS) sent employee 'e-9' with full_name: ")
    assert "U+0000" in message

    activities = ExternalActivities(hris, HttpPayroll(base_url, http), HttpMailer(base_url, http))
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(activities.hris_employee, "e-9")
    assert (failed.value.type, failed.value.non_retryable) == ("ExternalDataInvalid", True)
    assert failed.value.details == ({"system": "the HR system (HRIS)", "record": "employee 'e-9'"},)

    inp = TeacherLeaderInput(
        program=load_program_year(SAMPLE_PROGRAM),
        application=Application(employee_id="e-9", role=Role.ARTS_LEAD, school_id="s-1"),
    )
    with pytest.raises(StartRefused) as refused:
        await check_start(hris, registry.by_key("teacher_leader"), inp)
    assert refused.value.code == "start.invalid_hr_record"
    assert "full_name" in refused.value.message


async def test_an_answer_that_is_not_json_is_still_worth_a_retry(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    district.schools["s-2"] = "maintenance"  # type: ignore[assignment]  # a JSON string
    with pytest.raises(ExternalSystemUnavailable, match="will retry"):
        await HttpHris(base_url, http).school("s-2")


async def test_events_the_store_cannot_hold_fail_the_append_for_good(pool: asyncpg.Pool) -> None:
    journal = JournalActivities(EventStore(pool))
    event = NewEvent(
        event_id=uuid.uuid4(),
        event_type="TestHappened",
        schema_version=1,
        payload={"name": NUL_NAME},
        actor="hris",
        causation_id="cmd-1",
    )
    request = AppendEvents(stream_id="s-nul", expected_version=0, events=[event])
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(journal.append_events, request)
    assert (failed.value.type, failed.value.non_retryable) == ("EventNotStorable", True)
    assert "'s-nul'" in failed.value.message
    assert await EventStore(pool).stream_version("s-nul") == 0


def test_load_hr_with_a_nul_in_the_csv_is_one_line(tmp_path: Path) -> None:
    employees = tmp_path / "employees.csv"
    employees.write_text(
        "employee_id,full_name,email,role,school_id\n"
        f"e-9,{NUL_NAME},e-9@district.example,teacher,\n",
        encoding="utf-8",
    )
    line = one_error_line(run("load-hr", "--employees", str(employees)))
    assert "full_name" in line
    assert "U+0000" in line


def test_a_nul_in_a_roster_row_is_refused_by_line() -> None:
    program = load_program_year(SAMPLE_PROGRAM)
    text = "employee_id,role,school_id,cohort\ne-1,arts_lead,s-1,\ne-\x002,arts_lead,s-1,\n"
    rows, problems = parse_roster(text, program, program.application_deadline.replace(hour=0))
    assert [r.application.employee_id for r in rows] == ["e-1"]
    assert [p.line for p in problems] == [3]
    assert "NUL" in problems[0].reason


def test_a_negative_assistance_amount_is_refused() -> None:
    with pytest.raises(ValidationError, match="assistance_cents"):
        ServiceCommitmentInput(
            program="plf-2027",
            fellow_id="e-1002",
            graduated_on="2026-06-15",
            assistance_cents=-3_583_333,
            rules=load_service_rules(SERVICE_RULES),
            program_office_email="plf@district.example",
        )


@pytest.fixture
def console_logs() -> Iterator[io.StringIO]:
    with captured_logs("console") as buffer:
        yield buffer


def test_an_expected_failure_is_one_line_and_a_bug_keeps_a_plain_traceback(
    console_logs: io.StringIO,
) -> None:
    log = logging.getLogger("temporalio.activity")
    try:
        raise ApplicationError("HR sent a NUL", type="ExternalDataInvalid", non_retryable=True)
    except ApplicationError:
        log.warning("Completing activity as failed", exc_info=True)
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except OSError:
        log.warning("Completing activity as failed", exc_info=True)
    expected = console_logs.getvalue().splitlines()
    assert len(expected) == 2
    assert "error='ApplicationError: ExternalDataInvalid: HR sent a NUL'" in expected[0]
    assert "ConnectionRefusedError" in expected[1]

    secret = "local-value-not-for-logs"
    try:
        {"a": secret}["b"]
    except KeyError:
        log.warning("Completing activity as failed", exc_info=True)
    unexpected = console_logs.getvalue().splitlines()[2:]
    assert "Traceback (most recent call last):" in unexpected
    assert secret not in "\n".join(unexpected)  # no local variables
    assert len(unexpected) < 15


def test_a_command_does_not_start_the_embedded_database_after_make_down(tmp_path: Path) -> None:
    data = tmp_path / ".data"
    result = run("audit", "verify", PATHWAYS_DATA_DIR=str(data))
    line = one_error_line(result)
    assert "the embedded PostgreSQL" in line
    assert "is not running: start it with `make up`" in line
    assert result.returncode == 2
    assert not (data / "postgres" / "postmaster.pid").exists()
