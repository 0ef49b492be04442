"""A program of the district's catalog as a definition file: what it is made of, who may join,
what completes it, what it awards and pays, in the program's time zone.

A program office writes one TOML file per program and school year and checks it with
`pathways program check FILE`. The definition is made of the engine's shared parts only:

- `course`: dated sessions with attendance and make-ups (`domain.attendance`); complete when
  every session (or `min_sessions`) is attended or made up.
- `log`: a dated log with thresholds (`domain.dated_log`); complete at `min_entries` and
  `min_amount`.
- `deliverable`: work submitted and reviewed (`domain.deliverables`); complete when accepted.
- `steps`: ordered steps in a window (`domain.ordered_steps`): coaching cycles, and goals with
  their reviews (`needs_note`); complete when every step is recorded.
- `assessment`: a score, a pass mark, a retake wait and a limit of attempts
  (`domain.assessments`); complete when passed.
- `milestone`: a fact an outside system reports (`domain.milestones`); complete when reported.

A definition may limit the program to `seats = N` places and a waitlist until its
`enrollment_closes` (`domain.catalog.seats`).

A part may be for some HR titles only (`for_roles`), for some years of a program of several
years (`from_year`, `to_year`), optional (`required = false`), and taken again at each renewal
of a certification (`renewal = true`). The definition travels in each journey's workflow input,
so a replay years later applies that year's rules.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain import councils, definitions
from domain.calendar import TimeZone
from domain.councils import StakeholderGroup
from domain.refusals import DefinitionError

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80)]


class ProgramDefinitionError(DefinitionError):
    """A program definition that cannot work, naming the field."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PartBase(Frozen):
    id: Slug
    title: str = Field(min_length=1)
    required: bool = True
    for_roles: tuple[str, ...] = Field(
        (), description="HR titles the part is for; empty: every participant"
    )
    from_year: int = Field(1, ge=1, description="the first year of the program it is part of")
    to_year: int | None = Field(None, ge=1)
    competencies: tuple[str, ...] = ()
    provider: str | None = Field(None, description="who delivers it; the program's by default")
    renewal: bool = Field(False, description="taken again at each renewal of a certification")

    def applies_to(self, role: str | None, year: int) -> bool:
        if self.for_roles and role not in self.for_roles:
            return False
        return self.from_year <= year and (self.to_year is None or year <= self.to_year)


class Session(Frozen):
    id: Slug
    on: date
    title: str = ""
    hours: Decimal = Field(Decimal(0), ge=0, max_digits=5, decimal_places=2)


class Course(PartBase):
    kind: Literal["course"]
    sessions: tuple[Session, ...] = Field(min_length=1)
    make_ups: bool = True
    min_sessions: int | None = Field(None, ge=1)

    @property
    def hours(self) -> Decimal:
        return sum((s.hours for s in self.sessions), Decimal(0))

    def needed(self) -> int:
        return self.min_sessions or len(self.sessions)


class Log(PartBase):
    kind: Literal["log"]
    entry: str = Field("that entry", description="one entry in a sentence: 'that walkthrough'")
    unit: str = Field("", description="what an entry's amount counts ('hours'); empty: none")
    min_entries: int | None = Field(None, ge=1)
    min_amount: Decimal | None = Field(None, gt=0)
    max_per_day: Decimal | None = Field(None, gt=0)
    with_attendees: bool = Field(False, description="each entry names who attended (a team)")

    @model_validator(mode="after")
    def _amounts(self) -> Log:
        if (self.min_amount is not None or self.max_per_day is not None) and not self.unit:
            raise ValueError("min_amount and max_per_day need the unit the amount counts")
        if self.min_entries is None and self.min_amount is None:
            raise ValueError("a log needs min_entries, min_amount or both to be complete")
        return self


class Deliverable(PartBase):
    kind: Literal["deliverable"]
    due: date | None = None
    description: str = ""


class Steps(PartBase):
    kind: Literal["steps"]
    steps: tuple[Slug, ...] = Field(min_length=1)
    opens: date
    due: date
    needs_note: bool = Field(False, description="each step is recorded with its words (a goal)")

    @model_validator(mode="after")
    def _order(self) -> Steps:
        if len(set(self.steps)) != len(self.steps):
            raise ValueError("steps must not repeat")
        if self.due < self.opens:
            raise ValueError(f"due {self.due} is before opens {self.opens}")
        return self


