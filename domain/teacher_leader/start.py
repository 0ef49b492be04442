"""How a teacher leader journey starts, is named and found, and hears HR."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain.external import Employee
from domain.hr import HrChange, HrNews
from domain.pathway import JourneyAttributes, Pathway, StartRefused, Told, require_employed
from domain.program import ProgramYear
from domain.teacher_leader import journey
from domain.teacher_leader.explain import SENTENCES
from domain.teacher_leader.journey import (
    Application,
    JourneyRefusal,
    JourneyStatus,
    RecordSeparation,
    Stage,
    check_application,
)


class TeacherLeaderInput(BaseModel):
    """Everything the journey runs under: the year's rules travel with it."""

    model_config = ConfigDict(frozen=True)

    program: ProgramYear
    application: Application


def journey_id(program_year: str, role: str, employee_id: str) -> str:
    """One journey per teacher per role per program year."""
    return f"teacher-leader/{program_year}/{role}/{employee_id}"


def _journey_id(inp: TeacherLeaderInput) -> str:
    app = inp.application
    return journey_id(inp.program.program_year, app.role.value, app.employee_id)


def _attributes(inp: TeacherLeaderInput, employee: Employee) -> JourneyAttributes:
    return JourneyAttributes(
        employee_id=inp.application.employee_id,
        pathway=inp.program.pathway,
        program_year=inp.program.program_year,
        school_id=inp.application.school_id,
        leader_role=inp.application.role.value,
        journey_stage=Stage.APPLIED.value,
    )


def _check_input(inp: TeacherLeaderInput, now: datetime) -> None:
    try:
        check_application(inp.program, inp.application, now)
    except JourneyRefusal as refusal:
        raise StartRefused(str(refusal), code=refusal.code) from None


def _check_start(inp: TeacherLeaderInput, employee: Employee, now: datetime) -> None:
    require_employed(employee)
    if employee.role not in inp.program.eligible_roles:
        raise StartRefused(
            code="start.ineligible_title",
            message=f"HR lists {employee.employee_id} as {employee.role!r}; Teacher Leader "
            f"Pathways {inp.program.program_year} is open to "
            f"{', '.join(inp.program.eligible_roles)}",
        )


def _hears(news: HrNews) -> Told | None:
    if news.change is HrChange.SEPARATION:
        reason = news.reason or "separated from the district"
        return "record_separation", RecordSeparation(effective_on=news.effective_on, reason=reason)
    return None  # a transfer or leave mid-year is the program office's call, not a rule


TEACHER_LEADER = Pathway(
    key="teacher_leader",
    title="Teacher Leader Pathways",
    noun="a teacher leader journey",
    workflow_type="TeacherLeaderJourney",
    input_type=TeacherLeaderInput,
    definition_type=ProgramYear,
    status_type=JourneyStatus,
    id_prefix="teacher-leader/",
    command_group="teacher-leader",
    journey_id=_journey_id,
    definition_of=lambda inp: inp.program,
    employee_of=lambda inp: inp.application.employee_id,
    school_of=lambda inp: inp.application.school_id,
    attributes=_attributes,
    check_start=_check_start,
    check_input=_check_input,
    hears=_hears,
    explain=SENTENCES,
    fold_into=journey.fold_into,
)
