"""How a service commitment starts, is named and found, and hears HR."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.external import Employee
from domain.hr import HrNews
from domain.pathway import JourneyAttributes, Pathway, Told
from domain.service_commitment.explain import SENTENCES
from domain.service_commitment.journey import Commitment, CommitmentStatus, HrEvent, Standing
from domain.service_commitment.rules import ServiceRules


class ServiceCommitmentInput(BaseModel):
    """The commitment's terms; on continue-as-new also the state and stream version so far."""

    model_config = ConfigDict(frozen=True)

    program: str = Field(min_length=1)
    fellow_id: str = Field(min_length=1)
    graduated_on: date
    assistance_cents: int = Field(ge=0, description="financial assistance received, in cents")
    rules: ServiceRules
    program_office_email: str
    carried: Commitment | None = None
    stream_version: int = 0


def commitment_id(program: str, fellow_id: str) -> str:
    return f"service-commitment/{program}/{fellow_id}"


def _attributes(inp: ServiceCommitmentInput, employee: Employee) -> JourneyAttributes:
    return JourneyAttributes(
        employee_id=inp.fellow_id,
        pathway="service_commitment",
        program_year=inp.program,
        school_id=employee.school_id or "",
        leader_role=employee.role,
        journey_stage=Standing.SERVING.value,
    )


def _check_start(inp: ServiceCommitmentInput, employee: Employee, now: datetime) -> None:
    """Nothing beyond HR knowing the fellow: a fellow who graduated owes the commitment even
    if HR already lists them as separated (the commitment then records the breach)."""


def _hears(news: HrNews) -> Told | None:
    return "hr_event", HrEvent(
        change=news.change,
        effective_on=news.effective_on,
        role=news.role,
        school_id=news.school_id,
        reason=news.reason,
    )


SERVICE_COMMITMENT = Pathway(
    key="service_commitment",
    title="Service commitment",
    noun="a service commitment",
    workflow_type="ServiceCommitment",
    input_type=ServiceCommitmentInput,
    definition_type=ServiceRules,
    status_type=CommitmentStatus,
    id_prefix="service-commitment/",
    command_group="commitment",
    journey_id=lambda inp: commitment_id(inp.program, inp.fellow_id),
    definition_of=lambda inp: inp.rules,
    employee_of=lambda inp: inp.fellow_id,
    school_of=lambda inp: None,
    attributes=_attributes,
    check_start=_check_start,
    hears=_hears,
    explain=SENTENCES,
)