class Assessment(PartBase):
    kind: Literal["assessment"]
    max_score: int = Field(gt=0)
    pass_mark: int = Field(gt=0)
    retake_wait_days: int = Field(0, ge=0)
    max_attempts: int | None = Field(None, ge=1)
    review_after_failures: int | None = Field(None, ge=1)
    review_part: Slug | None = Field(None, description="the course taken before a further retake")

    @model_validator(mode="after")
    def _marks(self) -> Assessment:
        if self.pass_mark > self.max_score:
            raise ValueError(f"pass_mark {self.pass_mark} is above max_score {self.max_score}")
        if (self.review_after_failures is None) != (self.review_part is None):
            raise ValueError("review_after_failures and review_part go together")
        return self


class Milestone(PartBase):
    kind: Literal["milestone"]
    reported_by: Literal["university", "hris", "office"] = "office"


class GroupSeats(Frozen):
    min: int = Field(0, ge=0)
    max: int | None = Field(None, ge=1)


class Majority(Frozen):
    group: StakeholderGroup
    of: tuple[StakeholderGroup, ...] = Field(min_length=2)


class Council(PartBase):
    """A council's membership by stakeholder group, its composition rules and each member's
    training (`domain.councils`); complete when the composition holds and every member is
    trained in every topic."""

    kind: Literal["council"]
    groups: dict[StakeholderGroup, GroupSeats] = Field(min_length=1)
    parity: tuple[tuple[StakeholderGroup, ...], tuple[StakeholderGroup, ...]] | None = None
    majority: Majority | None = None
    topics: tuple[Slug, ...] = Field(min_length=1, description="the training each member takes")

    def composition(self) -> councils.Composition:
        return councils.Composition(
            minimum={g: seats.min for g, seats in self.groups.items() if seats.min},
            maximum={g: seats.max for g, seats in self.groups.items() if seats.max is not None},
            parity=self.parity,
            majority=(self.majority.group, self.majority.of) if self.majority else None,
        )


Part = Annotated[
    Course | Log | Deliverable | Steps | Assessment | Milestone | Council,
    Field(discriminator="kind"),
]


class Checkpoint(Frozen):
    """A day the journey's progress is reviewed: what is still missing is recorded, and sent to
    `notify` (an oversight body, the program office) when something is."""

    on: date
    title: str = Field("progress review", min_length=1)
    notify: str = Field(min_length=3, description="the e-mail address told of what falls short")


class Eligibility(Frozen):
    roles: tuple[str, ...] = Field(min_length=1, description="HR titles that may join")
    min_years_in_role: int | None = Field(None, ge=0)
    max_years_in_role: int | None = Field(None, ge=1)
    credentials: tuple[str, ...] = Field((), description="credentials HR must list, all of them")


class AwardKind(StrEnum):
    CERTIFICATE = "certificate"
    CERTIFICATION = "certification"


class Award(Frozen):
    kind: AwardKind
    title: str = Field(min_length=1)
    valid_years: int | None = Field(None, ge=1, le=10, description="a certification's term")
    renewal_opens_days_before: int = Field(
        180, ge=1, description="how long before expiry a renewal may be earned"
    )

    @model_validator(mode="after")
    def _term(self) -> Award:
        if self.kind is AwardKind.CERTIFICATION and self.valid_years is None:
            raise ValueError("a certification needs valid_years")
        if self.kind is AwardKind.CERTIFICATE and self.valid_years is not None:
            raise ValueError("a certificate does not expire: valid_years is for certifications")
        return self


class StipendBasis(StrEnum):
    COMPLETION = "completion"
    SESSION = "session"
    HOUR = "hour"


class Stipend(Frozen):
    basis: StipendBasis
    amount_cents: int = Field(gt=0, description="per completion, per session attended, per hour")
    hours_threshold: Decimal | None = Field(
        None, gt=0, description="hours to reach before hours are paid"
    )
    hours_expire_after_years: int | None = Field(
        None, ge=1, description="unpaid hours below the threshold lapse after this many years"
    )
    for_roles: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _hours(self) -> Stipend:
        if self.basis is not StipendBasis.HOUR and (
            self.hours_threshold is not None or self.hours_expire_after_years is not None
        ):
            raise ValueError("hours_threshold and hours_expire_after_years are for basis 'hour'")
        return self


class OnChange(StrEnum):
    END = "end"
    PAUSE = "pause"
    CONTINUE = "continue"


class HrRules(Frozen):
    """What a journey of the program does when HR reports a change."""

    role_change: OnChange = Field(
        OnChange.END, description="when the new title is not one the program is for"
    )
    leave: OnChange = OnChange.CONTINUE


