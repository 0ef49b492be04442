"""The success-factor placement of seed 004: for three criteria of the Human Capital theme
(school leaders as instructional leaders, cultivating leadership, professional development),
the level the pathway data supports: less effective, meeting state standards, or college and
career readiness.

The rules are a file the district can change (`domain/programs/success_factors.toml`, or the one
`SUCCESS_FACTORS` names): for each criterion, each level above "less effective" is a list of
figures and the least each must reach. A criterion is placed at the highest level all of whose
conditions hold; a figure the data cannot give (no administrators to count, say) holds no
condition, and the placement says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain import definitions
from domain.refusals import DefinitionError

SHIPPED_FACTORS = Path(__file__).parent / "programs" / "success_factors.toml"


class Level(StrEnum):
    LESS_EFFECTIVE = "less effective practices"
    STATE_STANDARDS = "meeting state standards"
    COLLEGE_AND_CAREER = "college and career readiness"


#: Every figure a condition may name, and what it is.
FIGURES: Mapping[str, str] = {
    "administrators_certified_share": "administrators holding a current Evaluation "
    "Certification, of the administrators the enrollment rules require it of",
    "new_administrators_in_induction_share": "principals and vice/assistant principals in their "
    "first three years in the role with an Induction journey, of all of them",
    "teacher_leader_share": "teachers in a teacher leader role this year, of the teachers HR lists",
    "aspiring_per_100_administrators": "aspiring principals and fellows (journeys) per 100 "
    "administrators",
    "accepted_nominations": "nominations of colleagues that were accepted",
    "pd_attendance_share": "teacher leader session marks that are present or made up, of all marks",
    "program_completion_share": "catalog program journeys completed, of those that have ended",
}


class FactorsError(DefinitionError):
    """A success factors file that cannot work."""


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    figure: str
    at_least: float = Field(ge=0)

    @model_validator(mode="after")
    def _known(self) -> Condition:
        if self.figure not in FIGURES:
            raise ValueError(f"no figure {self.figure!r}; figures: {', '.join(FIGURES)}")
        return self


class LevelRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level
    all: tuple[Condition, ...] = Field(min_length=1)


class Criterion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z_]+$")
    title: str = Field(min_length=3)
    levels: tuple[LevelRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _levels(self) -> Criterion:
        named = [r.level for r in self.levels]
        if Level.LESS_EFFECTIVE in named:
            raise ValueError("less effective practices is where no level's conditions hold")
        if len(set(named)) != len(named):
            raise ValueError(f"{self.key}: a level is given twice")
        return self


class SuccessFactors(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    theme: str = "Human Capital"
    criteria: tuple[Criterion, ...] = Field(min_length=1)


def load_factors(path: Path) -> SuccessFactors:
    return definitions.load(SuccessFactors, path, FactorsError)


@dataclass(frozen=True)
class Placement:
    criterion: Criterion
    level: Level
    why: list[str]
    """Each condition of the levels above the placement, and whether it held."""


ORDER = [Level.COLLEGE_AND_CAREER, Level.STATE_STANDARDS]


def place(factors: SuccessFactors, figures: Mapping[str, float | None]) -> list[Placement]:
    found = []
    for criterion in factors.criteria:
        by_level = {r.level: r for r in criterion.levels}
        level, why = Level.LESS_EFFECTIVE, []
        for candidate in ORDER:
            rule = by_level.get(candidate)
            if rule is None:
                continue
            held = True
            for c in rule.all:
                value = figures.get(c.figure)
                if value is None:
                    why.append(f"{candidate.value}: {c.figure} needs ≥ {c.at_least:g}; the data "
                               "has no figure for it")  # fmt: skip
                    held = False
                elif value < c.at_least:
                    why.append(f"{candidate.value}: {c.figure} is {value:.2f}, below "
                               f"{c.at_least:g}")  # fmt: skip
                    held = False
                else:
                    why.append(f"{candidate.value}: {c.figure} is {value:.2f} (≥ {c.at_least:g})")
            if held:
                level = candidate
                break
        found.append(Placement(criterion, level, why))
    return found
