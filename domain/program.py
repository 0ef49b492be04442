"""A program year of the Teacher Leader Pathways: its calendar, roles, money and deadlines.

The definition is data, loaded from a TOML file and validated here. It travels in each
journey's workflow input, so a replay years later applies the rules of that year.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from domain import definitions
from domain.calendar import DEFAULT_TIME_ZONE, TimeZone, local_date
from domain.refusals import DefinitionError


class Role(StrEnum):
    TEAM_LEAD = "team_lead"
    PEER_COACH = "peer_coach"
    SENIOR_PEER_COACH = "senior_peer_coach"
    ARTS_LEAD = "arts_lead"
    RESTORATIVE_COLLEGE_CULTURE_LEAD = "restorative_college_culture_lead"
    FAMILY_ENGAGEMENT_LEAD = "family_engagement_lead"

    @property
    def label(self) -> str:
        return ROLE_TITLES[self]


ROLE_TITLES = {
    Role.TEAM_LEAD: "Team Lead",
    Role.PEER_COACH: "Peer Coach",
    Role.SENIOR_PEER_COACH: "Senior Peer Coach",
    Role.ARTS_LEAD: "Arts Lead",
    Role.RESTORATIVE_COLLEGE_CULTURE_LEAD: "Restorative & College Culture Lead",
    Role.FAMILY_ENGAGEMENT_LEAD: "Family Engagement Lead",
}


class Cohort(StrEnum):
    """Team Leads' grade-level and content-area cohorts."""

    ELEMENTARY = "elementary_tk_6"
    SECONDARY_ELA_SOCIAL_STUDIES = "secondary_ela_social_studies_6_12"
    SECONDARY_MATH = "secondary_math_6_12"
    SECONDARY_SCIENCE = "secondary_science_6_12"
    SPECIAL_EDUCATION = "special_education_k_12"


class SessionKind(StrEnum):
    SUMMER_INSTITUTE = "summer_institute"
    WINTER_INSTITUTE = "winter_institute"
    SEMINAR = "seminar"


