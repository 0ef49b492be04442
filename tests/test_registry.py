"""The pathway registry and the one start path: every pathway starts the same way, through
every interface, is found by `EmployeeId` with all six search attributes, and a start HR or
the pathway refuses starts nothing."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.enrollment import start_journey
from activities.local_systems import LocalHris
from activities.orchestration import OrchestrationActivities
from domain import registry
from domain.aspiring_principals.journey import AspiringNomination
from domain.aspiring_principals.program import SAMPLE_ASPIRING, load_aspiring_year
from domain.aspiring_principals.start import AspiringInput
from domain.catalog.definition import CATALOG, load_program
from domain.catalog.start import ProgramEnrollment, ProgramInput
from domain.external import Employee, EmploymentStatus
from domain.fellowship.journey import FellowshipApplication
from domain.fellowship.program import SAMPLE_FELLOWSHIP, load_fellowship
from domain.fellowship.start import FellowshipInput
from domain.hr import HrChange, HrNews
from domain.pathway import SEARCH_ATTRIBUTES, StartRefused
from domain.program import SAMPLE_PROGRAM, Role, load_program_year
from domain.service_commitment.start import ServiceCommitmentInput
from domain.teacher_leader.journey import Application
from domain.teacher_leader.start import TeacherLeaderInput
from tests.journey_kit import OTHER_SCHOOL, SCHOOL, seed_district
from tests.test_cli import run
from workflows.registry import JOURNEYS, WORKFLOWS

# --- the registry itself ---------------------------------------------------------------------


def test_every_pathway_has_its_workflow_and_every_update_it_names_exists() -> None:
    assert set(JOURNEYS) == set(registry.PATHWAYS)
    assert set(JOURNEYS.values()) <= set(WORKFLOWS)
    for key, pathway in registry.PATHWAYS.items():
        definition = workflow._Definition.must_from_class(JOURNEYS[key])
        assert definition.name == pathway.workflow_type
        assert registry.by_workflow_type(pathway.workflow_type) is pathway
        for change in HrChange:
            news = HrNews(employee_id="e-1", change=change, effective_on=date(2027, 1, 4))
            told = pathway.hears(news)
            if told is not None:
                name, command = told
                assert name in definition.updates, f"{key} has no update {name}"
                update = definition.updates[name]
                assert update.arg_types is not None
                assert isinstance(command, update.arg_types[0])
        separation = HrNews(
            employee_id="e-1", change=HrChange.SEPARATION, effective_on=date(2027, 1, 4)
        )
        assert pathway.hears(separation) is not None, f"{key} does not hear a separation"


def test_journey_ids_name_their_pathway() -> None:
    assert registry.by_journey_id("teacher-leader/2027-28/arts_lead/e-1").key == "teacher_leader"
    assert registry.by_journey_id("fellowship/plf-2027/e-1").key == "fellowship"
    assert registry.by_journey_id("aspiring-principal/2027-28/e-1").key == "aspiring_principal"
    assert registry.by_journey_id("service-commitment/plf/e-1").key == "service_commitment"
    assert registry.by_journey_id("program/induction/2026-27/e-1").key == "program"
    with pytest.raises(registry.UnknownJourney, match="is not a journey id"):
        registry.by_journey_id("career/e-1")


# --- inputs for each pathway, near today --------------------------------------------------


def years_ahead(today: date) -> int:
    """Whole years to move the samples by so that every start deadline is ahead of today."""
    shift = 0
    while date(2027 + shift, 5, 14) <= today + timedelta(days=30):
        shift += 1
    return shift


def shifted_toml(sample: Path, years: int, folder: Path) -> Path:
    """A sample definition file with every year moved on by `years`."""
    text = sample.read_text("utf-8")
    text = re.sub(
        r'"(20\d\d)-(\d\d)"', lambda m: f'"{int(m[1]) + years}-{int(m[2]) + years:02d}"', text
    )
    text = re.sub(r"\b(20\d\d)(?=-\d\d-\d\d)", lambda m: str(int(m[1]) + years), text)
    out = folder / sample.name
    out.write_text(text, "utf-8")
    return out


def inputs(employee_id: str, files: dict[str, Path]) -> dict[str, Any]:
    program = load_program_year(files["teacher_leader"])
    fellowship = load_fellowship(files["fellowship"])
    year = load_aspiring_year(files["aspiring_principal"])
    return {
        "teacher_leader": TeacherLeaderInput(
            program=program,
            application=Application(employee_id=employee_id, role=Role.ARTS_LEAD, school_id=SCHOOL),
        ),
        "fellowship": FellowshipInput(
            program=fellowship, application=FellowshipApplication(employee_id=employee_id)
        ),
        "aspiring_principal": AspiringInput(
            year=year,
            nomination=AspiringNomination(
                employee_id=employee_id, tier1_credential_on=date(2025, 6, 1)
            ),
        ),
        "program": ProgramInput(
            program=load_program(files["program"]),
            enrollment=ProgramEnrollment(employee_id=employee_id, enrolled_by="hris"),
        ),
        "service_commitment": ServiceCommitmentInput(
            program="plf-registry",
            fellow_id=employee_id,
            graduated_on=date(2025, 6, 15),
            assistance_cents=1_000_000,
            rules=fellowship.service,
            program_office_email="plf@district.example",
        ),
    }


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    years = years_ahead(datetime.now(UTC).date())
    return {
        "teacher_leader": shifted_toml(SAMPLE_PROGRAM, years, tmp_path),
        "fellowship": shifted_toml(SAMPLE_FELLOWSHIP, years, tmp_path),
        "aspiring_principal": shifted_toml(SAMPLE_ASPIRING, years, tmp_path),
        "program": shifted_toml(CERTIFICATE, certificate_years(), tmp_path),
    }


CERTIFICATE = CATALOG / "teacher_leader_certificate.toml"


def certificate_years() -> int:
    """Whole years to move the certificate's sample by so that its enrollment is open."""
    closes, today, shift = load_program(CERTIFICATE).enrollment_closes, datetime.now(UTC).date(), 0
    assert closes is not None
    while closes.replace(year=closes.year + shift) <= today:
        shift += 1
    return shift


