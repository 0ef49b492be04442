"""LBUSD Aspiring Principals: a program year for administrators with a Tier I credential who do
not yet serve as principal (seed 001).

Everyone attends the Aspiring Leaders Summer Institute; some are offered a fellowship to
shadow a high-performing principal through the school year while keeping their own job, and log
what they shadow; vice and assistant principals take leadership training and coaching in
their role. The year is data, validated here, and travels in each journey's input.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from domain import definitions
from domain.calendar import DEFAULT_TIME_ZONE, TimeZone, local_date
from domain.refusals import DefinitionError

SLUG = r"^[a-z0-9][a-z0-9\-]*$"


class Session(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    session_id: str = Field(min_length=1, pattern=SLUG)
    title: str = Field(min_length=1)
    on: date


class Shadowing(BaseModel):
    """What a shadowing fellowship asks of the fellow over the school year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_logs: int = Field(ge=1, le=200)
    min_hours: Decimal = Field(gt=0, le=1000)
    max_hours_per_day: Decimal = Field(Decimal(10), gt=0, le=24)


class AspiringPrincipalsYear(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    program_year: str = Field(pattern=r"^\d{4}-\d{2}$")
    district: str = Field(min_length=1)
    time_zone: TimeZone = DEFAULT_TIME_ZONE
    eligible_roles: list[str] = Field(min_length=1, description="HR titles that may take part")
    vp_roles: list[str] = Field(min_length=1, description="titles that take VP/AP training")
    summer_institute: list[Session] = Field(min_length=1)
    school_year_starts: date
    school_year_ends: date
    closes_at: AwareDatetime
    shadowing: Shadowing
    vp_training: list[Session] = Field(default_factory=list)
    vp_coaching_sessions: int = Field(0, ge=0, le=50)
    program_office_email: str = Field(min_length=3)

    @model_validator(mode="after")
    def _coherent(self) -> AspiringPrincipalsYear:
        problems: list[str] = []
        if self.school_year_ends <= self.school_year_starts:
            problems.append("school_year_ends must be after school_year_starts")
        if local_date(self.closes_at, self.time_zone) < self.school_year_ends:
            problems.append("closes_at must not be before school_year_ends")
        if "principal" in self.eligible_roles:
            problems.append("eligible_roles: principals are not aspiring principals")
        for name, sessions in (("summer_institute", self.summer_institute),
                               ("vp_training", self.vp_training)):  # fmt: skip
            ids = [s.session_id for s in sessions]
            if len(set(ids)) != len(ids):
                problems.append(f"{name}: session_id values must be unique")
        if any(s.on >= self.school_year_starts for s in self.summer_institute):
            problems.append("summer_institute: days must come before the school year starts")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def institute_day(self, session_id: str) -> Session | None:
        return next((s for s in self.summer_institute if s.session_id == session_id), None)

    def training(self, session_id: str) -> Session | None:
        return next((s for s in self.vp_training if s.session_id == session_id), None)

    def shifted(self, days: int) -> AspiringPrincipalsYear:
        delta = timedelta(days=days)
        data = self.model_dump()
        for key in ("school_year_starts", "school_year_ends", "closes_at"):
            data[key] += delta
        for session in [*data["summer_institute"], *data["vp_training"]]:
            session["on"] += delta
        return AspiringPrincipalsYear.model_validate(data)


class AspiringDefinitionError(DefinitionError):
    """An Aspiring Principals year file cannot work; the message names the field."""


def load_aspiring_year(path: Path) -> AspiringPrincipalsYear:
    return definitions.load(AspiringPrincipalsYear, path, AspiringDefinitionError)


SAMPLE_ASPIRING = (
    Path(__file__).parent.parent / "programs" / "lbusd_aspiring_principals_2027_28.toml"
)
