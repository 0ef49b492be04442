"""How a fellowship journey starts, is named and found, and hears HR."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain.external import Employee
from domain.fellowship.explain import SENTENCES
from domain.fellowship.journey import (
    FellowshipApplication,
    FellowshipStatus,
    LeaveFellowship,
    LeaveKind,
    Stage,
    check_eligibility,
)
from domain.fellowship.program import FellowshipProgram
from domain.hr import HrChange, HrNews
from domain.pathway import (
    JourneyAttributes,
    Pathway,
    Told,
    require_eligible,
    require_employed,
    require_open,
)


class FellowshipInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    program: FellowshipProgram
    application: FellowshipApplication


def fellowship_id(program_id: str, employee_id: str) -> str:
    return f"fellowship/{program_id}/{employee_id}"


def _attributes(inp: FellowshipInput, employee: Employee) -> JourneyAttributes:
    return JourneyAttributes(
        employee_id=inp.application.employee_id,
        pathway="fellowship",
        program_year=inp.program.program_id,
        school_id=employee.school_id or "",
        leader_role="fellow",
        journey_stage=Stage.APPLIED.value,
    )


def _check_start(inp: FellowshipInput, employee: Employee, now: datetime) -> None:
    require_employed(employee)
    program = inp.program
    require_open(now, program.selection_closes_at, f"applications to {program.program_id}")
    require_eligible(check_eligibility(program, employee.role))


def _hears(news: HrNews) -> Told | None:
    if news.change is HrChange.SEPARATION:
        return "leave", LeaveFellowship(
            kind=LeaveKind.SEPARATED,
            effective_on=news.effective_on,
            reason=news.reason or "separated from the district",
            recorded_by="hris",
        )
    return None


FELLOWSHIP = Pathway(
    key="fellowship",
    title="Aspiring principal fellowship",
    noun="a fellowship journey",
    workflow_type="FellowshipJourney",
    input_type=FellowshipInput,
    definition_type=FellowshipProgram,
    status_type=FellowshipStatus,
    id_prefix="fellowship/",
    command_group="fellowship",
    journey_id=lambda inp: fellowship_id(inp.program.program_id, inp.application.employee_id),
    definition_of=lambda inp: inp.program,
    employee_of=lambda inp: inp.application.employee_id,
    school_of=lambda inp: None,
    attributes=_attributes,
    check_start=_check_start,
    hears=_hears,
    explain=SENTENCES,
)