async def hire(pool: asyncpg.Pool, employee_id: str, **changes: Any) -> None:
    fields: dict[str, Any] = {
        "employee_id": employee_id,
        "full_name": f"Teacher {employee_id}",
        "email": f"{employee_id}@district.example",
        "role": "teacher",
        "school_id": SCHOOL,
        **changes,
    }
    await LocalHris(pool).upsert_employee(Employee(**fields))


async def found(client: Client, employee_id: str, count: int) -> dict[str, dict[str, Any]]:
    """The journeys visibility lists for the employee, once it lists `count` of them."""
    for _ in range(150):  # visibility sees new workflows a moment later
        listed = [e async for e in client.list_workflows(f"EmployeeId = '{employee_id}'")]
        if len(listed) >= count:
            return {e.workflow_type: e.search_attributes for e in listed}
        await asyncio.sleep(0.1)
    raise AssertionError(f"visibility never listed {count} journeys of {employee_id}")


def assert_all_attributes(listed: dict[str, dict[str, Any]], employee_id: str) -> None:
    for workflow_type, attributes in listed.items():
        missing = [name for name in SEARCH_ATTRIBUTES if not attributes.get(name)]
        assert not missing, f"{workflow_type} lacks {missing}"
        assert attributes["EmployeeId"] == [employee_id]
        assert attributes["SchoolId"] == [SCHOOL]


# --- every pathway through every start path -----------------------------------------------


