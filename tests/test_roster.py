"""Bulk starts from an HR roster: valid rows start journeys once, bad rows are named by line."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.local_systems import LocalHris
from domain.program import SAMPLE_PROGRAM, load_program_year
from pathways.roster import RosterUnreadable, apply_roster, parse_roster
from tests.journey_kit import SCHOOL, program_near, seed_district
from tests.test_cli import one_error_line, run
from workflows.teacher_leader import journey_id

ROLES = ["peer_coach", "arts_lead", "family_engagement_lead", "restorative_college_culture_lead"]


@pytest.fixture
def env(own_env: WorkflowEnvironment) -> WorkflowEnvironment:
    """A time-skipping server of its own: journeys started here have no worker, and on the
    shared server even terminated ones were seen to hold the clock for the tests after."""
    return own_env


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return env.client


def roster_text(prefix: str) -> tuple[str, list[tuple[str, str]]]:
    """18 good rows and 2 bad ones (lines 6 and 13 of the file); returns the text and the
    (employee, role) of every good row."""
    lines = ["employee_id,role,school_id,cohort,full_name"]
    good: list[tuple[str, str]] = []
    for n in range(1, 21):
        employee = f"{prefix}-{n:02d}"
        line = len(lines) + 1
        if line == 6:
            lines.append(f"{employee},principal,{SCHOOL},,Pat Doe")
        elif line == 13:
            lines.append(f"{employee},team_lead,{SCHOOL},,Sam Roe")
        elif n % 3 == 0:
            lines.append(f"{employee},team_lead,{SCHOOL},secondary_math_6_12,Lee Poe")
            good.append((employee, "team_lead"))
        else:
            role = ROLES[n % len(ROLES)]
            lines.append(f"{employee},{role},{SCHOOL},,Kim Moe")
            good.append((employee, role))
    return "\n".join(lines) + "\n\n", good


async def test_a_roster_starts_each_journey_once_and_names_the_bad_rows(
    env: WorkflowEnvironment, client: Client, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    program = await program_near(env)
    now = await env.get_current_time()
    text, good = roster_text(f"r{uuid.uuid4().hex[:8]}")
    await seed_district(pool, [employee for employee, _ in good])
    hris = LocalHris(pool)
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    ids = [journey_id(program.program_year, role, employee) for employee, role in good]
    try:
        # No worker polls this task queue: starting needs only the server.
        first = await apply_roster(
            client, hris, program, roster, task_queue, concurrency=8, now=now
        )

        assert (first.rows, first.started, first.existing) == (20, 18, 0)
        assert [p.line for p in first.refused] == [6, 13]
        assert "role 'principal' is not known: expected one of team_lead" in str(first.refused[0])
        assert str(first.refused[1]).startswith(f"row 13 ({good[10][0][:-2]}12): ")
        assert "a Team Lead application needs a cohort" in str(first.refused[1])
        assert not first.failed
        for workflow_id in ids:
            described = await client.get_workflow_handle(workflow_id).describe()
            assert described.status == WorkflowExecutionStatus.RUNNING

        again = await apply_roster(
            client, hris, program, roster, task_queue, concurrency=8, now=now
        )

        assert (again.started, again.existing) == (0, 18)
        assert [p.line for p in again.refused] == [6, 13]
    finally:
        # Journeys without a worker would hold the shared time-skipping server's clock.
        for workflow_id in ids:
            with contextlib.suppress(RPCError):  # never started
                await client.get_workflow_handle(workflow_id).terminate(reason="test over")


def test_rows_are_checked_before_anything_starts() -> None:
    program = load_program_year(SAMPLE_PROGRAM)
    before_deadline = program.application_deadline.replace(hour=0)
    text = (
        "employee_id,role,school_id,cohort\n"
        "e-1,peer_coach,s-1,\n"
        "e-1,peer_coach,s-2,\n"  # the same journey twice
        ",arts_lead,s-1,\n"
        "e-3,arts_lead,s-1,elementary_tk_6\n"
        "e-4,team_lead,s-1,middle\n"
        "e-5,team_lead,s-1,elementary_tk_6\n"
    )
    rows, problems = parse_roster(text, program, before_deadline)

    assert [(r.line, r.application.employee_id) for r in rows] == [(2, "e-1"), (7, "e-5")]
    assert [str(p) for p in problems] == [
        "row 3 (e-1): the same employee and role as row 2; one journey per role a year",
        "row 4: employee_id is blank",
        "row 5 (e-3): cohorts apply to Team Leads only, not to Arts Lead",
        "row 6 (e-4): cohort 'middle' is not known: expected blank, or one of elementary_tk_6, "
        "secondary_ela_social_studies_6_12, secondary_math_6_12, secondary_science_6_12, "
        "special_education_k_12",
    ]
    late = datetime(2100, 1, 1, tzinfo=UTC)
    _, refused = parse_roster(text, program, late)
    late_rows = [p.line for p in refused if "applications for 2027-28 closed on" in p.reason]
    assert late_rows == [2, 3, 7]


def test_a_roster_without_its_columns_is_refused_whole() -> None:
    program = load_program_year(SAMPLE_PROGRAM)
    with pytest.raises(RosterUnreadable, match="no column role"):
        parse_roster("employee_id,school_id\ne-1,s-1\n", program, datetime.now(UTC))


def test_the_command_refuses_an_unusable_roster_in_one_line(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\n1,Ana\n")

    line = one_error_line(run("apply-roster", str(roster)))

    assert "has no column employee_id, role, school_id" in line