class PDSession(BaseModel):
    """One day of professional development. The Summer Institute is four such days."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9\-]*$")
    kind: SessionKind
    title: str = Field(min_length=1)
    on: date
    roles: list[Role] | None = Field(None, description="who must attend; empty means every role")
    substitute_days: Decimal = Field(
        Decimal(0), ge=0, le=1, description="school days a substitute covers; 0 in summer"
    )

    def applies_to(self, role: Role) -> bool:
        return not self.roles or role in self.roles


class Deliverable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    deliverable_id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9\-]*$")
    title: str = Field(min_length=1)
    due: date


class CoachingCycleWindow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cycle_id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9\-]*$")
    title: str = Field(min_length=1)
    opens: date
    due: date


class SubstituteReimbursement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    daily_rate_cents: int = Field(gt=0, description="what a school pays a substitute per day")
    partner_share: Decimal = Field(gt=0, le=1, description="the share the partner reimburses")


class ProgramYear(BaseModel):
    """Everything a teacher leader journey needs to know about its year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    program_year: str = Field(pattern=r"^\d{4}-\d{2}$", description="e.g. 2027-28")
    pathway: str = Field("teacher_leader", pattern=r"^[a-z_]+$")
    partner: str = Field(min_length=1)
    eligible_roles: list[str] = Field(
        default_factory=lambda: ["teacher"],
        min_length=1,
        description="HR job titles that may apply (the program is open to all teachers)",
    )
    time_zone: TimeZone = DEFAULT_TIME_ZONE
    starts: date
    ends: date
    application_deadline: AwareDatetime
    commitment_deadline: AwareDatetime
    commitment_reminders_days_before: list[int] = Field(default_factory=lambda: [7, 2])
    year_closes_at: AwareDatetime
    roles: list[Role] = Field(min_length=1)
    stipends_cents: dict[Role, int]
    sessions: list[PDSession] = Field(min_length=1)
    coaching_cycles: list[CoachingCycleWindow] = Field(min_length=2)
    deliverables: dict[Role, list[Deliverable]] = Field(default_factory=dict)
    senior_peer_coach_duties: list[Deliverable] = Field(default_factory=list)
    substitute_reimbursement: SubstituteReimbursement
    program_office_email: str | None = Field(
        None, min_length=3, description="told at once when a stipend is withheld"
    )

    @model_validator(mode="after")
    def _coherent(self) -> ProgramYear:
        problems: list[str] = []
        if self.ends <= self.starts:
            problems.append(f"ends ({self.ends}) must be after starts ({self.starts})")
        for role in self.roles:
            amount = self.stipends_cents.get(role)
            if amount is None or amount <= 0:
                problems.append(f"stipends_cents.{role.value}: role {role.label} has no stipend")
        for role in self.stipends_cents:
            if role not in self.roles:
                problems.append(f"stipends_cents.{role.value}: role is not offered this year")
        ids = [s.session_id for s in self.sessions]
        if len(set(ids)) != len(ids):
            problems.append("sessions: session_id values must be unique")
        for index, session in enumerate(self.sessions):
            if not self.starts <= session.on <= self.ends:
                problems.append(
                    f"sessions[{index}].on: {session.session_id} on {session.on} is outside "
                    f"the year {self.starts}..{self.ends}"
                )
        for index, cycle in enumerate(self.coaching_cycles):
            if not self.starts <= cycle.opens <= cycle.due <= self.ends:
                problems.append(
                    f"coaching_cycles[{index}]: {cycle.cycle_id} must open and be due within "
                    "the year, opening before it is due"
                )
        if len({c.cycle_id for c in self.coaching_cycles}) != len(self.coaching_cycles):
            problems.append("coaching_cycles: cycle_id values must be unique")
        for role, items in self.deliverables.items():
            for item in items:
                if not self.starts <= item.due <= self.ends:
                    problems.append(
                        f"deliverables.{role.value}: {item.deliverable_id} is due {item.due}, "
                        "outside the year"
                    )
        for index, duty in enumerate(self.senior_peer_coach_duties):
            if not self.starts <= duty.due <= self.ends:
                problems.append(
                    f"senior_peer_coach_duties[{index}]: {duty.deliverable_id} is due {duty.due}, "
                    "outside the year"
                )
        if Role.SENIOR_PEER_COACH in self.roles and not self.senior_peer_coach_duties:
            problems.append(
                "senior_peer_coach_duties: a year that offers Senior Peer Coach must list its "
                "extra duties (host a seminar, capture coaching videos, coach peer coaches)"
            )
        year_end = self.ends
        for name in ("application_deadline", "commitment_deadline", "year_closes_at"):
            moment: datetime = getattr(self, name)
            if name != "year_closes_at" and local_date(moment, self.time_zone) > year_end:
                problems.append(f"{name}: {moment.isoformat()} is after the year ends ({year_end})")
        if self.commitment_deadline <= self.application_deadline:
            problems.append("commitment_deadline must come after application_deadline")
        if local_date(self.year_closes_at, self.time_zone) < self.ends:
            problems.append(f"year_closes_at must not come before the year ends ({self.ends})")
        if any(d <= 0 for d in self.commitment_reminders_days_before):
            problems.append("commitment_reminders_days_before: days must be positive")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def shifted(self, days: int, program_year: str | None = None) -> ProgramYear:
        """The same calendar moved by `days`, e.g. last year's calendar as a draft for next."""
        delta = timedelta(days=days)
        data = self.model_dump()
        for key in ("starts", "ends", "application_deadline", "commitment_deadline",
                    "year_closes_at"):  # fmt: skip
            data[key] = data[key] + delta
        for item in [*data["sessions"], *data["senior_peer_coach_duties"]]:
            item["on" if "on" in item else "due"] += delta
        for cycle in data["coaching_cycles"]:
            cycle["opens"] += delta
            cycle["due"] += delta
        for items in data["deliverables"].values():
            for item in items:
                item["due"] += delta
        if program_year is not None:
            data["program_year"] = program_year
        return ProgramYear.model_validate(data)

    def sessions_for(self, role: Role) -> list[PDSession]:
        return [s for s in self.sessions if s.applies_to(role)]

    def session(self, session_id: str) -> PDSession | None:
        return next((s for s in self.sessions if s.session_id == session_id), None)

    def cycle(self, cycle_id: str) -> CoachingCycleWindow | None:
        return next((c for c in self.coaching_cycles if c.cycle_id == cycle_id), None)

    def deliverables_for(self, role: Role) -> list[Deliverable]:
        required = list(self.deliverables.get(role, []))
        if role is Role.SENIOR_PEER_COACH:
            required += self.senior_peer_coach_duties
        return required

    def deliverable(self, role: Role, deliverable_id: str) -> Deliverable | None:
        return next(
            (d for d in self.deliverables_for(role) if d.deliverable_id == deliverable_id), None
        )


class ProgramDefinitionError(DefinitionError):
    """A program year file cannot work; the message names the field."""


def parse_program_year(data: dict[str, Any], source: str = "program year") -> ProgramYear:
    return definitions.parse(ProgramYear, data, source, ProgramDefinitionError)


def load_program_year(path: Path) -> ProgramYear:
    return definitions.load(ProgramYear, path, ProgramDefinitionError)


SAMPLE_PROGRAM = Path(__file__).parent / "programs" / "teacher_leader_2027_28.toml"
SERVICE_RULES = Path(__file__).parent / "programs" / "plf_service_commitment.toml"
