"""Rules that once lived only in the command line, now in `domain/` and held on every path:
an HR change naming a school HR does not list (one journey's command and the fan-out to all of
an employee's), a Tier I credential dated in the future, and a teacher leader application the
program year refuses on its face."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.enrollment import check_hr_news, check_start, start_journey
from activities.local_systems import LocalHris
from domain.aspiring_principals.journey import (
    AspiringNomination,
    AspiringRefusal,
    check_nomination,
)
from domain.aspiring_principals.program import SAMPLE_ASPIRING, load_aspiring_year
from domain.aspiring_principals.start import ASPIRING_PRINCIPAL, AspiringInput
from domain.external import School
from domain.hr import HrChange, HrNews, check_hr_change
from domain.pathway import StartRefused
from domain.program import SAMPLE_PROGRAM, Role, load_program_year
from domain.refusals import Refusal
from domain.service_commitment.start import SERVICE_COMMITMENT
from domain.teacher_leader.journey import Application
from domain.teacher_leader.start import TEACHER_LEADER, TeacherLeaderInput
from pathways.journeys import tell_open_journeys
from tests.journey_kit import OTHER_SCHOOL, SCHOOL, running_worker, seed_district
from tests.test_cli import closed_port, commitment_of, one_error_line, run
from workflows.service_commitment import ServiceCommitment

CARVER = School(school_id=OTHER_SCHOOL, name="Carver Middle School", principal_id=None)


# --- an HR change names a school HR lists ---------------------------------------------------


def code_of(call: object) -> str:
    assert callable(call)
    with pytest.raises(Refusal) as refused:
        call()
    return refused.value.code


def test_a_transfer_must_name_its_school_and_a_school_named_must_be_listed() -> None:
    transfer = HrChange.SCHOOL_TRANSFER
    assert code_of(lambda: check_hr_change(transfer, None, None)) == "hr.school_required"
    assert code_of(lambda: check_hr_change(transfer, "", None)) == "hr.school_required"
    with pytest.raises(Refusal, match=r"^HR has none\. The change was not recorded\.$") as no:
        check_hr_change(transfer, "nowhere-es", None, "HR has none.")
    assert no.value.code == "hr.unknown_school"
    # HR's record of another school is no record of this one.
    assert code_of(lambda: check_hr_change(transfer, "nowhere-es", CARVER)) == "hr.unknown_school"
    check_hr_change(transfer, OTHER_SCHOOL, CARVER)
    # A change that names no school asks nothing of HR; one that names a school does.
    check_hr_change(HrChange.LEAVE_START, None, None)
    assert code_of(lambda: check_hr_change(HrChange.ROLE_CHANGE, "x", None)) == "hr.unknown_school"


async def test_hr_news_is_checked_against_the_hr_tables(pool: asyncpg.Pool) -> None:
    await seed_district(pool, [])
    hris = LocalHris(pool)
    await check_hr_news(hris, HrChange.SCHOOL_TRANSFER, OTHER_SCHOOL)
    await check_hr_news(hris, HrChange.SEPARATION, None)
    with pytest.raises(Refusal) as refused:
        await check_hr_news(hris, HrChange.SCHOOL_TRANSFER, "nowhere-es")
    assert refused.value.code == "hr.unknown_school"
    assert "'nowhere-es'" in refused.value.message  # in HR's words


async def test_the_fan_out_refuses_a_transfer_to_a_school_hr_does_not_list(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    """The same rule as `commitment hr-event`: before, the fan-out recorded any school."""
    client = dev_env.client
    await seed_district(pool, ["t-fans"])
    hris = LocalHris(pool)
    async with running_worker(client, pool, task_queue):
        started = await start_journey(
            client, hris, SERVICE_COMMITMENT, commitment_of("t-fans"), task_queue,
            now=await dev_env.get_current_time(),
        )  # fmt: skip
        query = "EmployeeId = 't-fans' AND ExecutionStatus = 'Running'"
        for _ in range(200):  # visibility lists the journey a moment after its start
            if (await client.count_workflows(query)).count == 1:
                break
            await asyncio.sleep(0.05)

        def moved_to(school: str) -> HrNews:
            return HrNews(
                employee_id="t-fans", change=HrChange.SCHOOL_TRANSFER,
                effective_on=date(2025, 9, 1), school_id=school,
            )  # fmt: skip

        with pytest.raises(Refusal) as refused:
            await tell_open_journeys(client, hris, moved_to("nowhere-es"))
        assert refused.value.code == "hr.unknown_school"
        unchanged = await started.handle.query(ServiceCommitment.status)
        assert unchanged.school_id in (None, SCHOOL)

        for _ in range(100):  # the commitment answers once it has looked the fellow up
            told = await tell_open_journeys(client, hris, moved_to(OTHER_SCHOOL))
            if told and told[0].refused is None:
                break
            await asyncio.sleep(0.1)
        assert [(t.workflow_id, t.refused) for t in told] == [(started.workflow_id, None)]
        moved = await started.handle.query(ServiceCommitment.status)
        assert moved.school_id == OTHER_SCHOOL


# --- the Tier I credential is one already earned ---------------------------------------------


def nomination(on: date) -> AspiringNomination:
    return AspiringNomination(employee_id="e-3001", tier1_credential_on=on)


def test_a_tier1_credential_dated_tomorrow_in_the_program_s_time_zone_is_refused() -> None:
    year = load_aspiring_year(SAMPLE_ASPIRING)
    assert year.time_zone == "America/Los_Angeles"
    # 23:30 on 2027-05-31 in Los Angeles is already 2027-06-01 in UTC.
    evening = datetime(2027, 6, 1, 6, 30, tzinfo=UTC)
    with pytest.raises(AspiringRefusal) as refused:
        check_nomination(year, nomination(date(2027, 6, 1)), evening)
    assert refused.value.code == "date.in_future"
    assert "today is 2027-05-31 in America/Los_Angeles" in refused.value.message
    check_nomination(year, nomination(date(2027, 5, 31)), evening)
    check_nomination(year, nomination(date(2027, 6, 1)), evening + timedelta(minutes=30))


async def test_the_start_path_refuses_a_future_tier1_before_asking_hr(pool: asyncpg.Pool) -> None:
    year = load_aspiring_year(SAMPLE_ASPIRING)
    now = datetime.now(UTC)
    inp = AspiringInput(year=year, nomination=nomination((now + timedelta(days=3)).date()))
    # e-3001 is not in these HR tables: the date is refused first, HR is never asked.
    with pytest.raises(StartRefused) as refused:
        await check_start(LocalHris(pool), ASPIRING_PRINCIPAL, inp, now)
    assert refused.value.code == "date.in_future"


def test_the_command_line_refuses_a_future_tier1_in_one_line_before_contacting_temporal() -> None:
    later = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    result = run(
        "aspiring", "apply", "--employee", "e-3001", "--tier1", later,
        TEMPORAL_ADDRESS=f"127.0.0.1:{closed_port()}",
    )  # fmt: skip
    line = one_error_line(result)
    assert line.startswith(f"error: refused: the Tier I credential dated {later} is in the future")
    assert line.endswith("[date.in_future]")
    assert result.returncode == 1


# --- a teacher leader application the year refuses on its face -----------------------------


async def test_the_start_path_refuses_an_application_on_its_face_before_asking_hr(
    pool: asyncpg.Pool,
) -> None:
    program = load_program_year(SAMPLE_PROGRAM)
    no_cohort = Application(
        employee_id="nobody-in-hr", role=Role.TEAM_LEAD, school_id=SCHOOL, submitted_by="hris"
    )
    inp = TeacherLeaderInput(program=program, application=no_cohort)
    with pytest.raises(StartRefused) as refused:
        await check_start(LocalHris(pool), TEACHER_LEADER, inp, program.application_deadline)
    assert refused.value.code == "application.cohort_required"


def test_the_command_line_refuses_an_application_on_its_face_as_the_start_path_does() -> None:
    result = run(
        "teacher-leader", "apply", "--employee", "e-1001", "--role", "team_lead",
        "--school", SCHOOL, TEMPORAL_ADDRESS=f"127.0.0.1:{closed_port()}",
    )  # fmt: skip
    line = one_error_line(result)
    assert line.startswith("error: refused: a Team Lead application needs a cohort")
    assert line.endswith("[application.cohort_required]")
    assert result.returncode == 1
