"""How a catalog program's journey starts, is named and found, and hears HR."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.calendar import full_years, local_date
from domain.catalog.definition import ProgramDefinition
from domain.catalog.explain import SENTENCES
from domain.catalog.journey import HearHr, ProgramStatus, Stage, fold_into
from domain.commands import Command
from domain.councils import StakeholderGroup
from domain.external import Employee, HrText
from domain.hr import HrChange, HrNews
from domain.pathway import (
    JourneyAttributes,
    Pathway,
    StartRefused,
    Told,
    require_eligible,
    require_employed,
)


class CommunityMember(Command):
    """A participant HR does not list (a parent, a student, a community member), as the program
    office enrolls them."""

    full_name: HrText = Field(min_length=1)
    email: HrText = Field(min_length=3)
    group: StakeholderGroup
    school_id: HrText | None = None


class ProgramEnrollment(Command):
    employee_id: str = Field(
        min_length=1, description="the HR employee id, or the program's id for a community member"
    )
    enrolled_by: str = Field(min_length=1)
    year_in_program: int = Field(
        1, ge=1, description="the year to start at: 2 for a principal hired in year two of the role"
    )
    person: CommunityMember | None = None

    def as_employee(self) -> Employee | None:
        """A community member as the start path and the journey read a participant."""
        p = self.person
        if p is None:
            return None
        return Employee(
            employee_id=self.employee_id,
            full_name=p.full_name,
            email=p.email,
            role=p.group.value,
            school_id=p.school_id,
        )


class Carried(BaseModel):
    """What a journey carries into its next year or renewal when it continues as new."""

    model_config = ConfigDict(frozen=True)

    year_in_program: int = Field(1, ge=1)
    cycle: int = Field(1, ge=1)
    certified_until: date | None = None
    carried_hours: Decimal = Decimal(0)
    hours_since_year: int = 1
    incomplete_years: tuple[int, ...] = ()
    paused_reason: str = ""
    stream_version: int = 0
    coach_id: str | None = None
    """The coach the program office assigned (`domain.coaching`), kept into the next run."""


class ProgramInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    program: ProgramDefinition
    enrollment: ProgramEnrollment
    first_school_year: str = Field("", description="the school year the journey began")
    carried: Carried | None = None

    @model_validator(mode="after")
    def _year(self) -> ProgramInput:
        community = self.program.participants == "community"
        if community and self.enrollment.person is None:
            raise ValueError(
                f"{self.program.title} enrolls parents, students or community members: give "
                "their name, e-mail and group"
            )
        if not community and self.enrollment.person is not None:
            raise ValueError(
                f"{self.program.title} is for employees: HR gives their name and e-mail"
            )
        if self.enrollment.year_in_program > self.program.years:
            raise ValueError(
                f"year_in_program {self.enrollment.year_in_program} is beyond the "
                f"{self.program.years} year(s) of {self.program.title}"
            )
        return self

    @property
    def began_in(self) -> str:
        return self.first_school_year or self.program.school_year


def program_journey_id(program_key: str, school_year: str, employee_id: str) -> str:
    return f"program/{program_key}/{school_year}/{employee_id}"


def years_in_role(employee: Employee, on: date) -> int | None:
    """Full years in the current role on `on`, as HR lists its start (None: HR does not say)."""
    return None if employee.role_since is None else full_years(employee.role_since, on)


def _attributes(inp: ProgramInput, employee: Employee) -> JourneyAttributes:
    return JourneyAttributes(
        employee_id=inp.enrollment.employee_id,
        pathway=inp.program.key,
        program_year=inp.began_in,
        school_id=employee.school_id or "",
        leader_role=employee.role,
        journey_stage=Stage.ENROLLED.value,
    )


def _check_start(inp: ProgramInput, employee: Employee, now: datetime) -> None:
    d = inp.program
    require_employed(employee)
    closes = d.enrollment_closes or d.ends
    if local_date(now, d.time_zone) > closes:
        raise StartRefused(
            code="application.closed",
            message=f"enrollment in {d.title} {d.school_year} closed on {closes}",
        )
    require_eligible(
        d.why_ineligible(employee.role, years_in_role(employee, d.starts), employee.credentials)
    )


def _hears(news: HrNews) -> Told | None:
    if news.change is HrChange.SCHOOL_TRANSFER:
        return None
    return "hear_hr", HearHr(
        change=news.change,
        effective_on=news.effective_on,
        role=news.role,
        reason=news.reason or "",
    )


PROGRAM = Pathway(
    key="program",
    title="Catalog programs",
    noun="a program journey",
    workflow_type="ProgramJourney",
    input_type=ProgramInput,
    definition_type=ProgramDefinition,
    status_type=ProgramStatus,
    id_prefix="program/",
    command_group="program",
    journey_id=lambda inp: program_journey_id(
        inp.program.key, inp.began_in, inp.enrollment.employee_id
    ),
    definition_of=lambda inp: inp.program,
    employee_of=lambda inp: inp.enrollment.employee_id,
    person_of=lambda inp: inp.enrollment.as_employee(),
    school_of=lambda inp: None,
    attributes=_attributes,
    check_start=_check_start,
    hears=_hears,
    explain=SENTENCES,
    fold_into=fold_into,
)