class ProgramDefinition(Frozen):
    key: Slug
    title: str = Field(min_length=1)
    district: str = Field(min_length=1)
    provider: str = Field(min_length=1, description="who delivers the training (SB 513)")
    school_year: str = Field(pattern=r"^\d{4}-\d{2}$")
    time_zone: TimeZone
    starts: date
    ends: date
    enrollment_closes: date | None = None
    seats: int | None = Field(
        None, ge=1, description="places for the whole program, then a waitlist (domain.seats)"
    )
    years: int = Field(1, ge=1, le=10, description="a program of several years continues yearly")
    program_office_email: str = Field(min_length=3)
    eligibility: Eligibility
    parts: tuple[Part, ...] = Field(min_length=1)
    award: Award | None = None
    stipends: tuple[Stipend, ...] = ()
    hr: HrRules = HrRules()
    checkpoints: tuple[Checkpoint, ...] = ()
    stakeholder_groups: tuple[StakeholderGroup, ...] = Field(
        (), description="whom the program develops (the needs assessment reads it)"
    )
    participants: Literal["employees", "community"] = Field(
        "employees",
        description="employees HR lists, or parents, students and community members the "
        "program office enrolls with their name and e-mail",
    )

    @model_validator(mode="after")
    def _works(self) -> ProgramDefinition:
        problems: list[str] = []
        first = int(self.school_year[:4])
        if f"{first}-{(first + 1) % 100:02d}" != self.school_year:
            problems.append(f"school_year {self.school_year!r} is not one year, e.g. 2026-27")
        if self.ends <= self.starts:
            problems.append(f"ends {self.ends} is not after starts {self.starts}")
        if self.enrollment_closes is not None and not (self.enrollment_closes <= self.ends):
            problems.append(f"enrollment_closes {self.enrollment_closes} is after ends")
        if self.seats is not None and self.enrollment_closes is None:
            problems.append(
                "seats: a program with seats needs enrollment_closes (the waitlist's end)"
            )
        repeated = [k for k, n in Counter(p.id for p in self.parts).items() if n > 1]
        if repeated:
            problems.append(f"parts: ids {', '.join(repeated)} are used twice")
        sessions = [s.id for p in self.parts if isinstance(p, Course) for s in p.sessions]
        repeated = [k for k, n in Counter(sessions).items() if n > 1]
        if repeated:
            problems.append(f"parts: session ids {', '.join(repeated)} are used twice")
        by_id = {p.id: p for p in self.parts}
        for index, part in enumerate(self.parts):
            where = f"parts.{index} ({part.id})"
            problems += [f"{where}: {p}" for p in self._part_problems(part, by_id)]
        for index, checkpoint in enumerate(self.checkpoints):
            if not self.starts <= checkpoint.on <= self.ends:
                problems.append(f"checkpoints.{index}: {checkpoint.on} is outside the year")
        if list(self.checkpoints) != sorted(self.checkpoints, key=lambda c: c.on):
            problems.append("checkpoints: list them in date order")
        rules = self.eligibility
        if (
            rules.min_years_in_role is not None
            and rules.max_years_in_role is not None
            and rules.min_years_in_role >= rules.max_years_in_role
        ):
            problems.append("eligibility: min_years_in_role leaves nobody under max_years_in_role")
        for index, stipend in enumerate(self.stipends):
            strays = [r for r in stipend.for_roles if r not in rules.roles]
            if strays:
                problems.append(f"stipends.{index}: for_roles {', '.join(strays)} may not join")
        award = self.award
        if (
            award
            and award.valid_years
            and award.renewal_opens_days_before >= award.valid_years * 365
        ):
            problems.append("award: the renewal would open before the certification is earned")
        if (
            self.award
            and self.award.kind is AwardKind.CERTIFICATION
            and not any(p.renewal for p in self.parts)
        ):
            problems.append("award: a certification needs parts with renewal = true to renew")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _part_problems(self, part: Part, by_id: dict[str, Part]) -> list[str]:
        problems: list[str] = []
        if part.from_year > self.years or (part.to_year or 1) > self.years:
            problems.append(f"from_year/to_year lie beyond the program's {self.years} year(s)")
        if part.to_year is not None and part.to_year < part.from_year:
            problems.append("to_year is before from_year")
        if isinstance(part, Course):
            for s in part.sessions:
                if not self.starts <= s.on <= self.ends:
                    problems.append(
                        f"session {s.id} on {s.on} is outside {self.starts}..{self.ends}"
                    )
            if part.min_sessions and part.min_sessions > len(part.sessions):
                problems.append(f"min_sessions {part.min_sessions} is more than its sessions")
        if isinstance(part, Steps) and not (self.starts <= part.opens and part.due <= self.ends):
            problems.append(f"opens..due {part.opens}..{part.due} is outside the year")
        unknown = [r for r in part.for_roles if r not in self.eligibility.roles]
        if unknown:
            problems.append(f"for_roles {', '.join(unknown)} may not join (eligibility.roles)")
        if isinstance(part, Deliverable) and part.due and not self.starts <= part.due <= self.ends:
            problems.append(f"due {part.due} is outside the year")
        if (
            isinstance(part, Assessment)
            and part.max_attempts is not None
            and part.review_after_failures is not None
            and part.max_attempts <= part.review_after_failures
        ):
            problems.append("max_attempts leaves no attempt after the review the failures require")
        if isinstance(part, Assessment) and part.review_part is not None:
            review = by_id.get(part.review_part)
            if not isinstance(review, Course):
                problems.append(f"review_part {part.review_part!r} is not a course of the program")
        return problems

    # --- reading it ---------------------------------------------------------------------

    def part(self, part_id: str) -> Part | None:
        return next((p for p in self.parts if p.id == part_id), None)

    def parts_for(self, role: str | None, year: int, *, renewal: bool = False) -> list[Part]:
        """The parts a participant with HR title `role` takes in `year` of the program (or in a
        renewal cycle of its certification)."""
        taken = [p for p in self.parts if p.applies_to(role, year)]
        if not renewal:
            return taken
        # A renewal takes its parts again, and the review training its assessments may need.
        reviews = {p.review_part for p in taken if isinstance(p, Assessment) and p.renewal}
        return [p for p in taken if p.renewal or p.id in reviews]

    def why_ineligible(
        self, role: str, years_in_role: int | None, credentials: tuple[str, ...]
    ) -> str | None:
        rules = self.eligibility
        if role not in rules.roles:
            return f"{self.title} is for {', '.join(rules.roles)}; HR lists the title {role!r}"
        if years_in_role is not None:
            if rules.max_years_in_role is not None and years_in_role >= rules.max_years_in_role:
                return (
                    f"{self.title} is for the first {rules.max_years_in_role} years in the role; "
                    f"HR lists {years_in_role} full years"
                )
            if rules.min_years_in_role is not None and years_in_role < rules.min_years_in_role:
                return (
                    f"{self.title} needs {rules.min_years_in_role} years in the role; HR lists "
                    f"{years_in_role}"
                )
        missing = [c for c in rules.credentials if c not in credentials]
        if missing:
            return (
                f"{self.title} needs the credential(s) {', '.join(missing)}, which HR does not list"
            )
        return None

    def shifted(self, days: int) -> ProgramDefinition:
        """The same program with every date moved by `days` (tests, samples around today)."""
        move = timedelta(days=days)
        data = self.model_dump()
        data["starts"] = self.starts + move
        data["ends"] = self.ends + move
        if self.enrollment_closes:
            data["enrollment_closes"] = self.enrollment_closes + move
        for checkpoint in data["checkpoints"]:
            checkpoint["on"] += move
        for part in data["parts"]:
            for session in part.get("sessions", ()):
                session["on"] += move
            for name in ("opens", "due"):
                if part.get(name) is not None:
                    part[name] += move
        first = self.starts + move
        year = first.year if first.month >= 7 else first.year - 1
        data["school_year"] = f"{year}-{(year + 1) % 100:02d}"
        return ProgramDefinition.model_validate(data)

    def year_of(self, on: date) -> ProgramDefinition:
        """The school year of this program that `on` falls in, or the next to start after it
        (the definition itself when it has not ended by then)."""
        d = self
        while d.ends < on:
            d = d.next_year()
        return d

    def next_year(self) -> ProgramDefinition:
        """Next school year's calendar of the same program: every date a year on."""
        following = _a_year_on(self.starts)
        return self.shifted((following - self.starts).days)


def _a_year_on(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def load_program(path: Path) -> ProgramDefinition:
    return definitions.load(ProgramDefinition, path, ProgramDefinitionError)


CATALOG = Path(__file__).resolve().parent.parent / "programs" / "catalog"


def catalog_files() -> list[Path]:
    """The catalog's definition files shipped with the product, one per program."""
    return sorted(CATALOG.glob("*.toml"))


def catalog_programs() -> dict[str, ProgramDefinition]:
    """The catalog's programs by key, as their definition files say."""
    return {d.key: d for d in map(load_program, catalog_files())}
