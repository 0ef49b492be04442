"""A university fellowship cohort for aspiring principals (PLF @ UCLA PLI style).

A small cohort of teachers, counselors, coordinators and coaches is selected; fellows enroll at
the university, receive financial assistance each term through payroll, attend supplemental PD,
earn an M.Ed. and a Tier 1 administrative credential, and then owe a service commitment whose
rules travel with the program. Times carry the district's UTC offset; money is integer cents.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from domain import definitions
from domain.calendar import DEFAULT_TIME_ZONE, TimeZone, known_time_zone, local_date
from domain.money import dollars
from domain.refusals import DefinitionError
from domain.service_commitment.rules import ServiceRules

SLUG = r"^[a-z0-9][a-z0-9\-]*$"


class Milestone(StrEnum):
    MED_CONFERRED = "med_conferred"
    TIER1_CREDENTIAL = "tier1_credential"

    @property
    def label(self) -> str:
        return {"med_conferred": "M.Ed. conferred", "tier1_credential": "Tier 1 credential"}[
            self.value
        ]


class EarlyExitRepayment(StrEnum):
    """What a fellow who leaves before graduating repays of the assistance already paid."""

    ALL_DISBURSED = "all_disbursed"
    NONE = "none"


class Term(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    term_id: str = Field(min_length=1, pattern=SLUG)
    title: str = Field(min_length=1)
    starts_on: date
    ends_on: date
    disbursement_cents: int = Field(gt=0, description="financial assistance paid for the term")
    disburse_at: AwareDatetime = Field(description="when payroll is asked for the term's money")


class SupplementalSession(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    session_id: str = Field(min_length=1, pattern=SLUG)
    title: str = Field(min_length=1)
    on: date


class FellowshipProgram(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    program_id: str = Field(min_length=1, pattern=SLUG, description="e.g. plf-2027")
    title: str = Field(min_length=1)
    partner: str = Field(min_length=1)
    university: str = Field(min_length=1)
    time_zone: TimeZone = DEFAULT_TIME_ZONE
    cohort_capacity: int = Field(ge=1, le=200)
    eligible_roles: list[str] = Field(min_length=1, description="HR job titles that may apply")
    selection_closes_at: AwareDatetime
    enrollment_closes_at: AwareDatetime = Field(
        description="the university's deadline; the waitlist expires then"
    )
    graduate_by: AwareDatetime = Field(description="both milestones must be reported by then")
    terms: list[Term] = Field(min_length=1)
    supplemental_pd: list[SupplementalSession] = Field(default_factory=list)
    leaving_before_graduation: EarlyExitRepayment = EarlyExitRepayment.ALL_DISBURSED
    waiver_window_days: int = Field(30, ge=0, le=365)
    program_office_email: str = Field(min_length=3)
    service: ServiceRules

    @model_validator(mode="before")
    @classmethod
    def _service_in_program_zone(cls, data: Any) -> Any:
        """Service rules that name no time zone of their own keep the program's."""
        if not isinstance(data, dict) or not isinstance(data.get("service"), dict):
            return data
        zone = data.get("time_zone")
        if "time_zone" in data["service"] or not isinstance(zone, str):
            return data
        try:
            known_time_zone(zone)
        except ValueError:
            return data  # refused once, as time_zone
        return {**data, "service": {**data["service"], "time_zone": zone}}

    @model_validator(mode="after")
    def _coherent(self) -> FellowshipProgram:
        problems: list[str] = []
        if self.enrollment_closes_at < self.selection_closes_at:
            problems.append("enrollment_closes_at must not be before selection_closes_at")
        ids = [t.term_id for t in self.terms]
        if len(set(ids)) != len(ids):
            problems.append("terms: term_id values must be unique")
        for before, after in zip(self.terms, self.terms[1:], strict=False):
            if after.starts_on <= before.ends_on:
                problems.append(f"terms: {after.term_id} must start after {before.term_id} ends")
        for term in self.terms:
            if term.ends_on < term.starts_on:
                problems.append(f"terms: {term.term_id} ends before it starts")
            if term.disburse_at < self.enrollment_closes_at:
                problems.append(f"terms: {term.term_id} is disbursed before enrollment closes")
        if self.graduate_by_date < self.terms[-1].ends_on:
            problems.append("graduate_by must not be before the last term ends")
        if self.service.time_zone != self.time_zone:
            problems.append(
                f"service.time_zone ({self.service.time_zone}) must be the program's time_zone "
                f"({self.time_zone})"
            )
        sessions = [s.session_id for s in self.supplemental_pd]
        if len(set(sessions)) != len(sessions):
            problems.append("supplemental_pd: session_id values must be unique")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def graduate_by_date(self) -> date:
        """The last day to graduate, in the program's time zone."""
        return local_date(self.graduate_by, self.time_zone)

    @property
    def assistance_cents(self) -> int:
        return sum(t.disbursement_cents for t in self.terms)

    def term(self, term_id: str) -> Term | None:
        return next((t for t in self.terms if t.term_id == term_id), None)

    def session(self, session_id: str) -> SupplementalSession | None:
        return next((s for s in self.supplemental_pd if s.session_id == session_id), None)

    def describe(self) -> str:
        return (
            f"{self.title}: {self.cohort_capacity} seats, {len(self.terms)} terms, "
            f"{dollars(self.assistance_cents)} assistance per fellow"
        )

    def shifted(self, days: int, program_id: str | None = None) -> FellowshipProgram:
        """The same calendar moved by `days` (a draft for another year, or a test's calendar)."""
        delta = timedelta(days=days)
        data = self.model_dump()
        for key in ("selection_closes_at", "enrollment_closes_at", "graduate_by"):
            data[key] += delta
        for term in data["terms"]:
            for key in ("starts_on", "ends_on", "disburse_at"):
                term[key] += delta
        for session in data["supplemental_pd"]:
            session["on"] += delta
        if program_id is not None:
            data["program_id"] = program_id
        return FellowshipProgram.model_validate(data)


class FellowshipDefinitionError(DefinitionError):
    """A fellowship program file cannot work; the message names the field."""


def parse_fellowship(data: dict[str, Any], source: str = "fellowship program") -> FellowshipProgram:
    return definitions.parse(FellowshipProgram, data, source, FellowshipDefinitionError)


def load_fellowship(path: Path) -> FellowshipProgram:
    return definitions.load(FellowshipProgram, path, FellowshipDefinitionError)


SAMPLE_FELLOWSHIP = Path(__file__).parent.parent / "programs" / "plf_fellowship_2027.toml"
