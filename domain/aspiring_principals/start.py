"""How an aspiring principal's year starts, is named and found, and hears HR."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain.aspiring_principals.explain import SENTENCES
from domain.aspiring_principals.journey import (
    AspiringNomination,
    AspiringRefusal,
    AspiringStatus,
    Stage,
    WithdrawAspiring,
    check_eligibility,
    check_nomination,
)
from domain.aspiring_principals.program import AspiringPrincipalsYear
from domain.external import Employee
from domain.hr import HrChange, HrNews
from domain.pathway import (
    JourneyAttributes,
    Pathway,
    StartRefused,
    Told,
    require_eligible,
    require_employed,
    require_open,
)


class AspiringInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: AspiringPrincipalsYear
    nomination: AspiringNomination


def aspiring_id(program_year: str, employee_id: str) -> str:
    return f"aspiring-principal/{program_year}/{employee_id}"


def _attributes(inp: AspiringInput, employee: Employee) -> JourneyAttributes:
    return JourneyAttributes(
        employee_id=inp.nomination.employee_id,
        pathway="aspiring_principal",
        program_year=inp.year.program_year,
        school_id=employee.school_id or "",
        leader_role="aspiring_principal",
        journey_stage=Stage.JOINED.value,
    )


def _check_start(inp: AspiringInput, employee: Employee, now: datetime) -> None:
    require_employed(employee)
    require_open(now, inp.year.closes_at, f"the {inp.year.program_year} year")
    require_eligible(check_eligibility(inp.year, employee.role))


def _check_input(inp: AspiringInput, now: datetime) -> None:
    try:
        check_nomination(inp.year, inp.nomination, now)
    except AspiringRefusal as refusal:
        raise StartRefused(refusal.message, code=refusal.code) from None


def _hears(news: HrNews) -> Told | None:
    if news.change is HrChange.SEPARATION:
        reason = news.reason or "separated"
        return "withdraw", WithdrawAspiring(
            reason=f"left the district {news.effective_on}: {reason}", withdrawn_by="hris"
        )
    return None


ASPIRING_PRINCIPAL = Pathway(
    key="aspiring_principal",
    title="Aspiring Principals",
    noun="an aspiring principal's year",
    workflow_type="AspiringPrincipalJourney",
    input_type=AspiringInput,
    definition_type=AspiringPrincipalsYear,
    status_type=AspiringStatus,
    id_prefix="aspiring-principal/",
    command_group="aspiring",
    journey_id=lambda inp: aspiring_id(inp.year.program_year, inp.nomination.employee_id),
    definition_of=lambda inp: inp.year,
    employee_of=lambda inp: inp.nomination.employee_id,
    school_of=lambda inp: None,
    attributes=_attributes,
    check_start=_check_start,
    check_input=_check_input,
    hears=_hears,
    explain=SENTENCES,
)