async def test_every_pathway_through_every_start_path_is_found_by_employee_id(
    pool: asyncpg.Pool, dev_env: WorkflowEnvironment, database_url: str, files: dict[str, Path]
) -> None:
    client = dev_env.client
    await seed_district(pool, [])
    for who in ("reg-1", "reg-2", "reg-3"):
        await hire(pool, who)
    types = {p.workflow_type for p in registry.PATHWAYS.values()}
    started: list[str] = []
    try:
        # 1. The start path itself, as every interface calls it.
        hris = LocalHris(pool)
        for key, inp in inputs("reg-1", files).items():
            result = await start_journey(client, hris, registry.by_key(key), inp, "registry-q")
            assert result.created
            started.append(result.workflow_id)
            again = await start_journey(client, hris, registry.by_key(key), inp, "registry-q")
            assert (again.created, again.workflow_id) == (False, result.workflow_id)
        listed = await found(client, "reg-1", len(types))
        assert set(listed) == types
        assert_all_attributes(listed, "reg-1")

        # 2. The command line: one command per pathway, each through the same path.
        address = client.service_client.config.target_host
        cli = {"TEMPORAL_ADDRESS": address, "DATABASE_URL": database_url}
        commands = [
            ["apply", "--employee", "reg-2", "--role", "arts_lead", "--school", SCHOOL,
             "--program", str(files["teacher_leader"])],
            ["fellowship", "apply", "--employee", "reg-2", "--program", str(files["fellowship"])],
            ["aspiring", "nominate", "--employee", "reg-2", "--tier1", "2025-06-01",
             "--year", str(files["aspiring_principal"])],
            ["start-commitment", "--fellow", "reg-2", "--program", "plf-registry",
             "--graduated", "2025-06-15", "--assistance", "10000.00",
             "--office-email", "plf@district.example"],
            ["program", "apply", str(files["program"]), "--employee", "reg-2", "--by", "hris"],
        ]  # fmt: skip
        for command in commands:
            result = run(*command, **cli)
            assert result.returncode == 0, result.stderr
            assert result.stdout.startswith("started: "), result.stdout
            started.append(result.stdout.split(": ", 1)[1].strip())
        listed = await found(client, "reg-2", len(types))
        assert set(listed) == types
        assert_all_attributes(listed, "reg-2")

        # 3. Graduation: the fellowship's activity starts the commitment the same way.
        activities = OrchestrationActivities(client, hris)
        commitment = inputs("reg-3", files)["service_commitment"]
        workflow_id = await ActivityEnvironment().run(
            activities.start_service_commitment, commitment
        )
        started.append(workflow_id)
        listed = await found(client, "reg-3", 1)
        assert set(listed) == {"ServiceCommitment"}
        assert_all_attributes(listed, "reg-3")
    finally:
        for workflow_id in started:
            await client.get_workflow_handle(workflow_id).terminate(reason="test over")


async def test_a_start_hr_or_the_pathway_refuses_starts_nothing(
    pool: asyncpg.Pool, dev_env: WorkflowEnvironment, files: dict[str, Path]
) -> None:
    client = dev_env.client
    await seed_district(pool, [])
    await hire(pool, "ref-moved", school_id=OTHER_SCHOOL)
    await hire(pool, "ref-principal", role="principal")
    await hire(pool, "ref-gone", status=EmploymentStatus.SEPARATED)
    hris = LocalHris(pool)
    teacher_leader = registry.by_key("teacher_leader")
    cases = [
        ("reg-nobody", "teacher_leader", "start.unknown_employee", "has no employee with id"),
        ("ref-moved", "teacher_leader", "start.school_mismatch", f"at {OTHER_SCHOOL}, not at"),
        ("ref-principal", "teacher_leader", "start.ineligible_title", "open to teacher"),
        ("ref-principal", "fellowship", "start.ineligible_title", "open to teacher"),
        ("ref-principal", "aspiring_principal", "start.ineligible_title", "Aspiring Principals"),
        ("ref-gone", "fellowship", "start.separated", "separated from the district"),
    ]
    refused_ids = []
    for who, key, code, words in cases:
        inp = inputs(who, files)[key]
        with pytest.raises(StartRefused) as refused:
            await start_journey(client, hris, registry.by_key(key), inp, "refused-q")
        assert refused.value.code == code
        assert words in refused.value.message
        assert "\n" not in refused.value.message
        refused_ids.append(registry.by_key(key).journey_id(inp))
    unknown_school = TeacherLeaderInput(
        program=load_program_year(files["teacher_leader"]),
        application=Application(employee_id="ref-moved", role=Role.ARTS_LEAD, school_id="nowhere"),
    )
    with pytest.raises(StartRefused) as refused:
        await start_journey(client, hris, teacher_leader, unknown_school, "refused-q")
    assert refused.value.code == "start.unknown_school"
    refused_ids.append(teacher_leader.journey_id(unknown_school))
    for workflow_id in refused_ids:  # asked of the server itself: visibility may lag
        with pytest.raises(RPCError) as absent:
            await client.get_workflow_handle(workflow_id).describe()
        assert absent.value.status is RPCStatusCode.NOT_FOUND, workflow_id
    await asyncio.sleep(1)  # what visibility would list by now
    listed = [e async for e in client.list_workflows("TaskQueue = 'refused-q'")]
    assert listed == []
